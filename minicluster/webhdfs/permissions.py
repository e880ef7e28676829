"""Who the caller is and what HDFS lets them do: owner, group, mode bits and ACLs."""

import grp
import json
import os
import pwd
import time
from dataclasses import dataclass
from pathlib import Path

from minicluster.webhdfs import acl
from minicluster.webhdfs.errors import AccessControl
from minicluster.webhdfs.inodes import Node

READ, WRITE, EXECUTE = 4, 2, 1
ALL = READ | WRITE | EXECUTE
READ_EXECUTE = READ | EXECUTE
ACTION_NAMES = {
    0: "NONE", 1: "EXECUTE", 2: "WRITE", 3: "WRITE_EXECUTE",
    4: "READ", 5: "READ_EXECUTE", 6: "READ_WRITE", 7: "ALL",
}
SUPERGROUP = "supergroup"
# hadoop.security.groups.cache.secs: how long the operating system's answer is kept.
# Looking it up reads the passwd and group databases, on every request otherwise.
OS_GROUPS_CACHE_SECONDS = 300.0


@dataclass(frozen=True)
class Caller:
    name: str
    groups: frozenset[str]
    superuser: bool


class GroupMapping:
    """A user's groups: from a JSON file `{"user": ["group", ...]}` when it names the
    user (re-read when it changes, so user-data sync can update it live), else from
    the operating system as Hadoop's shell-based mapping does."""

    def __init__(self, superuser: str, groups_file: Path | None) -> None:
        self.superuser = superuser
        self.groups_file = groups_file
        self._loaded: tuple[float, dict[str, list[str]]] = (-1.0, {})
        self._os_cache: dict[str, tuple[float, list[str]]] = {}

    def _file_groups(self) -> dict[str, list[str]]:
        if self.groups_file is None or not self.groups_file.exists():
            return {}
        mtime = self.groups_file.stat().st_mtime
        if mtime != self._loaded[0]:
            self._loaded = (mtime, json.loads(self.groups_file.read_text()))
        return self._loaded[1]

    @staticmethod
    def _os_groups(user: str) -> list[str]:
        try:
            gid = pwd.getpwnam(user).pw_gid
        except KeyError:
            return []
        names = []
        for group_id in os.getgrouplist(user, gid):
            try:
                names.append(grp.getgrgid(group_id).gr_name)
            except KeyError:
                continue
        return names

    def _cached_os_groups(self, user: str) -> list[str]:
        now = time.monotonic()
        cached = self._os_cache.get(user)
        if cached is None or now - cached[0] > OS_GROUPS_CACHE_SECONDS:
            cached = self._os_cache[user] = (now, self._os_groups(user))
        return cached[1]

    def caller(self, user: str) -> Caller:
        file_groups = self._file_groups()
        groups = frozenset(file_groups[user] if user in file_groups
                           else self._cached_os_groups(user))
        return Caller(user, groups, user == self.superuser or SUPERGROUP in groups)


def mode_string(node: Node) -> str:
    bits = "".join(acl.perm_text(node.perm >> shift & 7) for shift in (6, 3, 0))
    if node.perm & 0o1000:
        bits = bits[:-1] + ("t" if bits[-1] == "x" else "T")
    return ("d" if node.is_dir else "-") + bits + ("+" if node.acl else "")


def permits(caller: Caller, node: Node, action: int) -> bool:
    if caller.superuser:
        return True
    if caller.name == node.owner:
        return node.perm >> 6 & action == action
    entries = acl.expand(node.perm, node.acl) if node.acl else {}
    mask = entries.get((False, "mask", ""), 7)
    if (False, "user", caller.name) in entries:
        return entries[(False, "user", caller.name)] & mask & action == action
    group_perms = [
        value & mask for (default, kind, name), value in entries.items()
        if not default and kind == "group" and (name or node.group) in caller.groups
    ] or ([node.perm >> 3 & 7] if node.group in caller.groups else [])
    if group_perms:
        return any(value & action == action for value in group_perms)
    return node.perm & action == action


def check_access(caller: Caller, node: Node, path: str, action: int) -> None:
    if not permits(caller, node, action):
        raise AccessControl(
            f"Permission denied: user={caller.name}, access={ACTION_NAMES[action]}, "
            f'inode="{path}":{node.owner}:{node.group}:{mode_string(node)}'
        )


def check_owner(caller: Caller, node: Node, path: str) -> None:
    if not caller.superuser and caller.name != node.owner:
        raise AccessControl(
            f"Permission denied. user={caller.name} is not the owner of inode={path}"
        )


def check_sticky(caller: Caller, parent: Node, child: Node, path: str) -> None:
    """In a sticky directory only the owners of the child or the directory may remove it."""
    if caller.superuser or not parent.perm & 0o1000:
        return
    if caller.name not in (parent.owner, child.owner):
        raise AccessControl(
            f"Permission denied by sticky bit: user={caller.name}, path=\"{path}\":"
            f"{child.owner}:{child.group}:{mode_string(child)}, "
            f"parent={parent.owner}:{parent.group}:{mode_string(parent)}"
        )
