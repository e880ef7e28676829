"""An inode's attributes as WebHDFS reports them, live or in a snapshot."""

from dataclasses import dataclass, replace
from typing import Any

DEFAULT_BLOCK_SIZE = 128 * 1024 * 1024
DEFAULT_REPLICATION = 3
ROOT_FILE_ID = 16385


@dataclass(frozen=True, slots=True)
class Node:
    file_id: int
    is_dir: bool
    length: int
    mtime: int
    atime: int
    owner: str
    group: str
    perm: int
    acl: tuple[str, ...]
    replication: int
    block_size: int
    children: int = 0
    snapshottable: bool = False
    xattrs: tuple[tuple[str, bytes], ...] = ()  # filled in only where a diff compares them
    policy: int = 0  # the storage policy in effect, filled in for FileStatus

    def with_changes(self, **changes: Any) -> "Node":
        return replace(self, **changes)

    def file_status(self, suffix: str) -> dict[str, Any]:
        status: dict[str, Any] = {
            "accessTime": self.atime,
            "blockSize": 0 if self.is_dir else self.block_size,
            "childrenNum": self.children,
            "fileId": self.file_id,
            "group": self.group,
            "length": 0 if self.is_dir else self.length,
            "modificationTime": self.mtime,
            "owner": self.owner,
            "pathSuffix": suffix,
            "permission": format(self.perm, "o"),
            "replication": 0 if self.is_dir else self.replication,
            "storagePolicy": self.policy,
            "type": "DIRECTORY" if self.is_dir else "FILE",
        }
        if self.acl:
            status["aclBit"] = True
        if self.snapshottable:
            status["snapshotEnabled"] = True
        return status
