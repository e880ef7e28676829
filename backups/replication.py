"""Copying one data set from a snapshot on one cluster to the live tree on another.

`sync_data_set` follows DistCp's `-update -diff s1 s2`: given the changes between
the source's two snapshots, it moves renamed and deleted paths on the target out of
the way, puts renamed ones at their new names, and copies what was created or
modified from the newer snapshot. With no older snapshot it copies everything. The
same function rolls a target back to one of its own snapshots (the source is then the
target itself, and the diff the reversed one). Every copied file is verified by length
and checksum, and carries its owner, group, permission, ACL and times.
"""

import posixpath
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from adapters.webhdfs import DiffEntry, Status, WebHdfs

PARALLEL_FILES = 8


class VerificationFailed(Exception):
    """A copied file that does not match its source."""


@dataclass
class Progress:
    """Counters a task reports while it copies; `report` is called after each file."""

    report: Callable[["Progress"], None] = lambda progress: None
    files_total: int = 0
    bytes_total: int = 0
    files_done: int = 0
    bytes_done: int = 0
    changes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def plan(self, files: int, size: int) -> None:
        with self._lock:
            self.files_total += files
            self.bytes_total += size

    def done(self, size: int) -> None:
        with self._lock:
            self.files_done += 1
            self.bytes_done += size
        self.report(self)


@dataclass(frozen=True)
class Tree:
    """A directory tree on one cluster, e.g. `/data/.snapshot/s2/acme/bills`."""

    client: WebHdfs
    path: str

    def at(self, relative: str) -> str:
        return posixpath.join(self.path, relative) if relative else self.path


def relative_to(root: str, path: str) -> str:
    """`path` relative to the snapshottable `root` it lies under; "" for the root itself
    (the form snapshot diffs and `.snapshot` views take)."""
    return "" if path == root else posixpath.relpath(path, root)


def relative_entries(entries: list[DiffEntry], root_relative: str) -> list[DiffEntry]:
    """The entries of a root's diff that concern the subtree `root_relative`, made
    relative to it. A rename out of the subtree is a delete, into it a create."""
    prefix = root_relative.strip("/")

    def inside(path: str) -> str | None:
        if not prefix:
            return path
        if path == prefix:
            return ""
        return path[len(prefix) + 1:] if path.startswith(prefix + "/") else None

    found = []
    for entry in entries:
        source = inside(entry.source)
        target = inside(entry.target) if entry.target is not None else None
        if entry.kind == "RENAME":
            if source is not None and target is not None:
                found.append(DiffEntry("RENAME", source, target))
            elif source is not None:
                found.append(DiffEntry("DELETE", source))
            elif target is not None:
                found.append(DiffEntry("CREATE", target))
        elif source is not None:
            found.append(DiffEntry(entry.kind, source))
    return found


def _depth(path: str) -> int:
    return path.count("/") + (1 if path else 0)


def _translate(path: str, renames: list[tuple[str, str]]) -> str:
    """A path of the older tree, named as in the newer one (renames applied)."""
    for old, new in sorted(renames, key=lambda pair: -len(pair[0])):
        if path == old:
            return new
        if path.startswith(old + "/"):
            return new + path[len(old):]
    return path


def sync_data_set(source: Tree, target: Tree, entries: list[DiffEntry] | None,
                  progress: Progress) -> None:
    """Make `target` equal to `source`: from the diff `entries`, or wholly when None."""
    if entries is None:
        progress.changes.append("full copy")
        target.client.delete(target.path, recursive=True)
        _copy_tree(source, target, "", progress)
        return
    renames = [(e.source, e.target) for e in entries
               if e.kind == "RENAME" and e.target is not None]
    _move_aside(target, entries, renames, progress)
    changed: dict[str, bool] = {}  # path -> created; a path listed twice is copied once
    for entry in entries:
        if entry.kind in ("CREATE", "MODIFY"):
            path = _translate(entry.source, renames)
            progress.changes.append(f"{entry.kind.lower()} {path or '.'}")
            changed[path] = changed.get(path, False) or entry.kind == "CREATE"
    _copy_changed(source, target, changed, progress)


def _move_aside(target: Tree, entries: list[DiffEntry], renames: list[tuple[str, str]],
                progress: Progress) -> None:
    """Deletes and renames on the target, DistCp's way: sources into a temporary
    directory (deepest first), then renamed ones to their new names (shallowest first)."""
    moving = [e for e in entries if e.kind in ("RENAME", "DELETE")]
    if not moving:
        return
    client = target.client
    scratch = posixpath.join(posixpath.dirname(target.path.rstrip("/")) or "/",
                             f".lockstep-tmp-{uuid.uuid4().hex}")
    client.makedirs(scratch)
    parked: dict[str, str] = {}
    for entry in sorted(moving, key=lambda e: _depth(e.source), reverse=True):
        if client.status(target.at(entry.source), strict=False) is not None:
            parked[entry.source] = posixpath.join(scratch, str(len(parked)))
            client.rename(target.at(entry.source), parked[entry.source])
        progress.changes.append(
            f"rename {entry.source} → {entry.target}" if entry.kind == "RENAME"
            else f"delete {entry.source}")
    for old, new in sorted(renames, key=lambda pair: _depth(pair[1])):
        if old in parked:
            client.makedirs(posixpath.dirname(target.at(new)))
            client.rename(parked[old], target.at(new))
    client.delete(scratch, recursive=True)


def _copy_changed(source: Tree, target: Tree, changed: dict[str, bool],
                  progress: Progress) -> None:
    """The diff's created (True) and modified paths: new directories as whole trees, then
    the files PARALLEL_FILES at a time, then modified directories' attributes, deepest
    first (copying into them moved their times)."""
    paths = list(changed)
    with ThreadPoolExecutor(max_workers=PARALLEL_FILES) as pool:
        statuses = list(pool.map(
            lambda path: source.client.status(source.at(path), strict=False), paths))
    files, modified = [], []
    for path, status in zip(paths, statuses, strict=True):
        if status is None:  # changed again later in the diff: a later entry covers it
            continue
        if status["type"] != "DIRECTORY":
            files.append((path, status))
        elif changed[path]:
            _copy_tree(source, target, path, progress)
        else:
            target.client.makedirs(target.at(path))
            modified.append((path, status))
    _copy_files(source, target, files, progress)
    for path, status in sorted(modified, key=lambda item: _depth(item[0]), reverse=True):
        _carry_attributes(source, target, path, status)


def walk(source: Tree, relative: str) -> tuple[list[tuple[str, Status]], list[tuple[str, Status]]]:
    """(directories, files) below `relative`, parents before children."""
    directories, files = [], []
    pending = [relative]
    while pending:
        current = pending.pop(0)
        for name, status in source.client.list_dir(source.at(current)):
            child = posixpath.join(current, name) if current else name
            if status["type"] == "DIRECTORY":
                directories.append((child, status))
                pending.append(child)
            else:
                files.append((child, status))
    return directories, files


def _copy_tree(source: Tree, target: Tree, relative: str, progress: Progress) -> None:
    root_status = source.client.status(source.at(relative))
    target.client.makedirs(target.at(relative))
    directories, files = walk(source, relative)
    for directory, _ in directories:
        target.client.makedirs(target.at(directory))
    _copy_files(source, target, files, progress)
    # Directory attributes last: creating children moved their times.
    for directory, status in [*reversed(directories), (relative, root_status)]:
        _carry_attributes(source, target, directory, status)


def _copy_files(source: Tree, target: Tree, files: list[tuple[str, Status]],
                progress: Progress) -> None:
    progress.plan(len(files), sum(status["length"] for _, status in files))
    pool = ThreadPoolExecutor(max_workers=PARALLEL_FILES)
    try:
        for size in pool.map(lambda item: _copy_file(source, target, *item), files):
            progress.done(size)
    finally:
        # A failed file or a stopped round: the files not yet started are not started.
        pool.shutdown(cancel_futures=True)


def _copy_file(source: Tree, target: Tree, relative: str, status: Status) -> int:
    destination = target.at(relative)
    source.client.copy_to(source.at(relative), target.client, destination, status["length"],
                          permission=status["permission"],
                          replication=status["replication"] or None,
                          blocksize=status["blockSize"] or None)
    copied = _verify(source, target, relative, status)
    _carry_attributes(source, target, relative, status, copied)
    return status["length"]


def _verify(source: Tree, target: Tree, relative: str, status: Status) -> Status:
    """Check the copy's length and checksum against the source's; return its status."""
    copied = target.client.status(target.at(relative))
    if copied["length"] != status["length"]:
        raise VerificationFailed(f"{relative}: {copied['length']} bytes copied of "
                                 f"{status['length']}")
    if source.client.checksum(source.at(relative)) != target.client.checksum(target.at(relative)):
        raise VerificationFailed(f"{relative}: checksum differs after the copy")
    return copied


def _carry_attributes(source: Tree, target: Tree, relative: str, status: Status,
                      current: Status | None = None) -> None:
    """Give the target the source's owner, group, permission, ACL, extended attributes,
    times and (for a directory) quotas. With the target's `current` status (a file just
    copied, a new inode with no extended attributes), owner, group and permission that
    already match are not set again: a small file's copy is mostly such calls."""
    path = target.at(relative)
    client = target.client
    if current is None or (current["owner"], current["group"]) != (status["owner"],
                                                                    status["group"]):
        client.set_owner(path, owner=status["owner"], group=status["group"])
    if current is None or current["permission"] != status["permission"]:
        client.set_permission(path, status["permission"])
    if status.get("aclBit"):
        entries = source.client.acl_status(source.at(relative))["entries"]
        if entries:
            client.modify_acl_entries(path, ",".join(entries))
    _carry_xattrs(source, target, relative, {} if current is not None else None)
    if status["type"] == "DIRECTORY":
        _carry_quotas(source, target, relative)
    client.set_times(path, access_time=status["accessTime"] or None,
                     modification_time=status["modificationTime"])


def _carry_xattrs(source: Tree, target: Tree, relative: str,
                  present: dict[str, str] | None) -> None:
    """Make the target's extended attributes the source's; `present` is what the target
    has, when known."""
    wanted = source.client.xattrs(source.at(relative))
    path = target.at(relative)
    if present is None:
        present = target.client.xattrs(path)
    for name, value in wanted.items():
        if present.get(name) != value:
            target.client.set_xattr(path, name, value)
    for name in present.keys() - wanted.keys():
        target.client.remove_xattr(path, name)


def _carry_quotas(source: Tree, target: Tree, relative: str) -> None:
    """A directory's namespace, space and per-storage-type quotas, set after its
    contents are in place (a quota set first could refuse them)."""
    wanted = source.client.quota_usage(source.at(relative))
    path = target.at(relative)
    present = target.client.quota_usage(path)
    if (present["quota"], present["spaceQuota"]) != (wanted["quota"], wanted["spaceQuota"]):
        target.client.set_quota(path, wanted["quota"], wanted["spaceQuota"])
    wanted_types = {kind: entry["quota"] for kind, entry in wanted.get("typeQuota", {}).items()}
    present_types = {kind: entry["quota"]
                     for kind, entry in present.get("typeQuota", {}).items()}
    for kind in wanted_types.keys() | present_types.keys():
        if wanted_types.get(kind, -1) != present_types.get(kind, -1):
            target.client.set_type_quota(path, kind, wanted_types.get(kind, -1))
