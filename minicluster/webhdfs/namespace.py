"""The HDFS namespace over a local directory: HDFS path /x/y is <root>/x/y.

Type, length and modification time come from the disk, everything else from the
store; files another process writes into the root are adopted with defaults the first
time they are seen. Every method runs on the one namespace thread, so a file
operation and its metadata update form one step; `reconcile` mends what a crash
between the two can leave (rows whose path is gone are dropped, unknown files get
defaults). Paths under `DIR/.snapshot/NAME` read the snapshot's catalog and its
hard-link tree in the state directory. The disk is only ever reached through the
descriptor-held trees of disk.py (the root, the snapshot trees, the staging area), so
a name swapped for a symbolic link never leads outside them.
"""

import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TypeGuard

from minicluster.webhdfs import acl
from minicluster.webhdfs.disk import Tree, append_data, is_gone, subpath
from minicluster.webhdfs.errors import (
    AccessControl,
    FileAlreadyExists,
    FileNotFound,
    HadoopIllegalArgument,
    InvalidPath,
    IOFailure,
    ParentNotDirectory,
    PathIsNotEmptyDirectory,
    SnapshotAccessControl,
    SnapshotFailure,
)
from minicluster.webhdfs.inodes import DEFAULT_BLOCK_SIZE, DEFAULT_REPLICATION, Node
from minicluster.webhdfs.permissions import (
    ALL,
    EXECUTE,
    READ,
    READ_EXECUTE,
    WRITE,
    Caller,
    GroupMapping,
    check_access,
    check_owner,
    check_sticky,
)
from minicluster.webhdfs.store import Store

DOT_SNAPSHOT = ".snapshot"
BYTES_PER_CHECKSUM = 512
MIN_BLOCK_SIZE = 1024 * 1024
MAX_REPLICATION = 512
LIST_LIMIT = 1000  # dfs.ls.limit
MAX_MTIME = (2**63 - 1) // 1_000_000  # the latest the disk can date a file, in ms (2262)


@dataclass(frozen=True)
class Settings:
    root: Path
    state: Path
    superuser: str
    default_owner: str
    default_group: str = "supergroup"
    groups_file: Path | None = None


class Clock:
    """Milliseconds since the epoch, strictly increasing: clients pick the newest file
    by modification time, so two changes must never share one."""

    def __init__(self) -> None:
        self._last = 0

    def now(self) -> int:
        self._last = max(time.time_ns() // 1_000_000, self._last + 1)
        return self._last


@dataclass
class Target:
    """A resolved path: its inode if it exists and the directories above it. `disk` is
    where it lies relative to the root tree, or to the snapshot trees for a path inside
    a snapshot."""

    path: str
    node: Node | None
    chain: list[tuple[str, Node]] = field(default_factory=list)
    disk: str | None = None
    blocked_by: str | None = None  # a file standing where a directory was needed
    snapshot: tuple[int, str, int] | None = None  # (id, name, created) inside DIR/.snapshot/NAME
    rel: str = ""  # path inside the snapshot
    dot_snapshot_of: tuple[str, Node] | None = None  # the target is DIR/.snapshot itself

    def exists(self) -> Node:
        if self.node is None:
            raise FileNotFound(f"File does not exist: {self.path}")
        return self.node


def split_path(path: str) -> list[str]:
    if not path.startswith("/"):
        raise InvalidPath(f"Invalid path name Path is not absolute: {path}")
    parts = [part for part in path.split("/") if part]
    if any(part in (".", "..") or ":" in part or "\0" in part for part in parts):
        raise InvalidPath(f"Invalid path name Invalid file name: {path}")
    return parts


def join(parent: str, name: str) -> str:
    return parent.rstrip("/") + "/" + name


@dataclass(frozen=True, slots=True)
class OnDisk:
    """What the disk says about a file or directory."""

    is_dir: bool
    length: int
    mtime: int
    ino: int

    @classmethod
    def of(cls, st: os.stat_result) -> "OnDisk":
        is_dir = stat.S_ISDIR(st.st_mode)
        return cls(is_dir, 0 if is_dir else st.st_size, st.st_mtime_ns // 1_000_000, st.st_ino)

    def described_by(self, row: tuple | None) -> TypeGuard[tuple]:
        return row is not None and bool(row[2]) == self.is_dir and row[11] == self.ino


def on_disk(tree: Tree, rel: str) -> OnDisk | None:
    """A regular file or directory; None for anything else (missing, symlinks and
    devices are invisible)."""
    st = tree.lstat(rel)
    if st is None or not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
        return None
    return OnDisk.of(st)


def visible_children(tree: Tree, rel: str) -> Iterator[os.DirEntry]:
    with tree.scandir(rel) as entries:
        for entry in entries:
            if entry.name != DOT_SNAPSHOT and (
                entry.is_dir(follow_symlinks=False) or entry.is_file(follow_symlinks=False)
            ):
                yield entry


def _still_there(tree: Tree, rel: str) -> list[tuple[os.DirEntry, os.stat_result]]:
    """The visible children of a directory with their status, leaving out what vanished
    meanwhile (nothing, when the directory itself did)."""
    found = []
    try:
        for entry in visible_children(tree, rel):
            try:
                found.append((entry, entry.stat(follow_symlinks=False)))
            except OSError as error:
                if not is_gone(error):
                    raise
    except OSError as error:
        if not is_gone(error):
            raise
    return found


def set_mtime(tree: Tree, rel: str, mtime: int) -> None:
    tree.set_mtime_ns(rel, mtime * 1_000_000)


class Namespace:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        snapshot_dir, tmp_dir = settings.state / "snapshots", settings.state / "tmp"
        for directory in (settings.root, snapshot_dir, tmp_dir):
            directory.mkdir(parents=True, exist_ok=True)
        if os.stat(settings.root).st_dev != os.stat(settings.state).st_dev:
            # Snapshots are hard links and writes are renames: both need one filesystem.
            raise SystemExit(f"--root {settings.root} and --state {settings.state} must "
                             "share a filesystem")
        self.live = Tree(str(settings.root))
        self.snapshot_trees = Tree(str(snapshot_dir))
        self.tmp = Tree(str(tmp_dir))
        self.store = Store(settings.state / "namespace.sqlite")
        self.clock = Clock()
        self.groups = GroupMapping(settings.superuser, settings.groups_file)
        # The server's own identity, for lookups no client asked for.
        self.system = Caller(settings.superuser, frozenset(), True)
        self.reconcile()

    # ------------------------------------------------------------------ rows and nodes

    def reconcile(self) -> None:
        """Bring the store and the disk back to one story after a crash."""
        stale = [
            path for path, is_dir, ino in self.store.all_inode_paths()
            if (found := on_disk(self.live, self.disk(path))) is None
            or (found.is_dir, found.ino) != (bool(is_dir), ino)
        ]
        self.store.drop_inodes(stale)
        for leftover in self.tmp.names():
            self.tmp.unlink(leftover)
        known = {str(tree) for tree in self.store.tree_ids()}
        for tree in self.snapshot_trees.names():
            if tree not in known:
                self.snapshot_trees.rmtree(tree)
        root = on_disk(self.live, "")
        assert root is not None
        if not root.described_by(self.store.inode("/")):
            self._adopt([("/", root)], owner=self.settings.superuser)

    def close(self) -> None:
        for tree in (self.live, self.snapshot_trees, self.tmp):
            tree.close()

    @staticmethod
    def disk(path: str) -> str:
        """Where HDFS path `path` lies in the root tree."""
        return "/".join(split_path(path))

    def _ino(self, path: str) -> int:
        found = self.live.lstat(self.disk(path))
        if found is None:
            raise FileNotFound(f"File does not exist: {path}")
        return found.st_ino

    def _default_row(self, path: str, file_id: int, disk: OnDisk,
                     owner: str | None = None) -> tuple:
        return (path, file_id, disk.is_dir, owner or self.settings.default_owner,
                self.settings.default_group, 0o755 if disk.is_dir else 0o644, "",
                DEFAULT_REPLICATION, DEFAULT_BLOCK_SIZE, disk.mtime, 0, disk.ino)

    def _adopt(self, found: list[tuple[str, OnDisk]], owner: str | None = None) -> dict[
            str, tuple]:
        """Give files the store has not seen yet a file id and default attributes."""
        if not found:
            return {}
        first = self.store.allocate_ids(len(found))
        rows = [self._default_row(path, first + i, disk, owner)
                for i, (path, disk) in enumerate(found)]
        self.store.put_inodes(rows)
        return {row[0]: row for row in rows}

    @staticmethod
    def _node(row: tuple, disk: OnDisk) -> Node:
        _, file_id, _, owner, grp, perm, acl_text, repl, block, atime, snap, _ = row
        return Node(file_id, disk.is_dir, disk.length, disk.mtime, atime, owner, grp, perm,
                    tuple(acl_text.split(",")) if acl_text else (), repl, block, 0, bool(snap))

    def save(self, path: str, node: Node) -> None:
        """Store a live inode's attributes against the file now at `path`."""
        self.store.put_inodes([(
            path, node.file_id, node.is_dir, node.owner, node.group, node.perm,
            ",".join(node.acl), node.replication, node.block_size, node.atime,
            int(node.snapshottable), self._ino(path),
        )])

    def _live_node(self, path: str, disk: OnDisk) -> Node:
        row = self.store.inode(path)
        if not disk.described_by(row):
            row = self._adopt([(path, disk)])[path]
        return self._node(row, disk)

    def with_children(self, target: Target) -> Node:
        """The target's node with `childrenNum` filled in."""
        node = target.exists()
        if not node.is_dir:
            return node
        if target.snapshot:
            count = self.store.child_count(target.snapshot[0], target.rel)
        elif target.dot_snapshot_of:
            count = len(self.store.snapshots(node.file_id))
        else:
            count = sum(1 for _ in visible_children(self.live, target.disk or ""))
        return node.with_changes(children=count)

    def _child(self, target: Target, name: str, node: Node) -> Target:
        """A listed child of a directory target, as a target of its own."""
        child = Target(join(target.path, name), node)
        if target.snapshot:
            child.snapshot, child.rel = target.snapshot, f"{target.rel}/{name}".lstrip("/")
        elif target.dot_snapshot_of:
            child.snapshot = self.store.snapshot(target.dot_snapshot_of[1].file_id, name)
        else:
            child.disk = subpath(target.disk or "", name)
        return child

    def caller(self, user: str) -> Caller:
        return self.groups.caller(user)

    # ------------------------------------------------------------------ resolution

    def resolve(self, caller: Caller, path: str, write: bool = False) -> Target:
        """Walk `path` from the root, checking traverse permission on each directory."""
        parts = split_path(path)
        path = "/" + "/".join(parts)
        root = on_disk(self.live, "")
        assert root is not None
        node = self._live_node("/", root)
        current, disk = "/", ""
        chain: list[tuple[str, Node]] = []
        for index, name in enumerate(parts):
            if not node.is_dir:
                return Target(path, None, chain, blocked_by=current)
            check_access(caller, node, current, EXECUTE)
            chain.append((current, node))
            if name == DOT_SNAPSHOT:
                return self._resolve_snapshot(caller, path, chain, parts[index + 1:], write)
            current, disk = join(current, name), subpath(disk, name)
            found = on_disk(self.live, disk)
            if found is None:
                return Target(path, None, chain, disk)
            node = self._live_node(current, found)
        return Target(path, node, chain, disk)

    def _resolve_snapshot(self, caller: Caller, path: str, chain: list[tuple[str, Node]],
                          rest: list[str], write: bool) -> Target:
        dir_path, dir_node = chain[-1]
        if not dir_node.snapshottable:
            if write:
                raise HadoopIllegalArgument(f'"{DOT_SNAPSHOT}" is a reserved name.')
            return Target(path, None, chain)
        if write:
            raise SnapshotAccessControl("Modification on a read-only snapshot is disallowed")
        if not rest:
            return Target(path, dir_node, chain, dot_snapshot_of=(dir_path, dir_node))
        snapshot = self.store.snapshot(dir_node.file_id, rest[0])
        if snapshot is None:
            return Target(path, None, chain)
        snap_id, _, created = snapshot
        node = self.store.entry(snap_id, "")
        assert node is not None
        # .snapshot/NAME shows when the snapshot was taken, not when its root last changed.
        node = node.with_changes(mtime=created)
        rel = ""
        for name in rest[1:]:
            if not node.is_dir:
                return Target(path, None, chain, blocked_by=path)
            check_access(caller, node, path, EXECUTE)
            chain.append((path, node))
            rel = f"{rel}/{name}" if rel else name
            found = self.store.entry(snap_id, rel)
            if found is None:
                return Target(path, None, chain, snapshot=snapshot, rel=rel)
            node = found
        disk = subpath(str(self.store.tree_of(snap_id)), rel) if rel else None
        return Target(path, node, chain, disk, snapshot=snapshot, rel=rel)

    def _check_subtree(self, caller: Caller, target: Target, action: int) -> None:
        """HDFS's subAccess: `action` on the target and every directory below it."""
        if caller.superuser:
            return
        base = target.path.rstrip("/")
        for rel, _, node in self.walk(target):
            if node.is_dir:
                check_access(caller, node, f"{base}/{rel}" if rel else target.path, action)

    def _refuse_snapshotted(self, path: str, verb: str) -> None:
        for dir_path, dir_id in self.store.snapshottable_dirs(path):
            if self.store.snapshots(dir_id):
                raise SnapshotFailure(
                    f"The directory {dir_path} cannot be {verb} since {dir_path} "
                    "is snapshottable and already has snapshots"
                )

    # ------------------------------------------------------------------ walking

    def walk(self, target: Target) -> list[tuple[str, str | None, Node]]:
        """(relative path, parent's relative path, node) of the target and everything below
        it, parents first; relative paths are '' for the target and 'a/b' below it."""
        if target.snapshot:
            entries = self.store.catalog(target.snapshot[0], target.rel)
            cut = len(target.rel) + 1 if target.rel else 0
            out = []
            for rel, node in sorted(entries, key=lambda item: item[0]):
                local = rel[cut:] if rel != target.rel else ""
                out.append((local, local.rpartition("/")[0] if local else None, node))
            return out
        return self._walk_live(target.path, target.disk or "", target.exists())

    def _walk_live(self, path: str, disk: str, top: Node) -> list[tuple[str, str | None, Node]]:
        known = self.store.subtree_inodes(path)
        base = path.rstrip("/")
        out: list[tuple[str, str | None, Node]] = [("", None, top)]
        unknown: list[tuple[int, str, OnDisk]] = []
        stack = [(disk, "")] if top.is_dir else []
        while stack:
            directory, rel = stack.pop()
            # A writer may remove what is being walked (Spark's `_temporary` directories):
            # what vanished is left out, as it is of the snapshot it would have joined.
            for entry, status in _still_there(self.live, directory):
                child = f"{rel}/{entry.name}" if rel else entry.name
                found = OnDisk.of(status)
                row = known.get(f"{base}/{child}")
                if found.described_by(row):
                    out.append((child, rel, self._node(row, found)))
                else:
                    unknown.append((len(out), child, found))
                    out.append((child, rel, top))
                if found.is_dir:
                    stack.append((subpath(directory, entry.name), child))
        adopted = self._adopt([(f"{base}/{child}", found) for _, child, found in unknown])
        for index, child, found in unknown:
            out[index] = (child, out[index][1], self._node(adopted[f"{base}/{child}"], found))
        return out

    # ------------------------------------------------------------------ reading

    def status(self, caller: Caller, path: str) -> Node:
        return self.with_children(self.resolve(caller, path))

    def list_status(self, caller: Caller, path: str, start_after: str | None = None,
                    limit: int | None = None) -> tuple[list[tuple[str, Node]], int]:
        """Children sorted by name (a file lists itself with an empty suffix), and how
        many remain after `limit`."""
        target = self.resolve(caller, path)
        node = target.exists()
        if not node.is_dir:
            return [("", node)], 0
        check_access(caller, node, path, READ_EXECUTE)
        if target.snapshot:
            listing = [(rel.rpartition("/")[2], child)
                       for rel, child in self.store.child_entries(target.snapshot[0], target.rel)]
        elif target.dot_snapshot_of:
            listing = self._snapshot_roots(node)
        else:
            listing = self._live_children(target.path, target.disk or "")
        listing.sort(key=lambda item: item[0])
        if start_after is not None:
            listing = [item for item in listing if item[0] > start_after]
        remaining = 0
        if limit is not None:
            remaining = max(0, len(listing) - limit)
            listing = listing[:limit]
        return [(name, self.with_children(self._child(target, name, child)))
                for name, child in listing], remaining

    def _snapshot_roots(self, dir_node: Node) -> list[tuple[str, Node]]:
        roots = []
        for snap_id, name, created in self.store.snapshots(dir_node.file_id):
            root = self.store.entry(snap_id, "")
            assert root is not None
            roots.append((name, root.with_changes(mtime=created)))
        return roots

    def _live_children(self, path: str, disk: str) -> list[tuple[str, Node]]:
        entries = [(entry.name, OnDisk.of(entry.stat(follow_symlinks=False)))
                   for entry in visible_children(self.live, disk)]
        rows = self.store.inodes([join(path, name) for name, _ in entries])
        rows.update(self._adopt([(join(path, name), found) for name, found in entries
                                 if not found.described_by(rows.get(join(path, name)))]))
        return [(name, self._node(rows[join(path, name)], found)) for name, found in entries]

    def content_summary(self, caller: Caller, path: str) -> dict[str, int]:
        target = self.resolve(caller, path)
        node = target.exists()
        if target.dot_snapshot_of:
            raise FileNotFound(f"File does not exist: {path}")
        if node.is_dir:
            check_access(caller, node, path, READ_EXECUTE)
        self._check_subtree(caller, target, READ_EXECUTE)
        files = dirs = length = consumed = 0
        for _, _, entry in self.walk(target):
            if entry.is_dir:
                dirs += 1
            else:
                files += 1
                length += entry.length
                consumed += entry.length * entry.replication
        return {"directoryCount": dirs, "fileCount": files, "length": length,
                "quota": -1, "spaceConsumed": consumed, "spaceQuota": -1}

    def open_file(self, caller: Caller, path: str) -> tuple[BinaryIO, Node, int]:
        """Open a file for reading (OPEN, GETFILECHECKSUM): the open handle keeps reading
        the same bytes whatever happens to the path afterwards. Also returns how many
        bytes may be read."""
        target = self.resolve(caller, path)
        node = target.exists()
        if node.is_dir:
            raise FileNotFound(f"Path is not a file: {path}")
        check_access(caller, node, path, READ)
        assert target.disk is not None
        tree = self.snapshot_trees if target.snapshot else self.live
        stream = os.fdopen(tree.open_file(target.disk, os.O_RDONLY), "rb")
        size = os.fstat(stream.fileno()).st_size
        if target.snapshot:
            # As HDFS does, a snapshot reads a file up to the length it had when the
            # snapshot was taken, even while a writer behind our back keeps appending.
            size = min(size, node.length)
        return stream, node, size

    # ------------------------------------------------------------------ writing

    def _writable(self, caller: Caller, path: str) -> Target:
        target = self.resolve(caller, path, write=True)
        if DOT_SNAPSHOT in split_path(path):
            raise HadoopIllegalArgument(f'"{DOT_SNAPSHOT}" is a reserved name.')
        return target

    def _existing(self, caller: Caller, path: str) -> tuple[Target, Node]:
        target = self._writable(caller, path)
        return target, target.exists()

    def _check_parent_chain(self, target: Target) -> None:
        if target.blocked_by is not None:
            raise ParentNotDirectory(f"{target.blocked_by} (is not a directory)")

    def _make_dirs(self, caller: Caller, target: Target, mode: int, last_mode: int) -> None:
        """Create the missing directories of `target.path`; the last one gets `last_mode`,
        the ones above it `mode`."""
        parent_path, parent = target.chain[-1]
        missing = split_path(target.path)[len(split_path(parent_path)):]
        first_id = self.store.allocate_ids(len(missing))
        with self.store.transaction():
            for index, name in enumerate(missing):
                path = join(parent_path, name)
                wanted = last_mode if index == len(missing) - 1 else mode
                perm, entries = acl.inherit(parent.acl, wanted, True)
                now = self.clock.now()
                self.live.mkdir(self.disk(path))
                self.live.take_parent_owner(self.disk(path))
                set_mtime(self.live, self.disk(parent_path), now)
                node = Node(first_id + index, True, 0, now, now, caller.name, parent.group,
                            perm, entries, 0, 0)
                self.save(path, node)
                parent_path, parent = path, node

    def mkdirs(self, caller: Caller, path: str, mode: int) -> bool:
        target = self._writable(caller, path)
        if target.node is not None:
            if not target.node.is_dir:
                raise FileAlreadyExists(f"Path is not a directory: {path}")
            return True
        self._check_parent_chain(target)
        ancestor_path, ancestor = target.chain[-1]
        check_access(caller, ancestor, ancestor_path, WRITE)
        # Parents HDFS creates implicitly always let their owner write and traverse.
        self._make_dirs(caller, target, mode | 0o300, mode)
        return True

    def check_create(self, caller: Caller, path: str, overwrite: bool, replication: int,
                     block_size: int) -> Target:
        if block_size < MIN_BLOCK_SIZE:
            raise IOFailure(
                "Specified block size is less than configured minimum value "
                f"(dfs.namenode.fs-limits.min-block-size): {block_size} < {MIN_BLOCK_SIZE}"
            )
        if block_size % BYTES_PER_CHECKSUM:
            raise IOFailure(f"Invalid values: dfs.bytes-per-checksum (={BYTES_PER_CHECKSUM}) "
                            f"must divide block size (={block_size}).")
        if not 1 <= replication <= MAX_REPLICATION:
            raise IOFailure(f"Requested replication factor of {replication} is out of range "
                            f"[1, {MAX_REPLICATION}] for {path}")
        target = self._writable(caller, path)
        if path.rstrip("/") == "":
            raise FileAlreadyExists("/ already exists as a directory")
        self._check_parent_chain(target)
        if target.node is not None:
            if target.node.is_dir:
                raise FileAlreadyExists(f"{path} already exists as a directory")
            if not overwrite:
                raise FileAlreadyExists(f"{path} for client 127.0.0.1 already exists")
            check_access(caller, target.node, path, WRITE)
        ancestor_path, ancestor = target.chain[-1]
        check_access(caller, ancestor, ancestor_path, WRITE)
        return target

    def commit_create(self, caller: Caller, path: str, staged: str, overwrite: bool,
                      mode: int, replication: int, block_size: int) -> None:
        """Move a fully received file into place: a new inode, so snapshots keep the old one."""
        target = self.check_create(caller, path, overwrite, replication, block_size)
        parent_path = path.rstrip("/").rpartition("/")[0] or "/"
        if target.chain[-1][0] != parent_path:
            self._make_dirs(caller, Target(parent_path, None, target.chain), 0o755, 0o755)
            target = self.resolve(caller, path, write=True)
        parent = target.chain[-1][1]
        perm, entries = acl.inherit(parent.acl, mode, False)
        file_id = self.store.allocate_ids(1)
        with self.store.transaction():
            disk = self.disk(path)
            self.live.move(staged, disk, source=self.tmp)
            self.live.take_parent_owner(disk)
            now = self.clock.now()
            set_mtime(self.live, disk, now)
            set_mtime(self.live, self.disk(parent_path), now)
            self.save(path, Node(file_id, False, 0, now, now, caller.name, parent.group, perm,
                                  entries, replication, block_size))

    def check_append(self, caller: Caller, path: str) -> Node:
        _, node = self._existing(caller, path)
        if node.is_dir:
            raise FileNotFound(f"Path is not a file: {path}")
        check_access(caller, node, path, WRITE)
        return node

    def commit_append(self, caller: Caller, path: str, staged: str) -> None:
        """Append received bytes; a file shared with a snapshot is copied first."""
        node = self.check_append(caller, path)
        disk = self.disk(path)
        target = self.live.open_file(disk, os.O_RDWR)
        source = self.tmp.open_file(staged, os.O_RDONLY)
        try:
            if os.fstat(target).st_nlink > 1:
                self._append_to_copy(path, node, target, source)
            else:
                append_data(source, target)
        finally:
            os.close(source)
            os.close(target)
        set_mtime(self.live, disk, self.clock.now())

    def _append_to_copy(self, path: str, node: Node, target: int, source: int) -> None:
        """Put a copy of `target` with `source` appended in its place, leaving the
        snapshots' link to the old bytes alone."""
        disk = self.disk(path)
        parent_disk = disk.rpartition("/")[0]
        parent = self.live.lstat(parent_disk)
        assert parent is not None  # `target` was just opened in it
        with self.staging() as (copy, copy_fd):
            append_data(target, copy_fd)
            append_data(source, copy_fd)
            with self.store.transaction():
                self.live.move(copy, disk, source=self.tmp)
                self.live.take_parent_owner(disk)
                self.save(path, node)
        # Replacing the name is an implementation detail: the parent did not change.
        self.live.set_mtime_ns(parent_disk, parent.st_mtime_ns)

    @contextmanager
    def staging(self) -> Iterator[tuple[str, int]]:
        """A new empty file in the state directory, by name and open descriptor: bytes
        land there before they are renamed into the tree, so no half-written file is
        ever visible. It is removed afterwards unless it was moved into the tree."""
        name, fd = self.tmp.create_temporary()
        try:
            yield name, fd
        finally:
            os.close(fd)
            with suppress(FileNotFoundError):
                self.tmp.unlink(name)

    def rename(self, caller: Caller, src: str, dst: str) -> bool:
        source = self._writable(caller, src)
        destination = self._writable(caller, dst)
        if source.node is None or not source.chain:
            return False
        src_parent_path, src_parent = source.chain[-1]
        name = split_path(src)[-1]
        if destination.node is not None and destination.node.is_dir:
            dst = join(dst, name)
            destination = self._writable(caller, dst)
        if destination.node is not None:
            return split_path(dst) == split_path(src)
        if destination.blocked_by or not destination.chain:
            return False
        dst_parent_path, dst_parent = destination.chain[-1]
        if dst_parent_path != ("/" + "/".join(split_path(dst)[:-1])):
            return False
        src_norm = "/" + "/".join(split_path(src))
        dst_norm = "/" + "/".join(split_path(dst))
        if dst_norm.startswith(src_norm + "/"):
            return False
        check_access(caller, src_parent, src_parent_path, WRITE)
        check_sticky(caller, src_parent, source.node, src_norm)
        check_access(caller, dst_parent, dst_parent_path, WRITE)
        self._refuse_snapshotted(src_norm, "renamed")
        with self.store.transaction():
            self.store.move_subtree(src_norm, dst_norm)
            self.live.move(self.disk(src_norm), self.disk(dst_norm))
            now = self.clock.now()
            set_mtime(self.live, self.disk(src_parent_path), now)
            set_mtime(self.live, self.disk(dst_parent_path), now)
        return True

    def delete(self, caller: Caller, path: str, recursive: bool) -> bool:
        target = self._writable(caller, path)
        if target.node is None or not target.chain:
            return False
        node = target.node
        norm = "/" + "/".join(split_path(path))
        parent_path, parent = target.chain[-1]
        non_empty = node.is_dir and any(
            True for _ in visible_children(self.live, target.disk or ""))
        if non_empty and not recursive:
            raise PathIsNotEmptyDirectory(f"`{norm} is non empty': Directory is not empty")
        check_access(caller, parent, parent_path, WRITE)
        check_sticky(caller, parent, node, norm)
        if non_empty:
            self._check_subtree(caller, target, ALL)
        self._refuse_snapshotted(norm, "deleted")
        with self.store.transaction():
            self.store.delete_subtree(norm)
            if node.is_dir:
                self.live.rmtree(self.disk(norm))
            else:
                self.live.unlink(self.disk(norm))
            set_mtime(self.live, self.disk(parent_path), self.clock.now())
        return True

    def set_owner(self, caller: Caller, path: str, owner: str | None, group: str | None) -> None:
        target, node = self._existing(caller, path)
        check_owner(caller, node, path)
        if not caller.superuser:
            if owner is not None and owner != caller.name:
                raise AccessControl(f"User {caller.name} is not a super user "
                                    "(non-super user cannot change owner).")
            if group is not None and group not in caller.groups:
                raise AccessControl(f"User {caller.name} does not belong to {group}")
        self.save(target.path, node.with_changes(owner=owner or node.owner,
                                                  group=group or node.group))

    def set_permission(self, caller: Caller, path: str, mode: int) -> None:
        target, node = self._existing(caller, path)
        check_owner(caller, node, path)
        self.save(target.path, node.with_changes(perm=mode))

    def set_times(self, caller: Caller, path: str, mtime: int, atime: int) -> None:
        target, node = self._existing(caller, path)
        check_access(caller, node, path, WRITE)
        if mtime != -1:
            set_mtime(self.live, target.disk or "", mtime)
        if atime != -1:
            self.save(target.path, node.with_changes(atime=atime))

    def set_replication(self, caller: Caller, path: str, replication: int) -> bool:
        target = self._writable(caller, path)
        node = target.node
        if node is None or node.is_dir:
            return False
        check_access(caller, node, path, WRITE)
        if not 1 <= replication <= MAX_REPLICATION:
            raise IOFailure(f"Requested replication factor of {replication} is out of range "
                            f"[1, {MAX_REPLICATION}] for {path}")
        self.save(target.path, node.with_changes(replication=replication))
        return True

    def change_acl(self, caller: Caller, path: str, op: str, spec: str | None) -> None:
        target, node = self._existing(caller, path)
        check_owner(caller, node, path)
        perm, entries = acl.transform(op, node.perm, node.acl, spec)
        if entries and not node.is_dir and any(e.startswith("default:") for e in entries):
            raise IOFailure("Invalid ACL: only directories may have a default ACL.")
        self.save(target.path, node.with_changes(perm=perm, acl=entries))

    def acl_status(self, caller: Caller, path: str) -> Node:
        return self.resolve(caller, path).exists()

