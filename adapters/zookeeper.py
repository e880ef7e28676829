"""ZooKeeper through kazoo: one short-lived client per cluster for reads and writes
(`ZooKeeper`), and one long-lived watching session per cluster for the failover monitor
(`Watch`).

The console holds a digest credential ("user:password"): what it writes under ROOT
only that credential may change, and anyone may read, so that applications and the
failover client read identities anonymously while no other local user can forge one.
Digest credentials need nothing configured on the server: the node's ACL names them.
"""

import json
import threading
import time
from collections.abc import Callable
from types import TracebackType

from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadVersionError,
    KazooException,
    NoAuthError,
    NodeExistsError,
    NoNodeError,
)
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.protocol.states import KazooState, ZnodeStat
from kazoo.recipe.watchers import DataWatch
from kazoo.security import ACL, make_acl, make_digest_acl

ROOT = "/lockstep"
CLOCK = f"{ROOT}/clock"
# Where applications' failover clients report which cluster they use (failover/client.py).
CLIENTS = f"{ROOT}/clients"


class ZooKeeperError(Exception):
    """A ZooKeeper that does not answer or refuses a request; the message says which."""


class VersionConflict(ZooKeeperError):
    """A compare-and-set write lost: someone changed the node since it was read."""


# The version of a node that does not exist: writing "at" it means creating the node.
ABSENT = -1


def console_acl(auth: str) -> list[ACL]:
    """Everything for the holder of `auth` ("user:password"), reading for anyone."""
    user, _, password = auth.partition(":")
    return [make_digest_acl(user, password, all=True), make_acl("world", "anyone", read=True)]


def _document(data: bytes) -> dict:
    """A node's JSON object; {} for a node that holds none (made by another hand)."""
    try:
        document = json.loads(data)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


class ZooKeeper:
    def __init__(self, hosts: str, timeout: float = 3.0, auth: str | None = None) -> None:
        """`auth` is the console's digest credential; without it the session may only
        read what the console wrote."""
        self.hosts = hosts
        self.timeout = timeout
        self.auth = auth
        self._acl = console_acl(auth) if auth else None
        self._client: KazooClient | None = None

    def __enter__(self) -> "ZooKeeper":
        client = KazooClient(hosts=self.hosts, timeout=self.timeout,
                             connection_retry={"max_tries": 1, "delay": 0.1},
                             auth_data=[("digest", self.auth)] if self.auth else None,
                             default_acl=self._acl)
        try:
            client.start(timeout=self.timeout)
        except (KazooTimeoutError, KazooException, OSError) as error:
            client.close()
            raise ZooKeeperError(
                f"ZooKeeper at {self.hosts} does not answer within {self.timeout:.0f} s"
            ) from error
        self._client = client
        return self

    def __exit__(self, kind: type | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._client is not None:
            self._client.stop()
            self._client.close()
            self._client = None

    @property
    def client(self) -> KazooClient:
        if self._client is None:
            raise RuntimeError("use ZooKeeper as a context manager")
        return self._client

    def read_json(self, path: str) -> dict | None:
        """The JSON document at `ROOT/path`, or None when there is none."""
        return self.read_versioned(path)[0]

    def read_versioned(self, path: str) -> tuple[dict | None, int]:
        """The JSON document at `ROOT/path` and its version (ABSENT: no node)."""
        try:
            data, stat = self.client.get(f"{ROOT}/{path}")
        except NoNodeError:
            return None, ABSENT
        except KazooException as error:
            raise ZooKeeperError(f"reading {path} from {self.hosts} failed: {error}") from error
        return _document(data), stat.version

    def write_versioned(self, path: str, document: dict, version: int) -> int:
        """Write the JSON document at `ROOT/path` only if the node is still at `version`
        (ABSENT: only if there is none): of two writers that read the same version,
        exactly one wins and the other gets VersionConflict. Returns the new version."""
        full = f"{ROOT}/{path}"
        data = json.dumps(document, sort_keys=True).encode()
        try:
            if version == ABSENT:
                self.client.create(full, data, makepath=True)
                written = 0
            else:
                written = self.client.set(full, data, version=version).version
            self._protect(ROOT, full)
        except (NodeExistsError, BadVersionError, NoNodeError) as error:
            raise VersionConflict(
                f"{full} on {self.hosts} changed since it was read: another console or "
                "pairing wrote it") from error
        except NoAuthError as error:
            raise self._not_ours(path) from error
        except KazooException as error:
            raise ZooKeeperError(f"writing {path} to {self.hosts} failed: {error}") from error
        return written

    def delete(self, path: str, version: int = ABSENT) -> None:
        """Delete `ROOT/path` (only at `version`, when given); gone already is fine."""
        try:
            self.client.delete(f"{ROOT}/{path}", version=version)
        except NoNodeError:
            pass
        except BadVersionError as error:
            raise VersionConflict(
                f"{ROOT}/{path} on {self.hosts} changed since it was read: another console "
                "or pairing wrote it") from error
        except NoAuthError as error:
            raise self._not_ours(path) from error
        except KazooException as error:
            raise ZooKeeperError(f"deleting {path} on {self.hosts} failed: {error}") from error

    def publish_only(self, path: str, name: str, data: bytes) -> bool:
        """Make `name` (holding `data`) the only child of `ROOT/path`; False when it was
        already. Readable by anyone, like everything under ROOT."""
        parent = f"{ROOT}/{path}"
        try:
            self.client.ensure_path(parent)
            children = self.client.get_children(parent)
            if children == [name] and self.client.get(f"{parent}/{name}")[0] == data:
                return False
            for child in children:
                if child != name:
                    self.client.delete(f"{parent}/{child}")
            if name in children:
                self.client.set(f"{parent}/{name}", data)
            else:
                self.client.create(f"{parent}/{name}", data)
        except NoAuthError as error:
            raise self._not_ours(path) from error
        except KazooException as error:
            raise ZooKeeperError(f"writing {parent} to {self.hosts} failed: {error}") from error
        return True

    def delete_tree(self, path: str) -> None:
        """Delete `ROOT/path` and everything below it; gone already is fine."""
        try:
            self.client.delete(f"{ROOT}/{path}", recursive=True)
        except NoNodeError:
            pass
        except NoAuthError as error:
            raise self._not_ours(path) from error
        except KazooException as error:
            raise ZooKeeperError(f"deleting {path} on {self.hosts} failed: {error}") from error

    def claim_root(self) -> None:
        """Create ROOT with the console's ACL before anyone else can: a node another local
        user made first would lock the console out or feed readers its own identities."""
        try:
            self.client.ensure_path(ROOT)
            self._protect(ROOT)
        except NoAuthError as error:
            raise self._not_ours("") from error
        except KazooException as error:
            raise ZooKeeperError(f"creating {ROOT} on {self.hosts} failed: {error}") from error

    def open_clients(self) -> None:
        """CLIENTS, in which anyone may create a node (an application's client reporting
        itself, ephemeral) and read, and only the console may do more."""
        try:
            self.client.ensure_path(CLIENTS)
            if self._acl is not None:
                self.client.set_acls(CLIENTS, [
                    *(acl for acl in self._acl if acl.id.scheme != "world"),
                    make_acl("world", "anyone", read=True, create=True)])
        except NoAuthError as error:
            raise self._not_ours("clients") from error
        except KazooException as error:
            raise ZooKeeperError(f"creating {CLIENTS} on {self.hosts} failed: {error}") from error

    def _protect(self, *paths: str) -> None:
        """Give nodes made before the console had a credential (or by another hand that
        left them open) the console's ACL: creating or deleting a child needs the
        parent's permission, so ROOT is protected too."""
        if self._acl is None:
            return
        for path in paths:
            acl, _ = self.client.get_acls(path)
            if set(acl) != set(self._acl):
                self.client.set_acls(path, self._acl)

    def _not_ours(self, path: str) -> ZooKeeperError:
        if self.auth is None:
            return ZooKeeperError(f"ZooKeeper at {self.hosts} lets only the console change "
                                  f"{ROOT}/{path}")
        return ZooKeeperError(
            f"ZooKeeper at {self.hosts} refuses the console's credential for {ROOT}/{path}: "
            f"the node was made with another credential; ZooKeeper's administrator must "
            f"remove {ROOT} or give the console's digest all rights on it"
        )

    def clock_offset(self) -> tuple[float, float]:
        """(server clock minus local clock, uncertainty), both in seconds.

        ZooKeeper stamps a node's ctime with its own clock; the local clock is read
        before and after the create, so the true offset lies within ± half the round trip.
        """
        before = time.time()
        try:
            path = self.client.create(f"{CLOCK}/probe-", ephemeral=True, sequence=True,
                                      makepath=True)
            after = time.time()
            _, stat = self.client.get(path)
            self.client.delete(path)
            # Left open, the folder could be locked against the console by anyone,
            # and every pairing refused for want of a clock reading.
            self._protect(ROOT, CLOCK)
        except NoAuthError as error:
            raise self._not_ours("clock") from error
        except KazooException as error:
            raise ZooKeeperError(f"clock probe on {self.hosts} failed: {error}") from error
        midpoint = (before + after) / 2
        return stat.ctime / 1000 - midpoint, (after - before) / 2


# A long-lived session reconnects every 0.1 s at first and at least once a second: kazoo's
# default back-off grows to an hour, and a ZooKeeper back after a minute would stay
# unseen for as long.
RECONNECT = {"max_tries": -1, "delay": 0.1, "backoff": 1.5, "max_delay": 1.0}


class Watch:
    """A session to one cluster's ZooKeeper that lasts while the monitor runs: it says
    whether the session is connected now, and keeps the JSON document at `ROOT/path` as
    the server last told it.

    A ZooKeeper that dies makes the session SUSPENDED within milliseconds, but never LOST
    while it stays down; so `connected` is the answer, and how long a disconnection may
    last before it counts is for the caller's own grace timer. `on_change` is called from
    kazoo's threads (it must not block) whenever the connection or the document changes.
    """

    def __init__(self, hosts: str, path: str, on_change: Callable[[], None],
                 timeout: float = 3.0, auth: str | None = None) -> None:
        self.hosts = hosts
        self.timeout = timeout
        self._path = f"{ROOT}/{path}"
        self._on_change = on_change
        self._client = KazooClient(hosts=hosts, timeout=timeout, connection_retry=RECONNECT,
                                   auth_data=[("digest", auth)] if auth else None)
        self._lock = threading.Lock()
        self._state = KazooState.LOST
        self._watching = False
        self._document: dict | None = None
        self._read = False

    def start(self) -> None:
        """Connect, waiting up to `timeout` for the first connection; a ZooKeeper that is
        down now is connected to in the background as soon as it answers."""
        self._client.add_listener(self._state_changed)
        self._client.start_async().wait(self.timeout)

    def stop(self) -> None:
        self._client.stop()
        self._client.close()

    @property
    def connected(self) -> bool:
        return self._state == KazooState.CONNECTED

    @property
    def document(self) -> tuple[bool, dict | None]:
        """(read, document): whether the node has been read yet, and its JSON object as
        last read (None: there is no node)."""
        with self._lock:
            return self._read, self._document

    def ping(self) -> float:
        """Seconds the server takes to answer one request on this session; ZooKeeperError
        when the session is not connected or the answer takes over `timeout`."""
        # A request made while the session is suspended waits for the reconnection:
        # that it is suspended is the answer already.
        if not self.connected:
            raise ZooKeeperError(f"ZooKeeper at {self.hosts} does not answer: the session "
                                 f"is {self._state.lower()}, reconnecting")
        started = time.monotonic()
        try:
            self._client.exists_async(self._path).get(timeout=self.timeout)
        except (KazooException, KazooTimeoutError) as error:
            raise ZooKeeperError(f"ZooKeeper at {self.hosts} did not answer within "
                                 f"{self.timeout:g} s ({type(error).__name__})") from error
        return time.monotonic() - started

    def children(self, path: str) -> dict[str, dict]:
        """Each child of `ROOT/path` with its JSON document, read now; {} when there is
        none, and ZooKeeperError when the session is not connected or slow."""
        if not self.connected:
            raise ZooKeeperError(f"ZooKeeper at {self.hosts} does not answer")
        parent = f"{ROOT}/{path}"
        try:
            names = self._client.get_children_async(parent).get(timeout=self.timeout)
            found = {}
            for name in names:
                try:
                    data, _ = self._client.get_async(f"{parent}/{name}").get(
                        timeout=self.timeout)
                except NoNodeError:
                    continue  # gone between the listing and the read
                found[name] = _document(data)
        except NoNodeError:
            return {}
        except (KazooException, KazooTimeoutError) as error:
            raise ZooKeeperError(f"reading {parent} from {self.hosts} failed "
                                 f"({type(error).__name__})") from error
        return found

    def _state_changed(self, state: str) -> None:
        self._state = state
        if state == KazooState.CONNECTED and not self._watching:
            # A DataWatch reads before it returns, retrying with kazoo's own growing
            # back-off while there is no connection: made once connected, it returns at
            # once, and then follows the node across reconnections by itself.
            self._watching = True
            self._client.handler.spawn(DataWatch, self._client, self._path,
                                       self._document_changed)
        self._on_change()

    def _document_changed(self, data: bytes | None, stat: ZnodeStat | None) -> None:
        with self._lock:
            self._document = None if data is None else _document(data)
            self._read = True
        self._on_change()
