"""Whether this cluster is a secondary now, or a primary fenced for a planned switchover,
from the identity in its own ZooKeeper.

A secondary holds restore points and the live copy replication keeps equal to the
primary: an application that wrote there (a client left pointing at the old primary
after a failover, or at the replica by mistake) would be rolled back by the next round,
or worse, be read as the primary's data after one. So while the identity says
"secondary", application users' writes are refused with Hadoop's StandbyException, as
a standby namenode refuses them; superusers (the console, which replicates) still
write. A primary fenced for a planned switchover's final rounds refuses them the same
way. On a real cluster a Ranger deny policy or a router mount table does this.

The identity is watched, not polled: a failover's write reaches the server within
milliseconds. Until the ZooKeeper answers the role is unknown and nothing is refused:
the server must serve the primary's applications even when its ZooKeeper is late.
"""

import json
import logging
import threading

from kazoo.client import KazooClient
from kazoo.protocol.states import ZnodeStat

from minicluster.webhdfs.errors import IOFailure
from minicluster.webhdfs.permissions import Caller

log = logging.getLogger(__name__)
IDENTITY = "/lockstep/identity"
# Reconnect quickly and for ever: kazoo's default back-off grows to an hour.
RETRY = {"max_tries": -1, "delay": 0.1, "backoff": 1.5, "max_delay": 1.0}


class StandbyException(IOFailure):
    java_class = "org.apache.hadoop.ipc.StandbyException"


class Standby:
    """The cluster's role as its ZooKeeper last said; `check` refuses a write by an
    application user while it is secondary."""

    def __init__(self, zookeeper_hosts: str | None) -> None:
        self.epoch: int | None = None
        self.secondary = False
        self.fenced = False
        self._client: KazooClient | None = None
        if zookeeper_hosts:
            self._client = KazooClient(hosts=zookeeper_hosts, connection_retry=RETRY,
                                       read_only=True)
            threading.Thread(target=self._watch, name="identity-watch", daemon=True).start()

    def _watch(self) -> None:
        client = self._client
        assert client is not None
        client.start(timeout=None)
        client.DataWatch(IDENTITY, self._changed)

    def _changed(self, data: bytes | None, _: ZnodeStat | None) -> None:
        try:
            identity = json.loads(data) if data else {}
        except ValueError:
            identity = {}
        role = identity.get("role") if isinstance(identity, dict) else None
        self.secondary = role == "secondary"
        self.fenced = role == "primary" and identity.get("fenced") is True
        self.epoch = identity.get("epoch") if self.secondary or self.fenced else None
        log.info("identity: %s%s", role or "none", " (fenced)" if self.fenced else "")

    def check(self, caller: Caller) -> None:
        if caller.superuser:
            return
        if self.secondary:
            raise StandbyException(
                "Operation category WRITE is not supported in state standby: this cluster "
                f"is the secondary of its pairing (epoch {self.epoch}); write to the primary")
        if self.fenced:
            raise StandbyException(
                "Operation category WRITE is not supported in state standby: writes are "
                f"fenced on this cluster for a planned switchover (epoch {self.epoch}); write "
                "to the new primary once the switchover is done")

    def close(self) -> None:
        if self._client is not None:
            self._client.stop()
            self._client.close()
