"""Snapshot diff reports with HDFS's rules.

Entries are matched by file id, so a moved file is one RENAME rather than a DELETE
and a CREATE. Paths are those of the older version (changes under a renamed
directory are reported at its old path); a created or deleted subtree is one entry;
a directory whose children came or went is MODIFY; the root is "".
"""

from dataclasses import dataclass

from minicluster.webhdfs.inodes import Node

Entries = list[tuple[str, str | None, Node]]  # (relative path, parent's, node), root is ""
KIND_ORDER = {"MODIFY": 0, "CREATE": 1, "DELETE": 2, "RENAME": 3}
INVERSE = {"CREATE": "DELETE", "DELETE": "CREATE", "MODIFY": "MODIFY", "RENAME": "RENAME"}


@dataclass(frozen=True)
class Change:
    kind: str
    source: str
    target: str | None = None

    def as_json(self) -> dict[str, str]:
        entry = {"type": self.kind, "sourcePath": self.source}
        if self.target is not None:
            entry["targetPath"] = self.target
        return entry

    def inverted(self) -> "Change":
        if self.kind == "RENAME":
            assert self.target is not None
            return Change("RENAME", self.target, self.source)
        return Change(INVERSE[self.kind], self.source)


def signature(node: Node) -> tuple:
    """What makes an inode MODIFY: content and attributes for files, attributes for
    directories (their children are compared by name and id instead)."""
    attributes = (node.perm, node.owner, node.group, node.acl)
    if node.is_dir:
        return attributes
    return (*attributes, node.length, node.mtime, node.replication)


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


class _Version:
    def __init__(self, entries: Entries) -> None:
        self.by_id = {node.file_id: (rel, parent, node) for rel, parent, node in entries}
        self.id_at = {rel: node.file_id for rel, _, node in entries}

    def parent_id(self, file_id: int) -> int | None:
        parent = self.by_id[file_id][1]
        return None if parent is None else self.id_at[parent]

    def place(self, file_id: int) -> tuple[int | None, str]:
        return self.parent_id(file_id), self.by_id[file_id][0].rpartition("/")[2]


def compute(older: Entries, newer: Entries) -> list[Change]:
    """The changes that turn the older version into the newer one."""
    old, new = _Version(older), _Version(newer)
    reported: dict[int, str] = {}

    def report_path(file_id: int) -> str:
        """Where an entry of the newer version is reported: its old path if it existed,
        else its name under its parent's reported path."""
        if file_id in old.by_id:
            return old.by_id[file_id][0]
        if file_id not in reported:
            parent = new.parent_id(file_id)
            assert parent is not None
            reported[file_id] = _join(report_path(parent), new.by_id[file_id][0]
                                      .rpartition("/")[2])
        return reported[file_id]

    changes: set[Change] = set()
    changed_dirs: set[int] = set()
    for file_id, (rel, _, node) in new.by_id.items():
        parent = new.parent_id(file_id)
        if file_id not in old.by_id:
            if parent in old.by_id:
                changes.add(Change("CREATE", report_path(file_id)))
                changed_dirs.add(parent)
            continue
        old_rel, _, old_node = old.by_id[file_id]
        if parent is not None and old.place(file_id) != new.place(file_id):
            changes.add(Change("RENAME", old_rel, rel))
            changed_dirs.update(d for d in (old.parent_id(file_id), parent)
                                if d in old.by_id and d in new.by_id)
        if signature(old_node) != signature(node):
            changes.add(Change("MODIFY", old_rel))
    for file_id, (old_rel, _, _) in old.by_id.items():
        parent = old.parent_id(file_id)
        if file_id not in new.by_id and parent in new.by_id:
            changes.add(Change("DELETE", old_rel))
            changed_dirs.add(parent)
    changes.update(Change("MODIFY", old.by_id[d][0]) for d in changed_dirs)
    return sorted(changes, key=lambda c: (c.source.split("/") if c.source else [],
                                          KIND_ORDER[c.kind]))


def report(older: Entries, newer: Entries, reverse: bool) -> list[Change]:
    """`compute`, inverted when the diff was asked from the later version to the earlier."""
    changes = compute(older, newer)
    return [change.inverted() for change in changes] if reverse else changes
