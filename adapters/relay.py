"""One file's bytes from a datanode's OPEN to another datanode's CREATE, inside the
kernel: the body is spliced socket -> pipe -> socket and never enters Python.

Streaming a copy through `requests` cost this process two memory copies and the
interpreter's work per piece, about a third of a full round's CPU (measured in
benchmarks/round_throughput.py). The relay speaks just enough HTTP/1.1 for the two
datanode steps, whose URLs the namenodes gave; it answers None, before it has written
anything, when the source's answer is one it does not relay (not a plain `200` with a
`Content-Length`), and the caller then streams the file instead.
"""

import json
import os
import select
import socket
import struct
from contextlib import closing, suppress
from urllib.parse import urlsplit

from adapters.pipes import PIPE_SIZE, drain, splice_pipe

HEAD_LIMIT = 64 * 1024
CLOSE_WAIT_S = 1.0


class RelayError(Exception):
    """The relay failed: `exception` is the datanode's RemoteException name, or
    "ConnectionError" when a datanode could not be reached or went away."""

    def __init__(self, exception: str | None, message: str) -> None:
        super().__init__(message)
        self.exception = exception
        self.message = message


def relayable(url: str) -> bool:
    return urlsplit(url).scheme == "http"


def relay(open_url: str, create_url: str, length: int, timeout: float | None) -> bool:
    """Copy `length` bytes from `open_url` (a datanode OPEN) to `create_url` (a datanode
    CREATE). False when the source's answer is not one the relay takes (nothing was
    sent to the target then); raises RelayError when a datanode refuses or fails."""
    with closing(_connect(open_url, timeout)) as source:
        _send_head(source, "GET", open_url, {})
        status, headers, early = _read_head(source)
        if status != 200 or "content-length" not in headers:
            if status >= 400:
                raise _remote_error(source, status, headers, early)
            return False
        if int(headers["content-length"]) != length:
            raise RelayError("IOException", f"the source offers {headers['content-length']} "
                                            f"bytes, {length} expected")
        with closing(_connect(create_url, timeout)) as target:
            _send_head(target, "PUT", create_url, {
                "Content-Type": "application/octet-stream", "Content-Length": str(length)})
            try:
                _io(target.sendall, early)
                _splice(source, target, length - len(early))
            except OSError as error:
                # A datanode that refuses the write answers before it reads the body.
                raise _answer_after_break(target, error) from error
            _expect(target, 201)
            _let_datanode_close(target)
        _let_datanode_close(source)
    return True


def _connect(url: str, timeout: float | None) -> socket.socket:
    parts = urlsplit(url)
    try:
        sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
    except OSError as error:
        raise RelayError("ConnectionError", f"{parts.netloc}: {error}") from error
    # splice needs a blocking socket; the timeout moves into the kernel's own options.
    sock.settimeout(None)
    if timeout is not None:
        value = struct.pack("ll", int(timeout), int(timeout % 1 * 1_000_000))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
    return sock


def _send_head(sock: socket.socket, method: str, url: str, headers: dict[str, str]) -> None:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close",
             *(f"{name}: {value}" for name, value in headers.items()), "", ""]
    _io(sock.sendall, "\r\n".join(lines).encode("latin-1"))


def _read_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and whatever body bytes came with the head."""
    received = b""
    while b"\r\n\r\n" not in received:
        piece = _io(sock.recv, HEAD_LIMIT)
        if not piece or len(received) > HEAD_LIMIT:
            raise RelayError("ConnectionError", "the datanode closed without an answer")
        received += piece
    head, _, early = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, early


def _expect(sock: socket.socket, status: int) -> None:
    """Read the datanode's answer; anything but `status` is raised as its error."""
    answered, headers, early = _read_head(sock)
    if answered != status:
        raise _remote_error(sock, answered, headers, early)


def _answer_after_break(sock: socket.socket, error: OSError) -> RelayError:
    """The error to raise when sending the body to the target failed: the datanode's
    own answer if it gave one, else that it went away."""
    try:
        answered, headers, early = _read_head(sock)
    except (RelayError, OSError):
        return RelayError("ConnectionError", f"the target datanode went away: {error}")
    return _remote_error(sock, answered, headers, early)


def _let_datanode_close(sock: socket.socket) -> None:
    """Wait (briefly) for the datanode to close first, as `Connection: close` asks: the
    side that closes first keeps the socket in TIME_WAIT for a minute, and a datanode's
    listening port can hold any number of those where this process's ephemeral ports,
    two per copied file, would run out on a round of many small files."""
    with suppress(OSError):
        while select.select([sock], [], [], CLOSE_WAIT_S)[0] and sock.recv(HEAD_LIMIT):
            pass


def _remote_error(sock: socket.socket, status: int, headers: dict[str, str],
                  early: bytes) -> RelayError:
    """The datanode's error answer (its RemoteException), read to the end."""
    body = early
    wanted = int(headers.get("content-length", HEAD_LIMIT))
    while len(body) < wanted and (piece := _io(sock.recv, HEAD_LIMIT)):
        body += piece
    try:
        remote = json.loads(body)["RemoteException"]
        return RelayError(remote.get("exception"), remote.get("message", ""))
    except (ValueError, KeyError, TypeError):
        return RelayError(None, f"HTTP {status}: {body[:200].decode('utf-8', 'replace')}")


def _splice(source: socket.socket, target: socket.socket, remaining: int) -> None:
    with splice_pipe() as (read_end, write_end):
        while remaining > 0:
            try:
                moved = _io(os.splice, source.fileno(), write_end, min(PIPE_SIZE, remaining))
            except OSError as error:  # not the target's failure: do not wait for its answer
                raise RelayError("ConnectionError",
                                 f"the source datanode went away: {error}") from error
            if moved == 0:
                raise RelayError("ConnectionError", f"the source datanode closed with "
                                                    f"{remaining} bytes still to send")
            remaining -= moved
            _io(drain, read_end, target.fileno(), moved)


def _io(call, *args):
    """A socket call; the kernel's timeout (EAGAIN on a blocking socket) named as such."""
    try:
        return call(*args)
    except BlockingIOError as error:
        raise RelayError("ConnectionError", "a datanode did not answer in time") from error
