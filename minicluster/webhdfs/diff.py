"""Snapshot diff reports with HDFS's rules.

Entries are matched by file id, so a moved file is one RENAME rather than a DELETE
and a CREATE. Paths are those of the older version (changes under a renamed
directory are reported at its old path); a created or deleted subtree is one entry;
a directory whose children came or went is MODIFY; the root is "".
"""

from dataclasses import dataclass, replace

from minicluster.webhdfs.inodes import Node
from minicluster.webhdfs.targets import Entries

KIND_ORDER = {"MODIFY": 0, "CREATE": 1, "DELETE": 2, "RENAME": 3}
INVERSE = {"CREATE": "DELETE", "DELETE": "CREATE", "MODIFY": "MODIFY", "RENAME": "RENAME"}


@dataclass(frozen=True)
class Change:
    kind: str
    source: str
    target: str | None = None
    # What GETSNAPSHOTDIFFLISTING reports besides: the inode, the directory the change
    # is listed under (for a rename, its old and its new parent) and its type.
    file_id: int = 0
    dir_id: int = 0
    to_dir_id: int = 0
    is_dir: bool = False

    def as_json(self) -> dict[str, str]:
        entry = {"type": self.kind, "sourcePath": self.source}
        if self.target is not None:
            entry["targetPath"] = self.target
        return entry

    def inverted(self) -> "Change":
        if self.kind == "RENAME":
            assert self.target is not None
            return replace(self, source=self.target, target=self.source)
        return replace(self, kind=INVERSE[self.kind])


def signature(node: Node) -> tuple:
    """What makes an inode MODIFY: content and attributes for files, attributes for
    directories (their children are compared by name and id instead)."""
    attributes = (node.perm, node.owner, node.group, node.acl, node.xattrs)
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
                changes.add(Change("CREATE", report_path(file_id), file_id=file_id,
                                   dir_id=parent, is_dir=node.is_dir))
                changed_dirs.add(parent)
            continue
        old_rel, _, old_node = old.by_id[file_id]
        if parent is not None and old.place(file_id) != new.place(file_id):
            changes.add(Change("RENAME", old_rel, rel, file_id, old.parent_id(file_id) or 0,
                               parent, node.is_dir))
            changed_dirs.update(d for d in (old.parent_id(file_id), parent)
                                if d in old.by_id and d in new.by_id)
        if signature(old_node) != signature(node):
            changes.add(Change("MODIFY", old_rel, file_id=file_id, dir_id=file_id,
                               is_dir=node.is_dir))
    for file_id, (old_rel, _, old_node) in old.by_id.items():
        parent = old.parent_id(file_id)
        if file_id not in new.by_id and parent in new.by_id:
            changes.add(Change("DELETE", old_rel, file_id=file_id, dir_id=parent or 0,
                               is_dir=old_node.is_dir))
            changed_dirs.add(parent)
    changes.update(Change("MODIFY", old.by_id[d][0], file_id=d, dir_id=d, is_dir=True)
                   for d in changed_dirs if d is not None)
    return sorted(changes, key=lambda c: (c.source.split("/") if c.source else [],
                                          KIND_ORDER[c.kind]))


def entry_count(change: Change) -> int:
    """How many listing entries a change takes: a rename is a deletion and a creation."""
    return 2 if change.kind == "RENAME" else 1


def listing(changes: list[Change]) -> list[tuple[str, dict]]:
    """The entries of GETSNAPSHOTDIFFLISTING for a forward diff, as (list name, entry):
    Hadoop's client rebuilds the report from them (SnapshotDiffReportGenerator), so a
    directory is a reference entry and a rename is a deleted and a created reference."""
    out: list[tuple[str, dict]] = []
    for change in changes:
        if change.kind == "MODIFY":
            out.append(("modifyList", _entry(change.file_id, change.file_id, change.is_dir,
                                             change.source)))
        elif change.kind == "CREATE":
            out.append(("createList", _entry(change.dir_id, change.file_id, False,
                                             change.source)))
        elif change.kind == "DELETE":
            out.append(("deleteList", _entry(change.dir_id, change.file_id, False,
                                             change.source)))
        else:
            assert change.target is not None
            out.append(("deleteList", {**_entry(change.dir_id, change.file_id, True,
                                                change.source), "targetPath": change.target}))
            out.append(("createList", _entry(change.to_dir_id, change.file_id, True,
                                             change.target)))
    return out


def _entry(dir_id: int, file_id: int, reference: bool, path: str) -> dict:
    return {"dirId": dir_id, "fileId": file_id, "isReference": reference, "sourcePath": path}
