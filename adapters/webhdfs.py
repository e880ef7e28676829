"""WebHDFS, as Lockstep uses it: the only module that imports the `hdfs` package.

`hdfs` 2.7.3 lacks GETSNAPSHOTDIFF, GETSNAPSHOTDIFFLISTING, GETSNAPSHOTTABLEDIRECTORYLIST,
GETSNAPSHOTLIST, GETSTATUS, LISTSTATUS_BATCH, the extended attribute and the quota
operations; they are declared here on its private request hook, in one place.
Every failure, remote or connection, surfaces as `WebHdfsError`.
"""

import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, overload
from urllib.parse import urlsplit

import requests
from hdfs import HdfsError, InsecureClient
from hdfs.client import _Request
from requests.adapters import HTTPAdapter

from adapters import diff_listing, failures
from adapters.diff_listing import DiffKind
from adapters.relay import RelayError, relay, relayable

Status = dict[str, Any]


class WebHdfsError(Exception):
    """A failed WebHDFS call; `exception` is the RemoteException's name (for example
    `FileNotFoundException`, `SnapshotException`), or `ConnectionError` when the
    namenode did not answer, or None when the server gave no name."""

    def __init__(self, exception: str | None, message: str) -> None:
        super().__init__(message)
        self.exception = exception
        self.message = message


@dataclass(frozen=True)
class DiffEntry:
    kind: DiffKind
    source: str  # relative to the snapshot root, "" for the root itself
    target: str | None = None  # RENAME only


@dataclass(frozen=True)
class SnapshotDiff:
    root: str
    from_snapshot: str
    to_snapshot: str
    entries: list[DiffEntry]


@dataclass(frozen=True)
class SnapshottableDir:
    path: str
    snapshot_count: int
    snapshot_quota: int
    status: Status


@dataclass(frozen=True)
class Snapshot:
    name: str
    snapshot_id: int
    created: int  # ms since the epoch
    status: Status


# urllib3 sends a request body in 16 KiB pieces by default; bigger pieces halve the
# client's CPU per uploaded GiB (measured in benchmarks/webhdfs_throughput.py).
UPLOAD_BLOCKSIZE = 256 * 1024
STREAM_CHUNK = 4 * 1024 * 1024  # a copy streamed through this process reads this much at once
# Kept-alive connections per host (namenode, datanode) of one session. Its clients share
# it across threads: a copy's eight files at a time, a synchronized snapshot's one
# thread per root, the console's concurrent pages. Beyond this many at once a call still
# runs, on a connection closed after it.
POOL_SIZE = 32
# Sessions kept per process: one per (namenode URL, user), so a handful per cluster
# registry; an edited cluster's old one is dropped once this many newer ones exist.
SESSIONS_KEPT = 32


class _BulkUploads(HTTPAdapter):
    def __init__(self) -> None:
        super().__init__(pool_maxsize=POOL_SIZE)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, blocksize=UPLOAD_BLOCKSIZE,
                                 **pool_kwargs)


def upload_session() -> requests.Session:
    """A requests session that uploads in UPLOAD_BLOCKSIZE pieces.

    It ignores proxy and netrc settings from the environment: looking them up on every
    call was a fifth of a small-file copy's time, and cluster endpoints are reached
    directly."""
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", _BulkUploads())
    session.mount("https://", _BulkUploads())
    return session


_sessions: dict[tuple[str, str], requests.Session] = {}
_sessions_lock = threading.Lock()


def pooled_session(url: str, user: str) -> requests.Session:
    """This process's session for the namenode at `url` as `user`: every client of one
    cluster reuses its kept-alive connections instead of paying a TCP handshake (and a
    port left in TIME_WAIT) per call. A cluster whose URL or user changed gets a new
    session, since the session carries both."""
    key = (url, user)
    with _sessions_lock:
        if key not in _sessions:
            if len(_sessions) >= SESSIONS_KEPT:
                # Clients holding it keep using it; its connections close with it.
                del _sessions[next(iter(_sessions))]
            _sessions[key] = upload_session()
        return _sessions[key]


def _forget_sessions() -> None:
    """In a forked child (an RQ work horse): the parent's connections are not its to use,
    and the lock may have been held by a thread that the child does not have."""
    global _sessions_lock
    _sessions.clear()
    _sessions_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_sessions)


class _Client(InsecureClient):
    # The package names an operation after the attribute (underscores dropped).
    _get_snapshot_diff = _Request("GET")
    _get_snapshottable_directory_list = _Request("GET")
    _get_snapshot_list = _Request("GET")
    _get_status = _Request("GET")
    _get_snapshot_diff_listing = _Request("GET")
    _get_x_attrs = _Request("GET")
    _set_x_attr = _Request("PUT")
    _remove_x_attr = _Request("PUT")
    _get_quota_usage = _Request("GET")
    _set_quota = _Request("PUT")
    _set_quota_by_storage_type = _Request("PUT")


# LISTSTATUS_BATCH keeps its underscore, which an attribute name cannot carry through.
_list_status_batch = _Request("GET").to_method("LISTSTATUS_BATCH")


@contextmanager
def _translated(name: str) -> Iterator[None]:
    """Every failure as a WebHdfsError; one that never reached the server names it
    (`name`) and says how, in words people read."""
    try:
        yield
    except HdfsError as error:
        raise WebHdfsError(error.exception, str(error.message)) from error
    except requests.ConnectionError as error:
        raise WebHdfsError("ConnectionError", failures.unreachable(name, error)) from error
    except RelayError as error:
        raise WebHdfsError(error.exception, error.message) from error
    except OSError as error:  # a socket of the relay's, outside its own checks
        raise WebHdfsError("ConnectionError", failures.unreachable(name, error)) from error


def _join(parent: str, name: str) -> str:
    return parent.rstrip("/") + "/" + name if name else parent or "/"


class WebHdfs:
    """A client of one namenode as one user; each call fails after `timeout` seconds
    (connect, and between bytes). Clients are cheap: they share their process's
    connection pool for `url` and `user`."""

    def __init__(self, url: str, user: str, timeout: float | None = None,
                 name: str | None = None) -> None:
        self.url = url
        self.user = user
        self.timeout = timeout
        # How failures name it: "site-b's WebHDFS (127.0.0.1:9871)".
        self.name = name or f"WebHDFS ({urlsplit(url).netloc})"
        self._client = _Client(url, user=user, timeout=timeout,
                               session=pooled_session(url, user))

    # status and listing

    @overload
    def status(self, path: str, strict: Literal[True] = True) -> Status: ...
    @overload
    def status(self, path: str, strict: bool) -> Status | None: ...

    def status(self, path: str, strict: bool = True) -> Status | None:
        """The path's FileStatus; None for a missing path only when not `strict`."""
        with _translated(self.name):
            return self._client.status(path, strict=strict)

    def list_dir(self, path: str) -> list[tuple[str, Status]]:
        with _translated(self.name):
            return self._client.list(path, status=True)

    def list_batches(self, path: str) -> Iterator[tuple[str, Status]]:
        """List a large directory page by page (LISTSTATUS_BATCH)."""
        start_after: str | None = None
        while True:
            with _translated(self.name):
                listing = _list_status_batch(self._client, path, startAfter=start_after).json()
            page = listing["DirectoryListing"]
            statuses = page["partialListing"]["FileStatuses"]["FileStatus"]
            for status in statuses:
                yield status["pathSuffix"], status
            if not page["remainingEntries"] or not statuses:
                return
            start_after = statuses[-1]["pathSuffix"]

    def content(self, path: str) -> Status:
        with _translated(self.name):
            return self._client.content(path)

    def fs_status(self) -> dict[str, int]:
        """The file system's capacity, used and remaining bytes (GETSTATUS)."""
        with _translated(self.name):
            return self._client._get_status("/").json()["FsStatus"]

    def checksum(self, path: str) -> Status:
        with _translated(self.name):
            return self._client.checksum(path)

    # data

    @contextmanager
    def read(self, path: str, offset: int = 0, length: int | None = None,
             chunk_size: int = 1024 * 1024) -> Iterator[Iterator[bytes]]:
        with _translated(self.name), self._client.read(path, offset=offset, length=length,
                                              chunk_size=chunk_size) as chunks:
            yield chunks

    def write(self, path: str, data: bytes | Iterable[bytes] | Any, overwrite: bool = False,
              permission: str | None = None, replication: int | None = None,
              blocksize: int | None = None) -> None:
        """Create a file from bytes, an iterable of chunks (sent chunked) or a file object."""
        with _translated(self.name):
            self._client.write(path, data=data, overwrite=overwrite, permission=permission,
                               replication=replication, blocksize=blocksize)

    def copy_to(self, path: str, target: "WebHdfs", target_path: str, length: int,
                permission: str | None = None, replication: int | None = None,
                blocksize: int | None = None) -> None:
        """Copy a file of `length` bytes to `target_path` on another cluster, replacing
        it: datanode to datanode through the kernel when both datanodes speak plain
        HTTP, else streamed through this process."""
        with _translated(self.name):
            open_url = self._client._open(path, offset=0, noredirect=True).json()["Location"]
            create_url = target._client._create(
                target_path, overwrite=True, permission=permission, replication=replication,
                blocksize=blocksize).headers["location"]
            if (relayable(open_url) and relayable(create_url)
                    and relay(open_url, create_url, length, self.timeout)):
                return
        with self.read(path, chunk_size=STREAM_CHUNK) as chunks:
            target.write(target_path, chunks, overwrite=True, permission=permission,
                         replication=replication, blocksize=blocksize)

    def append(self, path: str, data: bytes | Iterable[bytes] | Any) -> None:
        with _translated(self.name):
            self._client.write(path, data=data, append=True)

    # namespace changes

    def makedirs(self, path: str, permission: str | None = None) -> None:
        with _translated(self.name):
            self._client.makedirs(path, permission=permission)

    def delete(self, path: str, recursive: bool = False) -> bool:
        with _translated(self.name):
            return self._client.delete(path, recursive=recursive)

    def rename(self, source: str, destination: str) -> None:
        with _translated(self.name):
            self._client.rename(source, destination)

    def set_owner(self, path: str, owner: str | None = None, group: str | None = None) -> None:
        with _translated(self.name):
            self._client.set_owner(path, owner=owner, group=group)

    def set_permission(self, path: str, permission: str) -> None:
        with _translated(self.name):
            self._client.set_permission(path, permission)

    def set_times(self, path: str, access_time: int | None = None,
                  modification_time: int | None = None) -> None:
        with _translated(self.name):
            self._client.set_times(path, access_time=access_time,
                                   modification_time=modification_time)

    def set_replication(self, path: str, replication: int) -> None:
        with _translated(self.name):
            self._client.set_replication(path, replication)

    # ACLs

    def acl_status(self, path: str) -> Status:
        with _translated(self.name):
            return self._client.acl_status(path)

    def set_acl(self, path: str, spec: str) -> None:
        with _translated(self.name):
            self._client.set_acl(path, spec, clear=True)

    def modify_acl_entries(self, path: str, spec: str) -> None:
        with _translated(self.name):
            self._client.set_acl(path, spec, clear=False)

    def remove_acl_entries(self, path: str, spec: str) -> None:
        with _translated(self.name):
            self._client.remove_acl_entries(path, spec)

    def remove_default_acl(self, path: str) -> None:
        with _translated(self.name):
            self._client.remove_default_acl(path)

    def remove_acl(self, path: str) -> None:
        with _translated(self.name):
            self._client.remove_acl(path)

    # snapshots

    def allow_snapshot(self, path: str) -> None:
        with _translated(self.name):
            self._client.allow_snapshot(path)

    def disallow_snapshot(self, path: str) -> None:
        with _translated(self.name):
            self._client.disallow_snapshot(path)

    def create_snapshot(self, path: str, name: str | None = None) -> str:
        """Take a snapshot and return its path, `DIR/.snapshot/NAME`."""
        with _translated(self.name):
            return self._client.create_snapshot(path, snapshotname=name)

    def delete_snapshot(self, path: str, name: str) -> None:
        with _translated(self.name):
            self._client.delete_snapshot(path, name)

    def rename_snapshot(self, path: str, old: str, new: str) -> None:
        with _translated(self.name):
            self._client.rename_snapshot(path, old, new)

    def snapshot_diff(self, path: str, from_snapshot: str, to_snapshot: str) -> SnapshotDiff:
        """Changes from one snapshot to another; "" names the current tree. Between two
        snapshots, as Hadoop's client does, in pages (GETSNAPSHOTDIFFLISTING), so that a
        large diff is never one answer; a server without it answers the whole report."""
        if from_snapshot and to_snapshot:
            try:
                entries = [DiffEntry(kind, source, target) for kind, source, target
                           in diff_listing.report(self.diff_pages(path, from_snapshot,
                                                                  to_snapshot))]
                return SnapshotDiff(path, from_snapshot, to_snapshot, entries)
            except WebHdfsError as error:
                if not diff_listing.unsupported(error.exception, error.message):
                    raise
        with _translated(self.name):
            report = self._client._get_snapshot_diff(
                path, oldsnapshotname=from_snapshot, snapshotname=to_snapshot
            ).json()["SnapshotDiffReport"]
        entries = [DiffEntry(item["type"], item["sourcePath"], item.get("targetPath"))
                   for item in report["diffList"]]
        return SnapshotDiff(report["snapshotRoot"], report["fromSnapshot"],
                            report["toSnapshot"], entries)

    def diff_pages(self, path: str, from_snapshot: str, to_snapshot: str
                   ) -> Iterator[Status]:
        """The pages of GETSNAPSHOTDIFFLISTING, each asked for once the last is used."""
        last_path, last_index = "", -1
        while True:
            with _translated(self.name):
                page = self._client._get_snapshot_diff_listing(
                    path, oldsnapshotname=from_snapshot, snapshotname=to_snapshot,
                    snapshotdiffstartpath=last_path, snapshotdiffindex=last_index,
                ).json()["SnapshotDiffReportListing"]
            yield page
            last_path, last_index = page.get("lastPath", ""), page.get("lastIndex", -1)
            if not last_path and last_index == -1:
                return

    # extended attributes and quotas

    def xattrs(self, path: str) -> dict[str, str]:
        """Every extended attribute the user may read, its value hex-encoded (`0x…`)."""
        with _translated(self.name):
            found = self._client._get_x_attrs(path, encoding="HEX").json()["XAttrs"]
        return {item["name"]: item["value"] or "" for item in found}

    def set_xattr(self, path: str, name: str, value: str) -> None:
        """Create or replace an attribute; `value` encoded as GETXATTRS gives it."""
        with _translated(self.name):
            self._client._set_x_attr(path, flag="CREATE,REPLACE",
                                     **{"xattr.name": name, "xattr.value": value})

    def remove_xattr(self, path: str, name: str) -> None:
        with _translated(self.name):
            self._client._remove_x_attr(path, **{"xattr.name": name})

    def quota_usage(self, path: str) -> Status:
        with _translated(self.name):
            return self._client._get_quota_usage(path).json()["QuotaUsage"]

    def set_quota(self, path: str, namespace: int, space: int) -> None:
        """-1 clears a quota."""
        with _translated(self.name):
            self._client._set_quota(path, namespacequota=namespace, storagespacequota=space)

    def set_type_quota(self, path: str, storage_type: str, space: int) -> None:
        with _translated(self.name):
            self._client._set_quota_by_storage_type(path, storagetype=storage_type,
                                                    storagespacequota=space)

    def snapshottable_dirs(self) -> list[SnapshottableDir]:
        """Every snapshottable directory for the superuser, else the user's own."""
        with _translated(self.name):
            listing = self._client._get_snapshottable_directory_list("/").json()
        return [
            SnapshottableDir(_join(item["parentFullPath"], item["dirStatus"]["pathSuffix"]),
                             item["snapshotNumber"], item["snapshotQuota"], item["dirStatus"])
            for item in listing["SnapshottableDirectoryList"] or []
        ]

    def snapshots(self, path: str) -> list[Snapshot]:
        with _translated(self.name):
            listing = self._client._get_snapshot_list(path).json()
        return [
            Snapshot(item["dirStatus"]["pathSuffix"], item["snapshotID"],
                     item["dirStatus"]["modificationTime"], item["dirStatus"])
            for item in listing["SnapshotList"]
        ]
