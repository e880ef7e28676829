"""The library applications use to follow their pairing's primary (the patent's
arbitration module): it watches both clusters' identities in their own ZooKeepers and
hands out the active cluster's WebHDFS client and HiveServer2 connection.

    clusters = [Cluster("site-a", "127.0.0.1:2181", "http://127.0.0.1:9870/webhdfs/v1",
                        "127.0.0.1", 10000), Cluster("site-b", ...)]
    with FollowingClient(clusters, "alice", password, application="bill-clearing") as lockstep:
        lockstep.run(lambda cluster: cluster.webhdfs.write("/data/acme/bills/b1.csv", data))

A switch takes effect as soon as a ZooKeeper's watch tells of the new identity
(milliseconds). `run` hands an operation the active cluster; when that cluster refuses it
because it is no longer primary (StandbyException, Spark's fence) or cannot be reached, or
the active cluster changes while it runs, `run` raises `Switching`, a retryable error
naming both clusters: the operation did not land on a cluster that stopped being primary
before it arrived, and retrying it uses the new primary. `retry` does that with a deadline.

Each client reports itself (application, host, pid, the cluster and epoch it uses) as an
ephemeral node under /lockstep/clients in each ZooKeeper it reaches; the Failover page
lists them, and those still on an old primary.
"""

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.protocol.states import KazooState
from kazoo.security import make_acl

from adapters.hiveserver2 import HiveServer2, HiveServer2Error
from adapters.webhdfs import WebHdfs, WebHdfsError
from adapters.zookeeper import CLIENTS, Watch
from failover.arbitration import View, arbitrate, highest

log = logging.getLogger(__name__)
T = TypeVar("T")
IDENTITY = "identity"
# What a cluster answers when it is no longer the primary it was.
REFUSALS = ("StandbyException", "fenced on this cluster", "secondary of its pairing")


@dataclass(frozen=True)
class Cluster:
    """One cluster's endpoints, as an application configures them."""

    name: str
    zookeeper_hosts: str
    webhdfs_url: str
    hiveserver2_host: str
    hiveserver2_port: int


@dataclass(frozen=True)
class Active:
    """The cluster in use, with clients signed in as the application's user."""

    name: str
    epoch: int
    webhdfs: WebHdfs
    hiveserver2: HiveServer2


class NoPrimary(Exception):
    """No cluster of the pairing claims to be primary (yet): retry later."""


class Switching(Exception):
    """The operation met a cluster that is no longer primary, or the primary changed while
    it ran: retry it, and it runs on the new primary."""

    retryable = True


class FollowingClient:
    def __init__(self, clusters: list[Cluster], user: str, password: str = "",
                 application: str = "application", timeout: float = 30.0,
                 zookeeper_timeout: float = 3.0) -> None:
        self.clusters = {cluster.name: cluster for cluster in clusters}
        self.user, self.application = user, application
        self._password = password
        self.timeout = timeout
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._active: Active | None = None
        self._highest = 0
        self.switches = 0
        self._watches = {name: Watch(cluster.zookeeper_hosts, IDENTITY, self._follow,
                                     timeout=zookeeper_timeout)
                         for name, cluster in self.clusters.items()}
        self._reporters = {name: _Reporter(cluster.zookeeper_hosts, application)
                           for name, cluster in self.clusters.items()}

    def __enter__(self) -> "FollowingClient":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self, wait: float = 10.0) -> None:
        """Watch both identities; wait up to `wait` seconds for a primary to appear."""
        for reporter in self._reporters.values():
            reporter.start()
        for watch in self._watches.values():
            watch.start()
        with self._changed:
            self._changed.wait_for(lambda: self._active is not None, wait)

    def close(self) -> None:
        for watch in self._watches.values():
            watch.stop()
        for reporter in self._reporters.values():
            reporter.stop()

    @property
    def active(self) -> Active:
        with self._lock:
            if self._active is None:
                raise NoPrimary(f"no cluster of {', '.join(self.clusters)} claims to be "
                                "primary: retry later")
            return self._active

    def run(self, operation: Callable[[Active], T]) -> T:
        """`operation` on the active cluster; Switching when it met a former primary."""
        active = self.active
        try:
            result = operation(active)
        except (WebHdfsError, HiveServer2Error, OSError) as error:
            if self.active.name != active.name or _refused(error):
                raise self._switching(active, error) from error
            raise
        now = self.active
        if now.name != active.name:
            raise self._switching(active, None)
        return result

    def retry(self, operation: Callable[[Active], T], deadline: float = 30.0) -> T:
        """`run`, again while it meets a switch or no primary, for up to `deadline` s."""
        until = time.monotonic() + deadline
        while True:
            try:
                return self.run(operation)
            except (Switching, NoPrimary):
                if time.monotonic() > until:
                    raise
                time.sleep(0.05)

    def _switching(self, was: Active, error: Exception | None) -> Switching:
        now = self._active
        where = f"now {now.name} (epoch {now.epoch})" if now else "no primary yet"
        why = f": {error}" if error else ""
        return Switching(f"{was.name} is no longer the primary ({where}); the operation did "
                         f"not complete there{why}. Retry it.")

    def _follow(self) -> None:
        """Called from a watch's thread whenever a connection or an identity changes."""
        views = {name: _view(watch) for name, watch in self._watches.items()}
        with self._changed:
            current = self._active.name if self._active else None
            self._highest = highest(self._highest, views)
            chosen = arbitrate(current, self._highest, views)
            if chosen is None or chosen == current:
                return
            epoch = views[chosen].epoch or 0
            self._active = self._connect(chosen, epoch)
            self.switches += 1
            self._changed.notify_all()
        log.info("%s: using %s (epoch %s)%s", self.application, chosen, epoch,
                 f", was {current}" if current else "")
        for reporter in self._reporters.values():
            reporter.report(chosen, epoch)

    def _connect(self, name: str, epoch: int) -> Active:
        cluster = self.clusters[name]
        return Active(name, epoch,
                      WebHdfs(cluster.webhdfs_url, self.user, timeout=self.timeout),
                      HiveServer2(cluster.hiveserver2_host, cluster.hiveserver2_port, self.user,
                                  self._password, timeout=self.timeout))


def _view(watch: Watch) -> View:
    read, document = watch.document
    if not read or document is None:
        return View(reachable=watch.connected)
    epoch = document.get("epoch")
    return View(reachable=watch.connected, role=document.get("role"),
                epoch=epoch if isinstance(epoch, int) else None)


def _refused(error: Exception) -> bool:
    text = f"{getattr(error, 'exception', '')} {error}"
    return isinstance(error, OSError) or getattr(error, "exception", None) == "ConnectionError" \
        or any(refusal in text for refusal in REFUSALS)


class _Reporter:
    """This client's node under /lockstep/clients in one ZooKeeper: ephemeral, so it goes
    when the application does; rewritten at each switch; best effort."""

    def __init__(self, hosts: str, application: str) -> None:
        self._client = KazooClient(hosts=hosts, timeout=3.0,
                                   connection_retry={"max_tries": -1, "max_delay": 2})
        host, pid = socket.gethostname(), os.getpid()
        self._path = f"{CLIENTS}/{application}@{host}:{pid}"
        self._document = {"application": application, "host": host, "pid": pid}

    def start(self) -> None:
        # A new session (the ZooKeeper restarted, or this one expired) lost the node.
        self._client.add_listener(lambda state: self._send() if state == KazooState.CONNECTED
                                  and "cluster" in self._document else None)
        self._client.start_async()

    def stop(self) -> None:
        self._client.stop()
        self._client.close()

    def report(self, cluster: str, epoch: int) -> None:
        self._document.update(cluster=cluster, epoch=epoch, since=time.time())
        self._send()

    def _send(self) -> None:
        data = json.dumps(self._document).encode()
        threading.Thread(target=self._write, args=(data,), daemon=True).start()

    def _write(self, data: bytes) -> None:
        try:
            if self._client.exists(self._path):
                self._client.set(self._path, data)
            else:
                self._client.create(self._path, data, ephemeral=True,
                                    acl=[make_acl("world", "anyone", all=True)])
        except KazooException as error:
            log.info("could not report to %s: %s", self._path, error)
