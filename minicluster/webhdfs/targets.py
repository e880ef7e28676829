"""What a path resolves to, in one of three kinds: a live inode (`Live`), an entry of a
snapshot (`InSnapshot`, for DIR/.snapshot/NAME/...), or a snapshottable directory's
virtual `.snapshot` listing (`SnapshotRoots`). Each kind knows how to list, count and
walk what lies below it and where its bytes are, so operations never ask which one
they hold.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from minicluster.webhdfs.disk import Tree, subpath
from minicluster.webhdfs.errors import FileNotFound
from minicluster.webhdfs.inodes import Node

if TYPE_CHECKING:
    from minicluster.webhdfs.namespace import Namespace

Entries = list[tuple[str, str | None, Node]]  # (relative path, parent's, node); the top is ""
Snapshot = tuple[int, str, int]  # (id, name, created)


def join(parent: str, name: str) -> str:
    return parent.rstrip("/") + "/" + name


@dataclass
class Target(ABC):
    """A resolved path: its inode if it exists and the directories above it."""

    path: str
    node: Node | None
    chain: list[tuple[str, Node]] = field(default_factory=list)
    blocked_by: str | None = None  # a file standing where a directory was needed

    def exists(self) -> Node:
        if self.node is None:
            raise FileNotFound(f"File does not exist: {self.path}")
        return self.node

    @abstractmethod
    def children(self, ns: Namespace) -> list[tuple[str, Node]]:
        """(name, node) of a directory's children, in no particular order."""

    @abstractmethod
    def child_count(self, ns: Namespace) -> int: ...

    @abstractmethod
    def child(self, ns: Namespace, name: str, node: Node) -> Target:
        """A listed child of this directory, as a target of its own."""

    @abstractmethod
    def walk(self, ns: Namespace) -> Entries:
        """The target and everything below it, parents first."""

    def bytes_at(self, ns: Namespace) -> tuple[Tree, str] | None:
        """The tree and path holding a file's bytes."""
        return None

    def xattrs(self, ns: Namespace) -> dict[str, bytes]:
        return {}


@dataclass
class Live(Target):
    disk: str | None = None  # where it lies (or would) in the root tree

    def children(self, ns: Namespace) -> list[tuple[str, Node]]:
        return ns.live_children(self.path, self.disk or "")

    def child_count(self, ns: Namespace) -> int:
        return ns.live_child_count(self.disk or "")

    def child(self, ns: Namespace, name: str, node: Node) -> Target:
        return Live(join(self.path, name), node, disk=subpath(self.disk or "", name))

    def walk(self, ns: Namespace) -> Entries:
        return ns.walk_live(self.path, self.disk or "", self.exists())

    def bytes_at(self, ns: Namespace) -> tuple[Tree, str] | None:
        return (ns.live, self.disk) if self.disk is not None else None

    def xattrs(self, ns: Namespace) -> dict[str, bytes]:
        return ns.store.xattrs(self.exists().file_id)


@dataclass
class InSnapshot(Target):
    snapshot: Snapshot = (0, "", 0)
    rel: str = ""  # path inside the snapshot; "" is its root

    def children(self, ns: Namespace) -> list[tuple[str, Node]]:
        return [(rel.rpartition("/")[2], child)
                for rel, child in ns.store.child_entries(self.snapshot[0], self.rel)]

    def child_count(self, ns: Namespace) -> int:
        return ns.store.child_count(self.snapshot[0], self.rel)

    def child(self, ns: Namespace, name: str, node: Node) -> Target:
        return InSnapshot(join(self.path, name), node, snapshot=self.snapshot,
                          rel=f"{self.rel}/{name}".lstrip("/"))

    def walk(self, ns: Namespace) -> Entries:
        entries = ns.store.catalog(self.snapshot[0], self.rel)
        cut = len(self.rel) + 1 if self.rel else 0
        out: Entries = []
        for rel, node in sorted(entries, key=lambda item: item[0]):
            local = rel[cut:] if rel != self.rel else ""
            out.append((local, local.rpartition("/")[0] if local else None, node))
        return out

    def bytes_at(self, ns: Namespace) -> tuple[Tree, str] | None:
        if not self.rel:
            return None
        return ns.snapshot_trees, subpath(str(ns.store.tree_of(self.snapshot[0])), self.rel)

    def xattrs(self, ns: Namespace) -> dict[str, bytes]:
        return ns.store.snapshot_xattrs(self.snapshot[0], self.exists().file_id)


@dataclass
class SnapshotRoots(Target):
    """DIR/.snapshot: one child per snapshot, dated when it was taken."""

    def children(self, ns: Namespace) -> list[tuple[str, Node]]:
        return [(name, root) for _, name, root in self.roots(ns)]

    def child_count(self, ns: Namespace) -> int:
        return len(ns.store.snapshots(self.exists().file_id))

    def child(self, ns: Namespace, name: str, node: Node) -> Target:
        snapshot = ns.store.snapshot(self.exists().file_id, name)
        assert snapshot is not None
        return InSnapshot(join(self.path, name), node, snapshot=snapshot)

    def walk(self, ns: Namespace) -> Entries:
        raise FileNotFound(f"File does not exist: {self.path}")

    def roots(self, ns: Namespace) -> list[tuple[Snapshot, str, Node]]:
        roots = []
        for snapshot in ns.store.snapshots(self.exists().file_id):
            root = ns.store.entry(snapshot[0], "")
            assert root is not None
            # .snapshot/NAME shows when it was taken, not when its root last changed.
            roots.append((snapshot, snapshot[1], root.with_changes(mtime=snapshot[2])))
        return roots
