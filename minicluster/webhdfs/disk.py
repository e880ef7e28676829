"""Disk access confined to one directory, whatever happens to the names inside it.

Other local users may write into the served root (the Spark warehouse is written
behind WebHDFS's back), so any name in it can become a symbolic link between the moment
it is checked and the moment it is used. Checking a path and then opening it by name
again read and wrote files outside the root. So every access here starts from a
directory held open by descriptor and resolves its path beneath it with openat2(2),
refusing symbolic links on every component; calls that act on a name (rename, unlink,
mkdir, link, utime) take the descriptor of its parent, resolved the same way, and never
follow the name itself.
"""

import ctypes
import errno
import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

SYS_OPENAT2 = 437  # the same number on x86_64 and aarch64
RESOLVE_NO_XDEV = 0x01
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
CONFINED = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV
# What a path that vanished or was swapped for a link answers: it is not (or no
# longer) a file of the tree.
GONE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.EXDEV})


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64),
                ("resolve", ctypes.c_uint64)]


_syscall = ctypes.CDLL(None, use_errno=True).syscall
_syscall.restype = ctypes.c_long


def openat2(dir_fd: int, rel: str, flags: int) -> int:
    """Open `rel` beneath `dir_fd` ('' is the directory itself) without following any
    symbolic link, crossing a mount or climbing above it (never creating it: the mode
    is 0)."""
    if "\0" in rel:
        raise ValueError(f"embedded null byte in {rel!r}")
    how = _OpenHow(flags | os.O_CLOEXEC, 0, CONFINED)
    fd = _syscall(ctypes.c_long(SYS_OPENAT2), ctypes.c_int(dir_fd),
                  ctypes.c_char_p(os.fsencode(rel or ".")), ctypes.byref(how),
                  ctypes.c_size_t(ctypes.sizeof(how)))
    if fd < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), rel)
    return fd


def is_gone(error: OSError) -> bool:
    return error.errno in GONE


def subpath(*rels: str) -> str:
    """Relative paths joined, '' being the tree itself."""
    return "/".join(rel for rel in rels if rel)


class Tree:
    """A directory held open. Every path given to a method is relative to it ('' is the
    directory itself, 'a/b' below it) and never passes through a symbolic link."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.close(openat2(self.fd, "", os.O_PATH))
        except OSError as error:
            os.close(self.fd)
            if error.errno == errno.ENOSYS:
                raise SystemExit("The WebHDFS server needs openat2(2) (Linux 5.6 or later) "
                                 "to keep every access inside its root") from None
            raise

    def close(self) -> None:
        os.close(self.fd)

    def open(self, rel: str, flags: int) -> int:
        return openat2(self.fd, rel, flags)

    def open_file(self, rel: str, flags: int) -> int:
        """A regular file, open; anything else (a directory, a FIFO that would block
        the opener, a device) is refused."""
        fd = self.open(rel, flags | os.O_NONBLOCK | os.O_NOCTTY)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise IsADirectoryError(errno.EISDIR, "Not a regular file", rel)
        return fd

    @contextmanager
    def directory(self, rel: str) -> Iterator[int]:
        """A descriptor of directory `rel` for calls that take a dir_fd."""
        if not rel:
            yield self.fd
            return
        fd = self.open(rel, os.O_PATH | os.O_DIRECTORY)
        try:
            yield fd
        finally:
            os.close(fd)

    @contextmanager
    def parent(self, rel: str) -> Iterator[tuple[int, str]]:
        """The directory holding `rel`, open, and `rel`'s own name in it."""
        head, _, name = rel.rpartition("/")
        if not name:
            raise ValueError("the tree itself has no parent")
        with self.directory(head) as fd:
            yield fd, name

    def lstat(self, rel: str) -> os.stat_result | None:
        """What `rel` is (a link is reported as a link); None when it is not there."""
        try:
            if not rel:
                return os.fstat(self.fd)
            with self.parent(rel) as (fd, name):
                return os.stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError as error:
            if is_gone(error):
                return None
            raise

    def size(self, rel: str) -> int:
        found = self.lstat(rel)
        if found is None:
            raise FileNotFoundError(rel)
        return found.st_size

    @contextmanager
    def scandir(self, rel: str) -> Iterator[Iterator[os.DirEntry]]:
        """Directory `rel`'s entries; their `stat` is relative to it, so use them inside."""
        fd = self.open(rel, os.O_RDONLY | os.O_DIRECTORY)
        try:
            with os.scandir(fd) as entries:
                yield entries
        finally:
            os.close(fd)

    def names(self) -> list[str]:
        return os.listdir(self.fd)

    def mkdir(self, rel: str, mode: int = 0o777) -> None:
        with self.parent(rel) as (fd, name):
            os.mkdir(name, mode, dir_fd=fd)

    def unlink(self, rel: str) -> None:
        with self.parent(rel) as (fd, name):
            os.unlink(name, dir_fd=fd)

    def rmtree(self, rel: str) -> None:
        """Remove directory `rel` and everything in it (shutil descends by descriptor
        and never through a link)."""
        with self.parent(rel) as (fd, name):
            shutil.rmtree(name, dir_fd=fd)

    def move(self, src: str, dst: str, source: "Tree | None" = None) -> None:
        """Rename `src` of `source` (this tree by default) to `dst`, replacing a file
        there."""
        with (source or self).parent(src) as (src_fd, src_name), \
                self.parent(dst) as (dst_fd, dst_name):
            os.replace(src_name, dst_name, src_dir_fd=src_fd, dst_dir_fd=dst_fd)

    def take_parent_owner(self, rel: str) -> None:
        """Give what the server just put at `rel` its parent directory's owner on disk.

        The server runs as root, but a directory may belong to another local account: the
        Spark warehouse belongs to the unprivileged account the Spark Thrift Server runs
        as, which must read and extend the tables that replication writes there. HDFS
        owners are kept in the store either way; this is only about the local filesystem.
        """
        if os.geteuid() != 0:
            return  # only root can give a file away: all of the tree is the server's own
        with self.parent(rel) as (fd, name):
            owner = os.fstat(fd)
            if owner.st_uid != 0:
                # Relative to the directory whose owner was read and never through a link:
                # that owner may swap names in its directory meanwhile, but is only ever
                # handed what lies in it (the kernel keeps it from hard-linking others'
                # files).
                os.chown(name, owner.st_uid, owner.st_gid, dir_fd=fd, follow_symlinks=False)

    def set_mtime_ns(self, rel: str, mtime_ns: int) -> None:
        """Set access and modification time of `rel` itself (a link is not followed)."""
        times = (mtime_ns, mtime_ns)
        if not rel:
            os.utime(self.fd, ns=times)
            return
        with self.parent(rel) as (fd, name):
            os.utime(name, ns=times, dir_fd=fd, follow_symlinks=False)

    def create_temporary(self) -> tuple[str, int]:
        """A new empty file directly in this tree: its name and a descriptor open for
        reading and writing."""
        name = f"tmp{secrets.token_hex(8)}"
        return name, os.open(name, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC, 0o600,
                             dir_fd=self.fd)


def append_data(source: int, target: int) -> None:
    """Append all of file `source` to file `target` inside the kernel."""
    offset = os.fstat(target).st_size
    remaining = os.fstat(source).st_size
    position = 0
    while remaining:
        copied = os.copy_file_range(source, target, remaining, offset_src=position,
                                    offset_dst=offset)
        if copied == 0:  # the source shrank under a writer behind our back
            return
        position += copied
        offset += copied
        remaining -= copied


# Files that Hadoop's local file system (the Spark warehouse's writer) rewrites in place,
# truncating the same inode at every commit: a snapshot copies them, since a hard link
# would change with the live file. They are empty or a few bytes long. The walk that
# listed them may have seen another version, so the catalog takes the copy's length.
REWRITTEN_IN_PLACE = frozenset({"_SUCCESS", "._SUCCESS.crc"})


def _copy_file(leaf: str, source_dir: int, copy_dir: int) -> int:
    """Copy file `leaf` between the directories; returns the length copied."""
    source = os.open(leaf, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=source_dir)
    try:
        target = os.open(leaf, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC,
                         stat.S_IMODE(os.fstat(source).st_mode), dir_fd=copy_dir)
        try:
            append_data(source, target)
            status = os.fstat(source)
            os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns))
            return os.fstat(target).st_size
        finally:
            os.close(target)
    finally:
        os.close(source)


@dataclass
class Linked:
    """What a concurrent writer changed between the walk and the linking."""

    gone: set[str] = field(default_factory=set)  # vanished (or became links): left out
    copied: dict[str, int] = field(default_factory=dict)  # rewritten in place: length copied


def link_tree(source: Tree, top: str, trees: Tree, name: str,
              entries: list[tuple[str, str | None, bool]]) -> Linked:
    """Mirror the directories of `entries` (relative path below `top`, its parent's,
    whether it is a directory; parents first, '' for `top` itself) as a new directory
    `name` of `trees`, and hard-link every file into it, or copy it if it is rewritten
    in place. On failure nothing is left behind, so the next snapshot can take the
    name."""
    trees.mkdir(name)
    try:
        return _link_entries(source, top, trees, name, entries)
    except BaseException:
        trees.rmtree(name)
        raise


def _link_entries(source: Tree, top: str, trees: Tree, name: str,
                  entries: list[tuple[str, str | None, bool]]) -> Linked:
    linked = Linked()
    current: str | None = None
    fds: list[int | None] = []
    try:
        for rel, parent, is_dir in entries:
            if parent is None:
                continue
            if parent != current:
                _close(fds)
                fds, current = [], parent
                fds.append(_open_directory(source, subpath(top, parent)))
                fds.append(_open_directory(trees, subpath(name, parent)))
            source_fd, copy_fd = fds
            leaf = rel.rpartition("/")[2]
            try:
                if source_fd is None or copy_fd is None:
                    raise FileNotFoundError(errno.ENOENT, "its directory vanished", rel)
                if is_dir:
                    os.mkdir(leaf, dir_fd=copy_fd)
                elif leaf in REWRITTEN_IN_PLACE:
                    linked.copied[rel] = _copy_file(leaf, source_fd, copy_fd)
                else:
                    os.link(leaf, leaf, src_dir_fd=source_fd, dst_dir_fd=copy_fd,
                            follow_symlinks=False)
            except OSError as error:
                if not is_gone(error):
                    raise
                linked.gone.add(rel)
    finally:
        _close(fds)
    return linked


def _open_directory(tree: Tree, rel: str) -> int | None:
    """A descriptor of directory `rel`; None when it is gone."""
    try:
        return tree.open(rel, os.O_PATH | os.O_DIRECTORY)
    except OSError as error:
        if is_gone(error):
            return None
        raise


def _close(fds: list[int | None]) -> None:
    for fd in fds:
        if fd is not None:
            os.close(fd)
