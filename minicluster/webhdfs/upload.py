"""How a datanode takes in a file's bytes (CREATE and APPEND bodies).

A body whose length the request states is spliced from the socket through a pipe into
the staged file by a receiver thread: it never enters Python. Receiving it through
aiohttp cost two memory copies and the interpreter's work per piece, and the secondary's
datanode was the busiest process of a full round (its replication of 10 GiB took
31-33 s, 24-30 s spliced; benchmarks/round_throughput.py). aiohttp has by then parsed
the request line and headers and may hold the body's first bytes; the connection is
closed after the answer, since its parser never saw the rest of the body. A chunked
body (or one over TLS) is read through aiohttp and written in batches by writer threads.
"""

import asyncio
import os
import select
import socket
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

from aiohttp import web

from adapters.pipes import PIPE_SIZE, drain, splice_pipe

WRITE_BATCH = 1024 * 1024
WRITER_THREADS = 8
RECEIVER_THREADS = 32
RECEIVE_TIMEOUT_S = 60.0
_SPLICED = web.RequestKey("spliced", bool)


class Receivers:
    """The threads that write received bytes: receivers splice whole bodies, writers
    write the batches of a chunked one."""

    def __init__(self) -> None:
        self.receivers = ThreadPoolExecutor(max_workers=RECEIVER_THREADS,
                                            thread_name_prefix="datanode-receiver")
        self.writers = ThreadPoolExecutor(max_workers=WRITER_THREADS,
                                          thread_name_prefix="datanode-writer")

    def close(self) -> None:
        self.receivers.shutdown(wait=True)
        self.writers.shutdown(wait=True)


def must_close(request: web.Request) -> bool:
    """Whether the answer to `request` has to close its connection: its body bypassed
    aiohttp's parser, which would take the next request's bytes for the rest of it."""
    return request.get(_SPLICED, False)


async def receive_body(threads: Receivers, request: web.Request, fd: int) -> None:
    """Write the request's body into the empty file open as `fd`."""
    sock = _spliceable_socket(request)
    if sock is None:
        await _receive_streamed(threads.writers, request, fd)
    else:
        await _receive_spliced(threads.receivers, request, sock, fd)


def _spliceable_socket(request: web.Request) -> int | None:
    """The connection's descriptor, when the body may be spliced from it."""
    transport = request.transport
    if (request.content_length is None or "Transfer-Encoding" in request.headers
            or transport is None or transport.get_extra_info("sslcontext") is not None):
        return None
    sock = transport.get_extra_info("socket")
    return None if sock is None else sock.fileno()


async def _receive_spliced(receivers: ThreadPoolExecutor, request: web.Request,
                           sock: int, fd: int) -> None:
    early = request.content.read_nowait()
    _write_all(fd, early)
    remaining = (request.content_length or 0) - len(early)
    if remaining <= 0:
        return
    request[_SPLICED] = True
    transport = request.transport
    assert transport is not None  # _spliceable_socket saw it
    transport.pause_reading()
    # The receiver splices from a descriptor of its own: should aiohttp close the
    # connection meanwhile (a shutdown), the number could be reused by another file.
    with socket.socket(fileno=os.dup(sock)) as own:
        receiving = asyncio.get_running_loop().run_in_executor(
            receivers, _splice_into, own.fileno(), fd, remaining)
        try:
            await asyncio.shield(receiving)
        except asyncio.CancelledError:
            with suppress(OSError):  # the receiver's next splice reads an end
                own.shutdown(socket.SHUT_RD)
            await asyncio.wait([receiving])
            raise
    request.content.feed_eof()


def _splice_into(sock: int, fd: int, remaining: int) -> None:
    readable = select.poll()
    readable.register(sock, select.POLLIN)
    with splice_pipe() as (read_end, write_end):
        while remaining > 0:
            try:
                moved = os.splice(sock, write_end, min(PIPE_SIZE, remaining),
                                  flags=os.SPLICE_F_MOVE | os.SPLICE_F_NONBLOCK)
            except BlockingIOError:
                if not readable.poll(RECEIVE_TIMEOUT_S * 1000):
                    raise TimeoutError(f"the client sent nothing for {RECEIVE_TIMEOUT_S:.0f} s "
                                       f"with {remaining} bytes still to come") from None
                continue
            if moved == 0:
                raise ConnectionResetError(f"the client closed with {remaining} bytes "
                                           "still to send")
            remaining -= moved
            drain(read_end, fd, moved)


async def _receive_streamed(writers: ThreadPoolExecutor, request: web.Request,
                            fd: int) -> None:
    """Pieces are gathered into WRITE_BATCH batches, each written by a writer thread while
    the event loop goes on receiving; one batch per upload is in flight at a time, so
    memory stays flat (on the event loop, the copy into the page cache serialised every
    upload)."""
    loop = asyncio.get_running_loop()
    writing: asyncio.Future | None = None
    batch: list[bytes] = []
    size = 0
    try:
        while piece := await request.content.readany():
            batch.append(piece)
            size += len(piece)
            if size >= WRITE_BATCH:
                if writing is not None:
                    await writing
                writing = loop.run_in_executor(writers, _write_pieces, fd, batch)
                batch, size = [], 0
        if writing is not None:
            await writing
        _write_pieces(fd, batch)
    finally:
        if writing is not None and not writing.done():
            await asyncio.wait([writing])


def _write_pieces(fd: int, pieces: list[bytes]) -> None:
    """Write pieces in one call, finishing what a partial write left."""
    if not pieces:
        return
    written = os.writev(fd, pieces)
    for piece in pieces:
        if written >= len(piece):
            written -= len(piece)
            continue
        _write_all(fd, memoryview(piece)[written:])
        written = 0


def _write_all(fd: int, piece: bytes | memoryview) -> None:
    """os.write may take only part of a piece (a signal, a nearly full disk)."""
    view = memoryview(piece)
    while view:
        view = view[os.write(fd, view):]
