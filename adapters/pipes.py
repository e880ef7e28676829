"""Pipes for splice(2): bytes moved socket -> pipe -> socket or file stay in the kernel
(the relay between datanodes, the mini cluster's datanode receiving a body)."""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress

PIPE_SIZE = 1024 * 1024


@contextmanager
def splice_pipe() -> Iterator[tuple[int, int]]:
    """(read end, write end) of a pipe of PIPE_SIZE, or of the default 64 KiB when that
    is above the user's pipe allowance."""
    read_end, write_end = os.pipe()
    try:
        with suppress(OSError):
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        yield read_end, write_end
    finally:
        os.close(read_end)
        os.close(write_end)


def drain(read_end: int, target: int, count: int) -> None:
    """Splice the `count` bytes waiting in the pipe into `target`."""
    while count:
        count -= os.splice(read_end, target, count)
