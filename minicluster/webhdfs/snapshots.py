"""Snapshottable directories and their snapshots.

A snapshot is a catalog of every entry's attributes plus a tree of hard links in the
state directory: no file content is copied, and since every write path replaces
or copies a shared inode instead of changing it, the links keep the old bytes.

Taking that tree walks the whole directory, where HDFS only records the snapshot; so
that many snapshots of one directory requested at one moment are not taken one after
another (each later by a walk), a snapshot requested while another of the same
directory was being taken is that one under its own name: the namesystem did nothing
else meanwhile, so nothing could have changed. It shares the tree and is dated when it
was requested (or when the walk began, if it was requested earlier).
"""

import time
from contextlib import suppress
from dataclasses import dataclass

from minicluster.webhdfs import diff
from minicluster.webhdfs.diff import Change
from minicluster.webhdfs.disk import Linked, link_tree
from minicluster.webhdfs.errors import AccessControl, HadoopIllegalArgument, SnapshotFailure
from minicluster.webhdfs.inodes import Node
from minicluster.webhdfs.namespace import DOT_SNAPSHOT, Namespace
from minicluster.webhdfs.permissions import READ, Caller, check_access, check_owner
from minicluster.webhdfs.targets import Entries, InSnapshot, Live, SnapshotRoots, Target, join

SNAPSHOT_QUOTA = 65536
LISTING_LIMIT = 1000  # dfs.namenode.snapshotdiff.listing.limit


@dataclass(frozen=True)
class Listing:
    entries: list[tuple[str, dict]]  # (list name, entry) in the order they are sent
    next_index: int  # the next change to send; -1 on the last page
    from_earlier: bool


@dataclass(frozen=True)
class SnapshottableDir:
    path: str
    node: Node
    snapshot_count: int


@dataclass(frozen=True)
class Capture:
    """A directory's newest snapshot that walked and linked its own tree, and when that
    began and ended (ms since the epoch)."""
    snap_id: int
    began: int
    ended: int


@dataclass(frozen=True)
class SnapshotInfo:
    snap_id: int
    name: str
    root: Node  # the directory as it was, dated at the snapshot's creation


def default_name(now_ms: int) -> str:
    """HDFS's generated name, e.g. s20260412-151029.033 (server local time)."""
    return time.strftime("s%Y%m%d-%H%M%S", time.localtime(now_ms / 1000)) + f".{now_ms % 1000:03d}"


def check_name(name: str) -> None:
    """Refuse what HDFS refuses as a snapshot name, and the names that would read as a
    path step ('..' made DIR/.snapshot/.. a second name for DIR)."""
    if not name:
        raise HadoopIllegalArgument("Snapshot name cannot be empty")
    if "/" in name:
        raise HadoopIllegalArgument('Snapshot name cannot contain "/"')
    if "\0" in name:
        raise HadoopIllegalArgument("Snapshot name cannot contain a NUL character")
    if name in (".", ".."):
        raise HadoopIllegalArgument(f'Snapshot name cannot be "{name}"')
    if name == DOT_SNAPSHOT:
        raise HadoopIllegalArgument(f'"{DOT_SNAPSHOT}" is a reserved name.')


class Snapshots:
    def __init__(self, namespace: Namespace) -> None:
        self.ns = namespace
        self.store = namespace.store
        self._captures: dict[int, Capture] = {}  # by snapshottable directory's file id
        self._listings: dict[tuple[int, str, str], tuple[list[Change], bool]] = {}

    def _require_superuser(self, caller: Caller) -> None:
        if not caller.superuser:
            raise AccessControl(
                f"Access denied for user {caller.name}. Superuser privilege is required"
            )

    def _directory(self, caller: Caller, path: str, write: bool) -> tuple[Target, Node]:
        target = self.ns.resolve(caller, path, write=write)
        node = target.exists()
        if not node.is_dir:
            raise SnapshotFailure(f"Path is not a directory: {path}")
        return target, node

    def _snapshottable(self, caller: Caller, path: str, write: bool) -> tuple[Live, Node]:
        target, node = self._directory(caller, path, write)
        if not node.snapshottable or not isinstance(target, Live):
            raise SnapshotFailure(f"Directory is not a snapshottable directory: {path}")
        return target, node

    def _find(self, node: Node, path: str, name: str) -> tuple[int, str, int]:
        found = self.store.snapshot(node.file_id, name)
        if found is None:
            raise SnapshotFailure(f"Cannot find the snapshot of directory {path} with name {name}")
        return found

    def allow(self, caller: Caller, path: str) -> None:
        self._require_superuser(caller)
        target, node = self._directory(caller, path, write=True)
        if node.snapshottable:
            return
        for ancestor_path, ancestor in target.chain:
            if ancestor.snapshottable:
                raise SnapshotFailure(
                    f"Nested snapshottable directories not allowed: path={path}, the ancestor "
                    f"{ancestor_path} is already a snapshottable directory."
                )
        for below, _ in self.store.snapshottable_dirs(target.path):
            raise SnapshotFailure(
                f"Nested snapshottable directories not allowed: path={path}, the subdirectory "
                f"{below} is already a snapshottable directory."
            )
        self.ns.save(target.path, node.with_changes(snapshottable=True))

    def disallow(self, caller: Caller, path: str) -> None:
        self._require_superuser(caller)
        target, node = self._directory(caller, path, write=True)
        if not node.snapshottable:
            return
        if self.store.snapshots(node.file_id):
            raise SnapshotFailure(
                f"The directory {target.path} has snapshot(s). "
                "Please redo the operation after removing all the snapshots."
            )
        self.ns.save(target.path, node.with_changes(snapshottable=False))

    def create(self, caller: Caller, path: str, name: str | None, requested: int) -> str:
        """Snapshot `path`, requested at `requested` (ms since the epoch)."""
        target, node = self._snapshottable(caller, path, write=True)
        check_owner(caller, node, target.path)
        now = self.ns.clock.now()
        name = name or default_name(now)
        check_name(name)
        existing = self.store.snapshots(node.file_id)
        if any(other == name for _, other, _ in existing):
            raise SnapshotFailure("Failed to add snapshot: there is already a snapshot with "
                                  f'the same name "{name}".')
        if len(existing) >= SNAPSHOT_QUOTA:
            raise SnapshotFailure(f"Failed to add snapshot: there are already {len(existing)} "
                                  f"snapshot(s) and the snapshot quota is {SNAPSHOT_QUOTA}")
        capture = self._captures.get(node.file_id)
        if capture is not None and requested <= capture.ended:
            with self.store.transaction():
                snap_id = self.store.add_snapshot(node.file_id, name,
                                                  max(requested, capture.began),
                                                  tree=capture.snap_id)
                self.store.copy_entries(capture.snap_id, snap_id)
        else:
            self._capture(target, node, name, now)
        return join(target.path, f"{DOT_SNAPSHOT}/{name}")

    def _capture(self, target: Live, node: Node, name: str, now: int) -> None:
        """Walk the directory and link its tree as snapshot `name`, dated `now`."""
        entries = target.walk(self.ns)
        with self.store.transaction():
            snap_id = self.store.add_snapshot(node.file_id, name, now)
            linked = link_tree(self.ns.live, target.disk or "", self.ns.snapshot_trees,
                               str(snap_id), [(rel, parent, entry.is_dir)
                                              for rel, parent, entry in entries])
            self.store.add_entries(snap_id, _as_linked(entries, linked))
            self.store.add_snapshot_xattrs(snap_id)
        self._captures[node.file_id] = Capture(snap_id, now, self.ns.clock.now())

    def delete(self, caller: Caller, path: str, name: str | None) -> None:
        self._listings.clear()  # a later snapshot may take its id
        target, node = self._snapshottable(caller, path, write=True)
        check_owner(caller, node, target.path)
        found = self.store.snapshot(node.file_id, name or "")
        if found is None:
            raise SnapshotFailure(f"Cannot delete snapshot {name} from path {target.path}: "
                                  "the snapshot does not exist.")
        capture = self._captures.get(node.file_id)
        if capture is not None and capture.snap_id == found[0]:
            # Its entries go with it: a later request cannot share it.
            del self._captures[node.file_id]
        unused = self.store.remove_snapshot(found[0])
        if unused is not None:
            with suppress(FileNotFoundError):
                self.ns.snapshot_trees.rmtree(str(unused))

    def rename(self, caller: Caller, path: str, old: str | None, new: str | None) -> None:
        self._listings.clear()
        new = new or ""
        check_name(new)
        target, node = self._snapshottable(caller, path, write=True)
        check_owner(caller, node, target.path)
        found = self.store.snapshot(node.file_id, old or "")
        if found is None:
            raise SnapshotFailure(f"The snapshot {old} does not exist for directory "
                                  f"{target.path}")
        if self.store.snapshot(node.file_id, new):
            raise SnapshotFailure(f"The snapshot {new} already exists for directory "
                                  f"{target.path}")
        self.store.rename_snapshot(found[0], new)

    def snapshottable_dirs(self, caller: Caller) -> list[SnapshottableDir]:
        """All snapshottable directories for the superuser, else the caller's own."""
        listing = []
        for path, dir_id in self.store.snapshottable_dirs():
            target = self.ns.resolve(self.ns.system, path)
            node = self.ns.with_children(target)
            if caller.superuser or node.owner == caller.name:
                listing.append(SnapshottableDir(path, node, len(self.store.snapshots(dir_id))))
        return listing

    def snapshot_list(self, caller: Caller, path: str) -> list[SnapshotInfo]:
        target, node = self._readable(caller, path)
        roots = SnapshotRoots(join(target.path, DOT_SNAPSHOT), node).roots(self.ns)
        return [SnapshotInfo(snapshot[0], name, root) for snapshot, name, root in roots]

    def diff(self, caller: Caller, path: str, from_name: str, to_name: str) -> list[Change]:
        """GETSNAPSHOTDIFF; an empty name is the current tree."""
        target, node = self._readable(caller, path)
        changes, reverse = self._forward_diff(target, node, from_name, to_name)
        return [change.inverted() for change in changes] if reverse else changes

    def diff_listing(self, caller: Caller, path: str, from_name: str, to_name: str,
                     start: int) -> Listing:
        """One page of GETSNAPSHOTDIFFLISTING from entry `start`. A diff between two
        snapshots never changes, so the pages of one are cut from one computation."""
        target, node = self._readable(caller, path)
        key = (node.file_id, from_name, to_name)
        between_snapshots = bool(from_name and to_name)
        computed = self._listings.get(key) if between_snapshots else None
        if computed is None:
            changes, reverse = self._forward_diff(target, node, from_name, to_name)
            computed = (changes, not reverse and from_name != to_name)
            if between_snapshots:
                self._listings = {key: computed}  # the one being paged through
        changes, from_earlier = computed
        end, sent = start, 0
        while end < len(changes) and sent + diff.entry_count(changes[end]) <= LISTING_LIMIT:
            sent += diff.entry_count(changes[end])
            end += 1
        return Listing(diff.listing(changes[start:end]), end if end < len(changes) else -1,
                       from_earlier)

    def _readable(self, caller: Caller, path: str) -> tuple[Live, Node]:
        """A snapshottable directory whose snapshots the caller may read."""
        target, node = self._snapshottable(caller, path, write=False)
        check_access(caller, node, target.path, READ)
        return target, node

    def _forward_diff(self, target: Live, node: Node, from_name: str, to_name: str
                      ) -> tuple[list[Change], bool]:
        """The changes from the older version to the newer, and whether they were asked
        the other way round."""
        versions: list[tuple[float, Target]] = []
        for name in (from_name, to_name):
            if not name:
                versions.append((float("inf"), target))
                continue
            snapshot = self._find(node, target.path, name)
            versions.append((snapshot[0], InSnapshot(target.path, node, snapshot=snapshot)))
        from_order, to_order = versions[0][0], versions[1][0]
        if from_order == to_order:
            return [], False
        older, newer = sorted(versions, key=lambda version: version[0])
        return (diff.compute(self._compared(older[1]), self._compared(newer[1])),
                from_order > to_order)

    def _compared(self, version: Target) -> Entries:
        """A version's entries with the extended attributes a diff compares."""
        table = self.store.all_xattrs(version.snapshot[0] if isinstance(version, InSnapshot)
                                      else None)
        return [(rel, parent, node.with_changes(xattrs=tuple(sorted(table[node.file_id].items())))
                 if node.file_id in table else node)
                for rel, parent, node in version.walk(self.ns)]


def _as_linked(entries: Entries, linked: Linked) -> Entries:
    """The walk's entries as the snapshot tree holds them."""
    return [(rel, parent, node.with_changes(length=linked.copied[rel])
             if rel in linked.copied else node)
            for rel, parent, node in entries if rel not in linked.gone]
