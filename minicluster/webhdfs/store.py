"""The SQLite database beside a cluster's directory: what the disk cannot hold.

Live inodes are keyed by HDFS path and carry owner, group, permission, ACL,
replication, block size, access time, file id and the snapshottable flag, plus the
disk inode number they describe (a file replaced behind the server's back is a new
file); type, length and modification time always come from the disk. Snapshots keep a full copy
of every entry's attributes (`snap_entry`), so later changes never reach them. A snapshot's
hard-link tree is named after its own id, or after the snapshot whose tree it shares
(`tree`): snapshots taken together see the same files. Extended attributes, quotas and
storage policies are keyed by file id, which a rename keeps; a snapshot copies the
extended attributes of its entries (`snap_xattr`).
"""

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from minicluster.webhdfs.inodes import ROOT_FILE_ID, Node

SCHEMA = """
CREATE TABLE IF NOT EXISTS inode (
    path TEXT PRIMARY KEY,
    file_id INTEGER NOT NULL UNIQUE,
    is_dir INTEGER NOT NULL,
    owner TEXT NOT NULL,
    grp TEXT NOT NULL,
    perm INTEGER NOT NULL,
    acl TEXT NOT NULL,
    replication INTEGER NOT NULL,
    block_size INTEGER NOT NULL,
    atime INTEGER NOT NULL,
    snapshottable INTEGER NOT NULL DEFAULT 0,
    ino INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS snapshot (
    id INTEGER PRIMARY KEY,
    dir_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    tree INTEGER,
    UNIQUE (dir_id, name)
);
CREATE TABLE IF NOT EXISTS snap_entry (
    snap_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    parent TEXT,
    file_id INTEGER NOT NULL,
    is_dir INTEGER NOT NULL,
    length INTEGER NOT NULL,
    mtime INTEGER NOT NULL,
    atime INTEGER NOT NULL,
    owner TEXT NOT NULL,
    grp TEXT NOT NULL,
    perm INTEGER NOT NULL,
    acl TEXT NOT NULL,
    replication INTEGER NOT NULL,
    block_size INTEGER NOT NULL,
    PRIMARY KEY (snap_id, path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS snap_entry_parent ON snap_entry (snap_id, parent);
CREATE TABLE IF NOT EXISTS xattr (
    file_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (file_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snap_xattr (
    snap_id INTEGER NOT NULL,
    file_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (snap_id, file_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quota (
    file_id INTEGER PRIMARY KEY,
    namespace INTEGER NOT NULL,
    space INTEGER NOT NULL,
    types TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS block_layout (
    file_id INTEGER PRIMARY KEY,
    sizes TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS storage_policy (
    file_id INTEGER PRIMARY KEY,
    policy INTEGER NOT NULL
);
"""

ATTRIBUTE_TABLES = ("xattr", "quota", "storage_policy", "block_layout")


def subtree_range(path: str) -> tuple[str, str]:
    """Bounds (exclusive) of the keys strictly below `path` ('/' sorts just before '0')."""
    prefix = path.rstrip("/") + "/"
    return prefix, prefix[:-1] + "0"


def entry_node(row: tuple) -> Node:
    _, file_id, is_dir, length, mtime, atime, owner, grp, perm, acl, repl, block = row
    return Node(file_id, bool(is_dir), length, mtime, atime, owner, grp, perm,
                tuple(acl.split(",")) if acl else (), repl, block)


class Store:
    def __init__(self, db_file: Path) -> None:
        # One namespace thread owns the connection; autocommit, with explicit transactions.
        self.db = sqlite3.connect(db_file, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(snapshot)")}
        if "tree" not in columns:  # a state directory from before trees were shared
            self.db.execute("ALTER TABLE snapshot ADD COLUMN tree INTEGER")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def allocate_ids(self, count: int) -> int:
        """Reserve `count` new file ids and return the first."""
        with self.transaction():
            row = self.db.execute("SELECT value FROM counter WHERE name='file_id'").fetchone()
            first = row[0] if row else ROOT_FILE_ID
            self.db.execute(
                "INSERT OR REPLACE INTO counter (name, value) VALUES ('file_id', ?)",
                (first + count,),
            )
        return first

    # live inodes

    def inode(self, path: str) -> tuple | None:
        return self.db.execute(
            "SELECT path, file_id, is_dir, owner, grp, perm, acl, replication, block_size,"
            " atime, snapshottable, ino FROM inode WHERE path=?",
            (path,),
        ).fetchone()

    def inodes(self, paths: list[str]) -> dict[str, tuple]:
        rows = self.db.execute(
            "SELECT path, file_id, is_dir, owner, grp, perm, acl, replication, block_size,"
            " atime, snapshottable, ino FROM inode WHERE path IN (SELECT value FROM json_each(?))",
            (json.dumps(paths),),
        )
        return {row[0]: row for row in rows}

    def subtree_inodes(self, path: str) -> dict[str, tuple]:
        low, high = subtree_range(path)
        rows = self.db.execute(
            "SELECT path, file_id, is_dir, owner, grp, perm, acl, replication, block_size,"
            " atime, snapshottable, ino FROM inode WHERE path=? OR (path>? AND path<?)",
            (path, low, high),
        )
        return {row[0]: row for row in rows}

    def put_inodes(self, rows: Iterable[tuple]) -> None:
        """Insert or replace (path, file_id, is_dir, owner, grp, perm, acl, replication,
        block_size, atime, snapshottable, ino) rows."""
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO inode VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows
            )

    def delete_subtree(self, path: str) -> None:
        low, high = subtree_range(path)
        with self.transaction():
            for table in ATTRIBUTE_TABLES:
                self.db.execute(
                    f"DELETE FROM {table} WHERE file_id IN (SELECT file_id FROM inode"  # noqa: S608 (a constant)
                    " WHERE path=? OR (path>? AND path<?))", (path, low, high))
            self.db.execute(
                "DELETE FROM inode WHERE path=? OR (path>? AND path<?)", (path, low, high)
            )

    def move_subtree(self, src: str, dst: str) -> None:
        low, high = subtree_range(src)
        with self.transaction():
            self.delete_subtree(dst)
            self.db.execute(
                "UPDATE inode SET path = ? || substr(path, ?) "
                "WHERE path=? OR (path>? AND path<?)",
                (dst, len(src) + 1, src, low, high),
            )

    def snapshottable_dirs(self, path: str = "/") -> list[tuple[str, int]]:
        """(path, file_id) of snapshottable directories at or below `path`."""
        low, high = subtree_range(path)
        return self.db.execute(
            "SELECT path, file_id FROM inode WHERE snapshottable=1 "
            "AND (path=? OR (path>? AND path<?)) ORDER BY path",
            (path, low, high),
        ).fetchall()

    def all_inode_paths(self) -> list[tuple[str, int, int]]:
        return self.db.execute("SELECT path, is_dir, ino FROM inode").fetchall()

    def drop_inodes(self, paths: list[str]) -> None:
        with self.transaction():
            self.db.executemany("DELETE FROM inode WHERE path=?", [(p,) for p in paths])

    # snapshots

    def snapshots(self, dir_id: int) -> list[tuple[int, str, int]]:
        """(id, name, created) of a directory's snapshots, oldest first."""
        return self.db.execute(
            "SELECT id, name, created FROM snapshot WHERE dir_id=? ORDER BY id", (dir_id,)
        ).fetchall()

    def snapshot(self, dir_id: int, name: str) -> tuple[int, str, int] | None:
        return self.db.execute(
            "SELECT id, name, created FROM snapshot WHERE dir_id=? AND name=?", (dir_id, name)
        ).fetchone()

    def tree_ids(self) -> set[int]:
        """The hard-link trees that snapshots use."""
        return {row[0] for row in self.db.execute("SELECT COALESCE(tree, id) FROM snapshot")}

    def tree_of(self, snap_id: int) -> int:
        return self.db.execute("SELECT COALESCE(tree, id) FROM snapshot WHERE id=?",
                               (snap_id,)).fetchone()[0]

    def add_snapshot(self, dir_id: int, name: str, created: int, tree: int | None = None) -> int:
        """A new snapshot, with a tree of its own or sharing snapshot `tree`'s."""
        cursor = self.db.execute(
            "INSERT INTO snapshot (dir_id, name, created, tree) VALUES (?,?,?,?)",
            (dir_id, name, created, tree),
        )
        return int(cursor.lastrowid or 0)

    def add_entries(self, snap_id: int, entries: Iterable[tuple[str, str | None, Node]]) -> None:
        self.db.executemany(
            "INSERT INTO snap_entry VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (snap_id, rel, parent, n.file_id, n.is_dir, n.length, n.mtime, n.atime,
                 n.owner, n.group, n.perm, ",".join(n.acl), n.replication, n.block_size)
                for rel, parent, n in entries
            ),
        )

    def add_snapshot_xattrs(self, snap_id: int) -> None:
        """Keep the extended attributes of a new snapshot's entries as they are now."""
        self.db.execute(
            "INSERT INTO snap_xattr SELECT ?, x.file_id, x.name, x.value FROM xattr x"
            " WHERE x.file_id IN (SELECT file_id FROM snap_entry WHERE snap_id=?)",
            (snap_id, snap_id),
        )

    def copy_entries(self, source: int, snap_id: int) -> None:
        """Give snapshot `snap_id` the entries of snapshot `source`."""
        self.db.execute(
            "INSERT INTO snap_entry SELECT ?, path, parent, file_id, is_dir, length, mtime,"
            " atime, owner, grp, perm, acl, replication, block_size FROM snap_entry"
            " WHERE snap_id=?",
            (snap_id, source),
        )
        self.db.execute(
            "INSERT INTO snap_xattr SELECT ?, file_id, name, value FROM snap_xattr"
            " WHERE snap_id=?",
            (snap_id, source),
        )

    def remove_snapshot(self, snap_id: int) -> int | None:
        """Forget a snapshot; return its tree when no other snapshot shares it."""
        with self.transaction():
            tree = self.tree_of(snap_id)
            self.db.execute("DELETE FROM snap_entry WHERE snap_id=?", (snap_id,))
            self.db.execute("DELETE FROM snap_xattr WHERE snap_id=?", (snap_id,))
            self.db.execute("DELETE FROM snapshot WHERE id=?", (snap_id,))
            shared = self.db.execute("SELECT 1 FROM snapshot WHERE COALESCE(tree, id)=?",
                                     (tree,)).fetchone()
        return None if shared else tree

    def in_snapshot(self, file_id: int) -> bool:
        return self.db.execute("SELECT 1 FROM snap_entry WHERE file_id=? LIMIT 1",
                               (file_id,)).fetchone() is not None

    def rename_snapshot(self, snap_id: int, name: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE snapshot SET name=? WHERE id=?", (name, snap_id))

    def entry(self, snap_id: int, rel: str) -> Node | None:
        row = self.db.execute(
            "SELECT path, file_id, is_dir, length, mtime, atime, owner, grp, perm, acl,"
            " replication, block_size FROM snap_entry WHERE snap_id=? AND path=?",
            (snap_id, rel),
        ).fetchone()
        return entry_node(row) if row else None

    def child_entries(self, snap_id: int, rel: str) -> list[tuple[str, Node]]:
        rows = self.db.execute(
            "SELECT path, file_id, is_dir, length, mtime, atime, owner, grp, perm, acl,"
            " replication, block_size FROM snap_entry WHERE snap_id=? AND parent=?",
            (snap_id, rel),
        )
        return [(row[0], entry_node(row)) for row in rows]

    def child_count(self, snap_id: int, rel: str) -> int:
        return self.db.execute(
            "SELECT count(*) FROM snap_entry WHERE snap_id=? AND parent=?", (snap_id, rel)
        ).fetchone()[0]

    def catalog(self, snap_id: int, rel: str = "") -> list[tuple[str, Node]]:
        """Every entry of a snapshot at or below `rel`."""
        if rel:
            low, high = subtree_range(rel)
            rows = self.db.execute(
                "SELECT path, file_id, is_dir, length, mtime, atime, owner, grp, perm, acl,"
                " replication, block_size FROM snap_entry"
                " WHERE snap_id=? AND (path=? OR (path>? AND path<?))",
                (snap_id, rel, low, high),
            )
        else:
            rows = self.db.execute(
                "SELECT path, file_id, is_dir, length, mtime, atime, owner, grp, perm, acl,"
                " replication, block_size FROM snap_entry WHERE snap_id=?",
                (snap_id,),
            )
        return [(row[0], entry_node(row)) for row in rows]

    # extended attributes, quotas and storage policies, by file id

    def xattrs(self, file_id: int) -> dict[str, bytes]:
        rows = self.db.execute("SELECT name, value FROM xattr WHERE file_id=?", (file_id,))
        return {name: bytes(value) for name, value in rows}

    def snapshot_xattrs(self, snap_id: int, file_id: int) -> dict[str, bytes]:
        rows = self.db.execute(
            "SELECT name, value FROM snap_xattr WHERE snap_id=? AND file_id=?",
            (snap_id, file_id))
        return {name: bytes(value) for name, value in rows}

    def all_xattrs(self, snap_id: int | None) -> dict[int, dict[str, bytes]]:
        """Every file id's extended attributes, live or in a snapshot."""
        if snap_id is None:
            rows = self.db.execute("SELECT file_id, name, value FROM xattr")
        else:
            rows = self.db.execute(
                "SELECT file_id, name, value FROM snap_xattr WHERE snap_id=?", (snap_id,))
        table: dict[int, dict[str, bytes]] = {}
        for file_id, name, value in rows:
            table.setdefault(file_id, {})[name] = bytes(value)
        return table

    def set_xattr(self, file_id: int, name: str, value: bytes | None) -> None:
        """Set an extended attribute, or remove it when `value` is None."""
        if value is None:
            self.db.execute("DELETE FROM xattr WHERE file_id=? AND name=?", (file_id, name))
        else:
            self.db.execute("INSERT OR REPLACE INTO xattr VALUES (?,?,?)",
                            (file_id, name, value))

    def quotas(self, file_ids: Iterable[int]) -> dict[int, tuple[int, int, dict[str, int]]]:
        """(namespace, space, per storage type) quotas of those directories that have one."""
        rows = self.db.execute(
            "SELECT file_id, namespace, space, types FROM quota"
            " WHERE file_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(file_ids)),))
        return {row[0]: (row[1], row[2], json.loads(row[3])) for row in rows}

    def set_quota(self, file_id: int, namespace: int, space: int, types: dict[str, int]) -> None:
        if namespace < 0 and space < 0 and not types:
            self.db.execute("DELETE FROM quota WHERE file_id=?", (file_id,))
        else:
            self.db.execute("INSERT OR REPLACE INTO quota VALUES (?,?,?,?)",
                            (file_id, namespace, space, json.dumps(types)))

    def policies(self, file_ids: Iterable[int]) -> dict[int, int]:
        rows = self.db.execute(
            "SELECT file_id, policy FROM storage_policy"
            " WHERE file_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(file_ids)),))
        return dict(rows.fetchall())

    def set_policy(self, file_id: int, policy: int) -> None:
        if policy:
            self.db.execute("INSERT OR REPLACE INTO storage_policy VALUES (?,?)",
                            (file_id, policy))
        else:
            self.db.execute("DELETE FROM storage_policy WHERE file_id=?", (file_id,))

    def block_layout(self, file_id: int) -> list[int] | None:
        row = self.db.execute("SELECT sizes FROM block_layout WHERE file_id=?",
                              (file_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_block_layout(self, file_id: int, sizes: list[int]) -> None:
        self.db.execute("INSERT OR REPLACE INTO block_layout VALUES (?,?)",
                        (file_id, json.dumps(sizes)))

    def drop_orphans(self) -> None:
        """Forget the attributes of file ids that are neither live nor in a snapshot."""
        with self.transaction():
            for table in ATTRIBUTE_TABLES:
                self.db.execute(
                    f"DELETE FROM {table} WHERE file_id NOT IN (SELECT file_id FROM inode)"  # noqa: S608 (a constant)
                )
