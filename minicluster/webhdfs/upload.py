"""How a datanode takes in a file's bytes (CREATE and APPEND bodies).

A body whose length the request states is spliced from the socket through a pipe into
the staged file by a receiver thread: it never enters Python. Receiving it through
aiohttp cost two memory copies and the interpreter's work per piece, and the secondary's
datanode was the busiest process of a full round (its replication of 10 GiB took
31-33 s, 24-30 s spliced; benchmarks/round_throughput.py). aiohttp has by then parsed
the request line and headers and may hold the body's first bytes; the connection is
closed after the answer, since its parser never saw the rest of the body. A chunked
body (or one over TLS) is read through aiohttp and written in batches by writer threads.

Slow clients must not starve the others: 32 uploads trickling a byte now and then once
held every receiver thread, and a normal upload behind them timed out. So a receiver
thread is taken only while bytes arrive (a quiet body waits on the event loop) and for
at most TURN_S at a time; one client address takes at most half the receivers and
sends at most `UploadLimits.per_client` bodies at once; and a body is given up when it
sends nothing for `idle_timeout_s` or falls behind `min_rate` (Apache's mod_reqtimeout
rule: the allowance grows with every byte received).
"""

import asyncio
import logging
import os
import select
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from aiohttp import web

from adapters.pipes import PIPE_SIZE, drain, splice_pipe
from minicluster.webhdfs.errors import Retriable, SocketTimeout

WRITE_BATCH = 1024 * 1024
WRITER_THREADS = 8
RECEIVER_THREADS = 32
TURN_S = 1.0  # longest a body keeps a receiver thread before it queues again
HOLD_S = 0.02  # how long a receiver waits for more bytes before it hands the body back
_SPLICED = web.RequestKey("spliced", bool)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UploadLimits:
    """How long a body may take and how much of the datanode one client may hold."""

    idle_timeout_s: float = 60.0  # a body that sends nothing this long is given up
    min_rate: int = 64 * 1024  # bytes/s a body must keep up beyond idle_timeout_s
    per_client: int = 64  # bodies one client address may send at once


class BodyClock:
    """When a body in progress is given up: after `idle_timeout_s` without a byte, or
    once it is slower than `min_rate` with an allowance of `idle_timeout_s`."""

    def __init__(self, limits: UploadLimits, length: int,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.limits, self.length, self.now = limits, length, now
        self.start = self.last = now()
        self.received = 0

    def note(self, count: int) -> None:
        if count:
            self.received += count
            self.last = self.now()

    def patience(self) -> float:
        """Seconds the body may still stay quiet; raises when it has run out."""
        now = self.now()
        idle_left = self.last + self.limits.idle_timeout_s - now
        rate_left = (self.start + self.limits.idle_timeout_s
                     + self.received / self.limits.min_rate - now)
        if idle_left <= 0:
            raise SocketTimeout(
                f"The client sent nothing for {self.limits.idle_timeout_s:g} s after "
                f"{self.received} bytes; upload abandoned, send the file again")
        if rate_left <= 0:
            raise SocketTimeout(
                f"The client sent {self.received} bytes in {now - self.start:.0f} s, slower "
                f"than the {self.limits.min_rate} bytes/s a body must keep up; upload "
                "abandoned, send the file again")
        return min(idle_left, rate_left)

    @property
    def remaining(self) -> int:
        """Bytes still to come of a body of stated length."""
        return self.length - self.received


class Receivers:
    """The threads that write received bytes (receivers splice whole bodies, writers
    write the batches of a chunked one) and what each client holds of them."""

    def __init__(self, limits: UploadLimits | None = None) -> None:
        self.limits = limits or UploadLimits()
        self.receivers = ThreadPoolExecutor(max_workers=RECEIVER_THREADS,
                                            thread_name_prefix="datanode-receiver")
        self.writers = ThreadPoolExecutor(max_workers=WRITER_THREADS,
                                          thread_name_prefix="datanode-writer")
        self._uploads: Counter[str] = Counter()
        self._turns: dict[str, asyncio.Semaphore] = {}

    @contextmanager
    def upload_from(self, client: str) -> Iterator[None]:
        """Count one body from `client` while it is received; refuse one over the limit."""
        if self._uploads[client] >= self.limits.per_client:
            raise Retriable(f"{client} is already sending {self.limits.per_client} files to "
                            "this datanode; retry when one of them has finished")
        self._uploads[client] += 1
        try:
            yield
        finally:
            self._uploads[client] -= 1
            if not self._uploads[client]:
                del self._uploads[client]
                self._turns.pop(client, None)

    def turn(self, client: str) -> asyncio.Semaphore:
        """Held while a body of `client` has a receiver thread: half of them at most."""
        if client not in self._turns:
            self._turns[client] = asyncio.Semaphore(max(1, RECEIVER_THREADS // 2))
        return self._turns[client]

    def close(self) -> None:
        self.receivers.shutdown(wait=True)
        self.writers.shutdown(wait=True)


def must_close(request: web.Request) -> bool:
    """Whether the answer to `request` has to close its connection: its body bypassed
    aiohttp's parser, which would take the next request's bytes for the rest of it."""
    return request.get(_SPLICED, False)


async def receive_body(threads: Receivers, request: web.Request, fd: int) -> None:
    """Write the request's body into the empty file open as `fd`."""
    clock = BodyClock(threads.limits, request.content_length or 0)
    try:
        sock = _spliceable_socket(request)
        if sock is None:
            await _receive_streamed(threads.writers, request, fd, clock)
        else:
            await _receive_spliced(threads, request, sock, fd, clock)
    except SocketTimeout as error:
        log.warning("upload from %s to %s given up: %s", request.remote, request.path, error)
        raise


def _spliceable_socket(request: web.Request) -> int | None:
    """The connection's descriptor, when the body may be spliced from it."""
    transport = request.transport
    if (request.content_length is None or "Transfer-Encoding" in request.headers
            or transport is None or transport.get_extra_info("sslcontext") is not None):
        return None
    sock = transport.get_extra_info("socket")
    return None if sock is None else sock.fileno()


async def _receive_spliced(threads: Receivers, request: web.Request, sock: int, fd: int,
                           clock: BodyClock) -> None:
    early = request.content.read_nowait()
    _write_all(fd, early)
    clock.note(len(early))
    if clock.remaining <= 0:
        return
    request[_SPLICED] = True
    transport = request.transport
    assert transport is not None  # _spliceable_socket saw it
    transport.pause_reading()
    turn = threads.turn(request.remote or "")
    # The receiver splices from a descriptor of its own: should aiohttp close the
    # connection meanwhile (a shutdown), the number could be reused by another file.
    try:
        with socket.socket(fileno=os.dup(sock)) as own, splice_pipe() as pipe:
            while clock.remaining > 0:
                await _readable(own.fileno(), clock)
                async with turn:
                    moved = await _in_thread(threads.receivers, own,
                                             lambda: _splice_turn(own.fileno(), fd, pipe,
                                                                  clock.remaining))
                clock.note(moved)
    finally:
        # Done with the body either way: aiohttp must not linger to read the rest.
        request.content.feed_eof()


async def _readable(sock: int, clock: BodyClock) -> None:
    """Wait on the event loop, holding no thread, until the client sends something."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(sock, wake)
    try:
        while not ready.done():
            await asyncio.wait([ready], timeout=clock.patience())
    finally:
        loop.remove_reader(sock)


async def _in_thread(pool: ThreadPoolExecutor, own: socket.socket,
                     work: Callable[[], int]) -> int:
    """Run one receiver turn; a cancelled caller (a shutdown) wakes it and waits."""
    running = asyncio.get_running_loop().run_in_executor(pool, work)
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        with suppress(OSError):  # the receiver's next splice reads an end
            own.shutdown(socket.SHUT_RD)
        await asyncio.wait([running])
        raise


def _splice_turn(sock: int, fd: int, pipe: tuple[int, int], remaining: int) -> int:
    """Splice what the client sends into `fd` until it pauses for HOLD_S, TURN_S have
    passed or `remaining` bytes arrived; return how many did."""
    read_end, write_end = pipe
    readable = select.poll()
    readable.register(sock, select.POLLIN)
    end = time.monotonic() + TURN_S
    received = 0
    while received < remaining and time.monotonic() < end:
        try:
            moved = os.splice(sock, write_end, min(PIPE_SIZE, remaining - received),
                              flags=os.SPLICE_F_MOVE | os.SPLICE_F_NONBLOCK)
        except BlockingIOError:
            if not readable.poll(HOLD_S * 1000):
                break
            continue
        if moved == 0:
            if received:
                break  # keep what came; the next turn reads the end again
            raise ConnectionResetError(f"the client closed with {remaining} bytes still "
                                       "to send")
        drain(read_end, fd, moved)
        received += moved
    return received


async def _receive_streamed(writers: ThreadPoolExecutor, request: web.Request, fd: int,
                            clock: BodyClock) -> None:
    """Pieces are gathered into WRITE_BATCH batches, each written by a writer thread while
    the event loop goes on receiving; one batch per upload is in flight at a time, so
    memory stays flat (on the event loop, the copy into the page cache serialised every
    upload)."""
    loop = asyncio.get_running_loop()
    writing: asyncio.Future | None = None
    batch: list[bytes] = []
    size = 0
    try:
        while piece := await _next_piece(request, clock):
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


async def _next_piece(request: web.Request, clock: BodyClock) -> bytes:
    """The next piece of a streamed body (b'' at its end), within the clock's patience."""
    while True:
        with suppress(TimeoutError):
            piece = await asyncio.wait_for(request.content.readany(), clock.patience())
            clock.note(len(piece))
            return piece


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
