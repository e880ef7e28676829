"""The unprivileged local account that the mini cluster's Spark Thrift Server runs as.

`./lockstep` starts the mini cluster as root. A SQL engine that runs its sessions' file
reads as root reads every file on the host (`SELECT * FROM text.`file:/...``), so Spark
runs as a system account of its own that owns only its warehouse and working files.
"""

import os
import pwd
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

SPARK_ACCOUNT = "lockstep-hive"
_CREATE_LOCK = threading.Lock()


class AccountError(Exception):
    """A system account that could not be created; the message says why."""


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int


def ensure_account(name: str) -> Account | None:
    """The system account `name`, created (with a group of the same name) when missing.

    None when the mini cluster does not run as root: its processes then already run as
    whoever started it, and no other account can be taken on."""
    if os.geteuid() != 0:
        return None
    # Both sites' Spark are prepared at once: one creates the account, the other finds it.
    with _CREATE_LOCK:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            entry = _create(name)
    return Account(name, entry.pw_uid, entry.pw_gid)


def _create(name: str) -> pwd.struct_passwd:
    created = subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home",
         "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
        capture_output=True, text=True, check=False,
    )
    try:  # another process (a second mini cluster) may have created it meanwhile
        return pwd.getpwnam(name)
    except KeyError:
        raise AccountError(f"could not create the system account {name}: "
                           f"{created.stderr.strip() or 'useradd failed'}") from None


def hand_over(directory: Path, account: Account | None) -> None:
    """Make `directory` and everything in it belong to `account`, readable by it alone
    (root aside).

    The account may already own the tree and change it meanwhile, so every change is
    made relative to an open directory and never through a symbolic link: root must
    not be led into changing a file outside the tree."""
    directory.mkdir(parents=True, exist_ok=True)
    if account is None:
        return
    for _, dirs, files, dir_fd in os.fwalk(directory):
        for name in (*dirs, *files):
            os.chown(name, account.uid, account.gid, dir_fd=dir_fd, follow_symlinks=False)
    # The directory itself lies in one of ours, which the account cannot change.
    os.chown(directory, account.uid, account.gid)
    directory.chmod(0o700)


def open_path(directory: Path, account: Account | None, top: Path) -> None:
    """Let `account` pass through each directory from `top` down to `directory`'s parent
    that is closed to it: such a directory takes the account's group, with search
    permission only (it may go through, never list). `top` is the mini cluster's own
    directory, which may well be closed to others (mode 700)."""
    if account is None:
        return
    relative = directory.relative_to(top)
    for step in reversed(relative.parents):
        passage = top / step
        if not _passable(passage, account):
            os.chown(passage, -1, account.gid)
            passage.chmod(passage.stat().st_mode & 0o7777 | 0o010)


def unreachable_ancestor(directory: Path, account: Account | None) -> Path | None:
    """The first directory above `directory` that `account` may not pass through."""
    if account is None:
        return None
    for ancestor in reversed(directory.resolve().parents):
        if not _passable(ancestor, account):
            return ancestor
    return None


def _passable(directory: Path, account: Account) -> bool:
    status = directory.stat()
    if status.st_uid == account.uid:
        return bool(status.st_mode & 0o100)
    if status.st_gid == account.gid:
        return bool(status.st_mode & 0o010)
    return bool(status.st_mode & 0o001)
