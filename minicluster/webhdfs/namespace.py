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
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeGuard

from minicluster.webhdfs import acl, blocks, policies, quotas
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
from minicluster.webhdfs.inodes import (
    DEFAULT_BLOCK_SIZE,
    DEFAULT_REPLICATION,
    ROOT_FILE_ID,
    Node,
)
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
from minicluster.webhdfs.targets import Entries, InSnapshot, Live, SnapshotRoots, Target, join
from minicluster.webhdfs.xattrs import UNREADABLE

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


def split_path(path: str) -> list[str]:
    if not path.startswith("/"):
        raise InvalidPath(f"Invalid path name Path is not absolute: {path}")
    parts = [part for part in path.split("/") if part]
    if any(part in (".", "..") or ":" in part or "\0" in part for part in parts):
        raise InvalidPath(f"Invalid path name Invalid file name: {path}")
    return parts


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
        self.store.drop_orphans()
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
                DEFAULT_REPLICATION, DEFAULT_BLOCK_SIZE, 0 if disk.is_dir else disk.mtime, 0,
                disk.ino)

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
        return node.with_changes(children=target.child_count(self))

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
                return Live(path, None, chain, blocked_by=current)
            check_access(caller, node, current, EXECUTE)
            chain.append((current, node))
            if name == DOT_SNAPSHOT:
                return self._resolve_snapshot(caller, path, chain, parts[index + 1:], write)
            current, disk = join(current, name), subpath(disk, name)
            found = on_disk(self.live, disk)
            if found is None:
                return Live(path, None, chain, disk=disk)
            node = self._live_node(current, found)
        return Live(path, node, chain, disk=disk)

    def _resolve_snapshot(self, caller: Caller, path: str, chain: list[tuple[str, Node]],
                          rest: list[str], write: bool) -> Target:
        dir_node = chain[-1][1]
        if not dir_node.snapshottable:
            if write:
                raise HadoopIllegalArgument(f'"{DOT_SNAPSHOT}" is a reserved name.')
            return Live(path, None, chain)
        if write:
            raise SnapshotAccessControl("Modification on a read-only snapshot is disallowed")
        if not rest:
            return SnapshotRoots(path, dir_node, chain)
        snapshot = self.store.snapshot(dir_node.file_id, rest[0])
        if snapshot is None:
            return Live(path, None, chain)
        snap_id, _, created = snapshot
        node = self.store.entry(snap_id, "")
        assert node is not None
        # .snapshot/NAME shows when the snapshot was taken, not when its root last changed.
        node = node.with_changes(mtime=created)
        rel = ""
        for name in rest[1:]:
            if not node.is_dir:
                return InSnapshot(path, None, chain, blocked_by=path)
            check_access(caller, node, path, EXECUTE)
            chain.append((path, node))
            rel = f"{rel}/{name}" if rel else name
            found = self.store.entry(snap_id, rel)
            if found is None:
                return InSnapshot(path, None, chain, snapshot=snapshot, rel=rel)
            node = found
        return InSnapshot(path, node, chain, snapshot=snapshot, rel=rel)

    def _check_subtree(self, caller: Caller, target: Target, action: int) -> None:
        """HDFS's subAccess: `action` on the target and every directory below it."""
        if caller.superuser:
            return
        base = target.path.rstrip("/")
        for rel, _, node in target.walk(self):
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

    def walk_live(self, path: str, disk: str, top: Node) -> Entries:
        """(relative path, parent's relative path, node) of a live inode and everything
        below it, parents first; relative paths are '' for the top and 'a/b' below it."""
        known = self.store.subtree_inodes(path)
        base = path.rstrip("/")
        out: Entries = [("", None, top)]
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
        target = self.resolve(caller, path)
        node = self.with_children(target)
        return node.with_changes(policy=self.effective_policy(target.chain, node))

    def list_status(self, caller: Caller, path: str, start_after: str | None = None,
                    limit: int | None = None) -> tuple[list[tuple[str, Node]], int]:
        """Children sorted by name (a file lists itself with an empty suffix), and how
        many remain after `limit`."""
        target = self.resolve(caller, path)
        node = target.exists()
        if not node.is_dir:
            return [("", node)], 0
        check_access(caller, node, path, READ_EXECUTE)
        listing = target.children(self)
        listing.sort(key=lambda item: item[0])
        if start_after is not None:
            listing = [item for item in listing if item[0] > start_after]
        remaining = 0
        if limit is not None:
            remaining = max(0, len(listing) - limit)
            listing = listing[:limit]
        # HDFS tells only the superuser its listings' storage policies.
        inherited = self.effective_policy(target.chain, node) if caller.superuser else 0
        own = (self.store.policies(child.file_id for _, child in listing)
               if caller.superuser else {})
        return [(name, self.with_children(target.child(self, name, child)).with_changes(
                    policy=own.get(child.file_id, inherited)))
                for name, child in listing], remaining

    def live_child_count(self, disk: str) -> int:
        return sum(1 for _ in visible_children(self.live, disk))

    def live_children(self, path: str, disk: str) -> list[tuple[str, Node]]:
        entries = [(entry.name, OnDisk.of(entry.stat(follow_symlinks=False)))
                   for entry in visible_children(self.live, disk)]
        rows = self.store.inodes([join(path, name) for name, _ in entries])
        rows.update(self._adopt([(join(path, name), found) for name, found in entries
                                 if not found.described_by(rows.get(join(path, name)))]))
        return [(name, self._node(rows[join(path, name)], found)) for name, found in entries]

    def content_summary(self, caller: Caller, path: str) -> dict[str, Any]:
        target = self.resolve(caller, path)
        node = target.exists()
        if isinstance(target, SnapshotRoots):
            raise FileNotFound(f"File does not exist: {path}")
        if node.is_dir:
            check_access(caller, node, path, READ_EXECUTE)
        self._check_subtree(caller, target, READ_EXECUTE)
        files = dirs = length = 0
        for _, _, entry in target.walk(self):
            if entry.is_dir:
                dirs += 1
            else:
                files += 1
                length += entry.length
        quota = self.quota_of(node) if isinstance(target, Live) else quotas.Quota()
        return {"directoryCount": dirs, "fileCount": files, "length": length,
                **quotas.as_json(quota, self.subtree_usage(target))}

    # ------------------------------------------------------------------ quotas and policies

    def effective_policy(self, chain: list[tuple[str, Node]], node: Node | None = None) -> int:
        """The storage policy an inode gets: its own, else its nearest ancestor's."""
        nodes = [n for _, n in chain] + ([node] if node is not None else [])
        own = self.store.policies(n.file_id for n in nodes)
        for candidate in reversed(nodes):
            if candidate.file_id in own:
                return own[candidate.file_id]
        return policies.UNSPECIFIED

    def subtree_usage(self, target: Target) -> quotas.Usage:
        entries = target.walk(self)
        own = self.store.policies(node.file_id for _, _, node in entries)
        effective: dict[str, int] = {}
        placed = []
        for rel, parent, node in entries:
            inherited = (self.effective_policy(target.chain) if parent is None
                         else effective[parent])
            effective[rel] = own.get(node.file_id, inherited)
            placed.append((node, effective[rel]))
        return quotas.usage(placed)

    def quota_of(self, node: Node) -> quotas.Quota:
        found = self.store.quotas([node.file_id]).get(node.file_id)
        quota = quotas.Quota(*found) if found else quotas.Quota()
        if node.file_id == ROOT_FILE_ID and quota.namespace == quotas.RESET:
            # HDFS's root always has a namespace quota: the largest there is.
            return quotas.Quota(quotas.DONT_SET, quota.space, quota.types)
        return quota

    def _check_quotas(self, chain: list[tuple[str, Node]], added: quotas.Usage,
                      only: set[int] | None = None) -> None:
        """Refuse a change that adds `added` beneath the directories of `chain` (or of
        those of them whose file ids are in `only`)."""
        found = self.store.quotas(node.file_id for _, node in chain
                                  if only is None or node.file_id in only)
        # The deepest quota first: HDFS names the nearest directory whose quota is hit.
        for index, (path, node) in reversed(list(enumerate(chain))):
            if node.file_id in found:
                now = self.subtree_usage(Live(path, node, chain[:index], disk=self.disk(path)))
                quotas.check(path, quotas.Quota(*found[node.file_id]), now, now.plus(added))

    def block_sizes(self, node: Node, length: int) -> list[int]:
        return blocks.fit(self.store.block_layout(node.file_id), length, node.block_size)

    def _file_usage(self, chain: list[tuple[str, Node]], count: int, length: int,
                    replication: int) -> quotas.Usage:
        added = quotas.Usage()
        added.add_file(length, replication, self.effective_policy(chain))
        added.count = count
        return added

    def open_file(self, caller: Caller, path: str) -> tuple[BinaryIO, Node, int]:
        """Open a file for reading (OPEN, GETFILECHECKSUM): the open handle keeps reading
        the same bytes whatever happens to the path afterwards. Also returns how many
        bytes may be read."""
        target = self.resolve(caller, path)
        node = target.exists()
        if node.is_dir:
            raise FileNotFound(f"Path is not a file: {path}")
        check_access(caller, node, path, READ)
        if caller.superuser and UNREADABLE in target.xattrs(self):
            raise AccessControl(f"Access is denied for {caller.name} since the superuser is "
                                "not allowed to perform this operation.")
        where = target.bytes_at(self)
        assert where is not None
        tree, disk = where
        stream = os.fdopen(tree.open_file(disk, os.O_RDONLY), "rb")
        size = os.fstat(stream.fileno()).st_size
        if isinstance(target, InSnapshot):
            # As HDFS does, a snapshot reads a file up to the length it had when the
            # snapshot was taken, even while a writer behind our back keeps appending.
            size = min(size, node.length)
        return stream, node, size

    # ------------------------------------------------------------------ writing

    def _writable(self, caller: Caller, path: str) -> Live:
        target = self.resolve(caller, path, write=True)
        if DOT_SNAPSHOT in split_path(path):
            raise HadoopIllegalArgument(f'"{DOT_SNAPSHOT}" is a reserved name.')
        assert isinstance(target, Live)  # a write never resolves into a snapshot
        return target

    def _existing(self, caller: Caller, path: str) -> tuple[Live, Node]:
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
        # One directory at a time, as HDFS makes them: a quota refuses the first one
        # beyond it, and those above it stay.
        for index, name in enumerate(missing):
            self._check_quotas(target.chain, quotas.Usage(count=1))
            with self.store.transaction():
                path = join(parent_path, name)
                wanted = last_mode if index == len(missing) - 1 else mode
                perm, entries = acl.inherit(parent.acl, wanted, True)
                now = self.clock.now()
                self.live.mkdir(self.disk(path))
                self.live.take_parent_owner(self.disk(path))
                set_mtime(self.live, self.disk(parent_path), now)
                # HDFS gives a new directory no access time until SETTIMES sets one.
                node = Node(first_id + index, True, 0, now, 0, caller.name, parent.group,
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
            self._make_dirs(caller, Live(parent_path, None, target.chain), 0o755, 0o755)
            target = self.resolve(caller, path, write=True)
        parent = target.chain[-1][1]
        perm, entries = acl.inherit(parent.acl, mode, False)
        charged = blocks.charged(blocks.fit(None, self.tmp.size(staged), block_size), block_size)
        added = self._file_usage(target.chain, 1, charged, replication)
        if target.node is not None:
            added = added.plus(self._file_usage(target.chain, 1, target.node.length,
                                                target.node.replication), sign=-1)
        self._check_quotas(target.chain, added)
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

    def check_append(self, caller: Caller, path: str) -> tuple[Live, Node]:
        target, node = self._existing(caller, path)
        if node.is_dir:
            raise FileNotFound(f"Path is not a file: {path}")
        check_access(caller, node, path, WRITE)
        return target, node

    def commit_append(self, caller: Caller, path: str, staged: str) -> None:
        """Append received bytes; a file shared with a snapshot is copied first."""
        target, node = self.check_append(caller, path)
        chain = target.chain
        grown = self.block_sizes(node, node.length + self.tmp.size(staged))
        self._check_quotas(chain, self._file_usage(
            chain, 0, blocks.charged(grown, node.block_size) - node.length, node.replication))
        source = self.tmp.open_file(staged, os.O_RDONLY)
        try:
            with self._extended(path, node) as append:
                append(source)
        finally:
            os.close(source)
        set_mtime(self.live, self.disk(path), self.clock.now())

    def concat(self, caller: Caller, path: str, sources: list[str]) -> None:
        """Move the sources' bytes to the end of the target, in order, and delete them."""
        target, node = self._existing(caller, path)
        if node.is_dir:
            raise FileNotFound(f"Path is not a file: {path}")
        check_access(caller, node, path, WRITE)
        parent_path, parent = target.chain[-1]
        found = [self._concat_source(caller, source, target, node) for source in sources]
        if len({source.path for source, _ in found}) != len(found):
            raise HadoopIllegalArgument("concat: at least two of the source files are the same")
        self._check_quotas(target.chain, quotas.Usage(
            count=-len(found),
            space=sum(length * (node.replication - source_node.replication)
                      for _, source_node in found for length in [source_node.length])))
        sizes = self.block_sizes(node, node.length)
        for _, source_node in found:
            sizes += self.block_sizes(source_node, source_node.length)
        with self._extended(path, node) as append:
            for source, _ in found:
                fd = self.live.open_file(source.disk or "", os.O_RDONLY)
                try:
                    append(fd)
                finally:
                    os.close(fd)
        with self.store.transaction():
            for source, _ in found:
                self.store.delete_subtree(source.path)
                self.live.unlink(source.disk or "")
            # HDFS moves the sources' blocks: each part keeps its own.
            self.store.set_block_layout(node.file_id, sizes)
            now = self.clock.now()
            set_mtime(self.live, self.disk(path), now)
            set_mtime(self.live, self.disk(parent_path), now)
        del parent

    def _concat_source(self, caller: Caller, source: str, target: Live, node: Node
                       ) -> tuple[Live, Node]:
        found = self._writable(caller, source)
        source_node = found.exists()
        if source_node.is_dir:
            raise FileNotFound(f"Path is not a file: {source}")
        check_access(caller, source_node, source, READ)
        source_parent_path, source_parent = found.chain[-1]
        check_access(caller, source_parent, source_parent_path, WRITE)
        if source_parent_path != target.chain[-1][0]:
            raise HadoopIllegalArgument(f"Source file {found.path} is not in the same directory "
                                  f"with the target {target.path}")
        if self.store.in_snapshot(source_node.file_id):
            raise SnapshotFailure(f"Concat: the source file {found.path} is in snapshot")
        if found.path == target.path:
            raise HadoopIllegalArgument(f"concat: the src file {found.path} is the same with the "
                                  f"target file {target.path}")
        if source_node.length == 0:
            raise HadoopIllegalArgument(f"concat: source file {found.path} is invalid or empty or "
                                  "underConstruction")
        if source_node.block_size > node.block_size:
            raise HadoopIllegalArgument(
                f"concat: source file {found.path} has preferred block size "
                f"{source_node.block_size} which is greater than the target file's preferred "
                f"block size {node.block_size}")
        return found, source_node

    def truncate(self, caller: Caller, path: str, length: int) -> bool:
        """Cut a file to `length` bytes."""
        target, node = self._existing(caller, path)
        if node.is_dir:
            raise FileNotFound(f"Path is not a file: {path}")
        check_access(caller, node, path, WRITE)
        if length > node.length:
            raise HadoopIllegalArgument("Cannot truncate to a larger file size. Current size: "
                                        f"{node.length}, truncate size: {length}.")
        ends = blocks.boundaries(self.block_sizes(node, node.length))
        if length < node.length:
            layout = self.store.block_layout(node.file_id)
            if layout is not None:
                self.store.set_block_layout(node.file_id, blocks.fit(layout, length,
                                                                     node.block_size))
            fd = self.live.open_file(target.disk or "", os.O_RDWR)
            try:
                if os.fstat(fd).st_nlink > 1:
                    self._replace_bytes(path, node, fd, length)
                else:
                    os.ftruncate(fd, length)
            finally:
                os.close(fd)
            set_mtime(self.live, self.disk(path), self.clock.now())
        # HDFS answers false when the new end falls inside a block, which it then
        # recovers in the background; here the cut is done at once either way.
        return length == node.length or length in ends

    @contextmanager
    def _extended(self, path: str, node: Node) -> Iterator[Callable[[int], None]]:
        """Appending to a file: in place, or to a copy when a snapshot shares its bytes."""
        fd = self.live.open_file(self.disk(path), os.O_RDWR)
        try:
            if os.fstat(fd).st_nlink == 1:
                yield lambda source: append_data(source, fd)
                return
            with self.staging() as (copy, copy_fd):
                append_data(fd, copy_fd)
                yield lambda source: append_data(source, copy_fd)
                self._put_copy(path, node, copy)
        finally:
            os.close(fd)

    def _replace_bytes(self, path: str, node: Node, fd: int, length: int) -> None:
        """Put a copy of the first `length` bytes of `fd` in the file's place."""
        with self.staging() as (copy, copy_fd):
            os.copy_file_range(fd, copy_fd, length, offset_src=0, offset_dst=0)
            self._put_copy(path, node, copy)

    def _put_copy(self, path: str, node: Node, copy: str) -> None:
        """Move a staged copy to `path` under the same inode attributes; the snapshots keep
        their links to the old bytes, and the parent does not look changed."""
        disk = self.disk(path)
        parent_disk = disk.rpartition("/")[0]
        parent = self.live.lstat(parent_disk)
        assert parent is not None
        with self.store.transaction():
            self.live.move(copy, disk, source=self.tmp)
            self.live.take_parent_owner(disk)
            self.save(path, node)
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
        gaining = ({node.file_id for _, node in destination.chain}
                   - {node.file_id for _, node in source.chain})
        if self.store.quotas(gaining):
            self._check_quotas(destination.chain, self.subtree_usage(source), only=gaining)
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
        target = self._writable(caller, path)
        if target.node is None:
            raise FileNotFound(f"File/Directory {target.path} does not exist.")
        node = target.node
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
        self._check_quotas(target.chain, self._file_usage(
            target.chain, 0, node.length, replication).plus(self._file_usage(
                target.chain, 0, node.length, node.replication), sign=-1))
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

