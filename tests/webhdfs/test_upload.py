"""How the datanode takes in bodies: spliced when the length is stated, streamed when
chunked; the connection stays usable, a client that leaves keeps no file, and a
shutdown does not wait on a stalled upload."""

import asyncio
import os
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from aiohttp import web

from minicluster.webhdfs import upload
from minicluster.webhdfs.app import DATANODE_OPS, Cluster, build_app
from minicluster.webhdfs.namespace import Settings
from tests.webhdfs.conftest import SUPERUSER, Site, start_site

IDLE_S = 4.0
MIN_RATE = 4096
PER_CLIENT = 40
TRICKLE_S = 0.2


@pytest.fixture
def base(site_a: Site) -> str:
    path = f"/upload-{time.monotonic_ns()}"
    site_a.client().makedirs(path)
    return path


def _read(site: Site, path: str) -> bytes:
    with site.client().read(path) as reader:
        return reader.read()


def _create_location(site: Site, path: str) -> str:
    reply = site.call("PUT", path, "CREATE", noredirect="true", overwrite="true")
    return reply.json()["Location"]


def _connect(location: str) -> socket.socket:
    parts = urlsplit(location)
    return socket.create_connection((parts.hostname, parts.port), timeout=30)


def _head(location: str, length: int, extra: str = "") -> bytes:
    parts = urlsplit(location)
    return (f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Length: {length}\r\n{extra}\r\n").encode()


def _answer(sock: socket.socket) -> bytes:
    """Everything the datanode sends until it closes."""
    answer = b""
    while piece := sock.recv(65536):
        answer += piece
    return answer


def _staged(site: Site) -> list[Path]:
    return [path for path in site.state.rglob("tmp*") if path.is_file()]


def test_a_body_of_stated_length_arrives_whole_and_its_connection_closes(site_a: Site,
                                                                        base: str) -> None:
    data = os.urandom(3 * 1024 * 1024 + 7)
    location = _create_location(site_a, f"{base}/spliced")
    with _connect(location) as sock:
        sock.sendall(_head(location, len(data)))
        time.sleep(0.05)  # the body arrives after the headers, as the relay sends it
        for start in range(0, len(data), 100_000):
            sock.sendall(data[start:start + 100_000])
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 201")
    assert b"Connection: close" in answer
    assert _read(site_a, f"{base}/spliced") == data


def test_a_client_that_expects_100_continue_gets_it_before_sending(site_a: Site,
                                                                   base: str) -> None:
    """curl asks so before a body over 1 MiB."""
    data = os.urandom(2 * 1024 * 1024)
    location = _create_location(site_a, f"{base}/continued")
    with _connect(location) as sock:
        sock.sendall(_head(location, len(data), "Expect: 100-continue\r\n"))
        assert sock.recv(65536).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(data)
        assert _answer(sock).startswith(b"HTTP/1.1 201")
    assert _read(site_a, f"{base}/continued") == data


def test_a_body_that_came_with_its_headers_keeps_the_connection(site_a: Site,
                                                               base: str) -> None:
    location = _create_location(site_a, f"{base}/early")
    with _connect(location) as sock:
        for body in (b"first", b"second"):
            sock.sendall(_head(location, len(body)) + body)
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 201"), answer
            assert b"Connection: close" not in answer
    assert _read(site_a, f"{base}/early") == b"second"


def test_a_keep_alive_client_writes_file_after_file(site_a: Site, base: str) -> None:
    with requests.Session() as session:
        for index in range(20):
            body = bytes([index]) * 300_000
            location = _create_location(site_a, f"{base}/f{index}")
            assert session.put(location, data=body, timeout=30).status_code == 201
    for index in range(20):
        assert _read(site_a, f"{base}/f{index}") == bytes([index]) * 300_000


def test_a_client_leaving_mid_body_leaves_no_file(site_a: Site, base: str) -> None:
    location = _create_location(site_a, f"{base}/half")
    before = set(_staged(site_a))
    with _connect(location) as sock:
        sock.sendall(_head(location, 4 * 1024 * 1024))
        time.sleep(0.05)
        sock.sendall(b"x" * 1024 * 1024)
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    while set(_staged(site_a)) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(_staged(site_a)) - before
    assert site_a.client().status(f"{base}/half", strict=False) is None
    site_a.client().write(f"{base}/half", data=b"whole")
    assert _read(site_a, f"{base}/half") == b"whole"


@pytest.fixture(scope="module")
def strict_site(webhdfs_dir: Path) -> Iterator[Site]:
    """A server that gives a quiet body IDLE_S and wants MIN_RATE bytes/s after it."""
    yield from start_site(webhdfs_dir, "strict", webhdfs_dir / "groups.json", options=[
        "--upload-idle-timeout", str(IDLE_S), "--upload-min-rate", str(MIN_RATE),
        "--uploads-per-client", str(PER_CLIENT)])


def _open_upload(site: Site, path: str, length: int) -> socket.socket:
    """A CREATE whose headers are sent and whose body is still to come."""
    location = _create_location(site, path)
    sock = _connect(location)
    sock.sendall(_head(location, length))
    return sock


def _trickle_until_answered(socks: list[socket.socket], deadline: float) -> dict[int, bytes]:
    """Send each upload a byte every TRICKLE_S until the datanode answers or drops it;
    returns the answers by index (b'' for a connection reset)."""
    answers: dict[int, bytes] = {}
    while len(answers) < len(socks) and time.monotonic() < deadline:
        for index, sock in enumerate(socks):
            if index in answers:
                continue
            try:
                if select.select([sock], [], [], 0)[0]:
                    answers[index] = _answer(sock)
                else:
                    sock.send(b"s")
            except OSError:
                answers[index] = b""
        time.sleep(TRICKLE_S)
    return answers


def test_slow_uploads_from_one_client_do_not_starve_a_normal_one(strict_site: Site) -> None:
    base = f"/slow-{time.monotonic_ns()}"
    slow = [_open_upload(strict_site, f"{base}/slow-{index}", 1024 * 1024)
            for index in range(34)]
    try:
        _trickle_until_answered(slow, time.monotonic() + 0.5)
        data = os.urandom(4 * 1024 * 1024)
        start = time.monotonic()
        strict_site.client().write(f"{base}/normal", data=data)
        took = time.monotonic() - start
        answers = _trickle_until_answered(slow, time.monotonic() + IDLE_S + 10)
    finally:
        for sock in slow:
            sock.close()
    assert took < IDLE_S / 2  # done while the slow ones were still trickling
    assert _read(strict_site, f"{base}/normal") == data
    assert len(answers) == len(slow)
    for answer in answers.values():  # a reset may overtake the answer, never a success
        assert answer == b"" or (answer.startswith(b"HTTP/1.1 403")
                                 and b"SocketTimeoutException" in answer), answer
    assert any(b"slower than the" in answer for answer in answers.values())
    assert _staged(strict_site) == []
    assert strict_site.client().list(base) == ["normal"]


def test_a_silent_client_is_told_and_leaves_no_file(strict_site: Site) -> None:
    path = f"/silent-{time.monotonic_ns()}"
    with _open_upload(strict_site, path, 10) as sock:
        sock.sendall(b"abc")
        sock.settimeout(IDLE_S + 10)
        start = time.monotonic()
        answer = _answer(sock)
    assert IDLE_S * 0.8 < time.monotonic() - start < IDLE_S + 10
    assert answer.startswith(b"HTTP/1.1 403")
    # Silent since its first bytes, it is both idle and too slow: either may be named.
    assert b"3 bytes" in answer and b"upload abandoned, send the file again" in answer
    assert _staged(strict_site) == []
    assert strict_site.client().status(path, strict=False) is None


def test_a_client_over_its_upload_limit_is_told_to_retry(strict_site: Site) -> None:
    base = f"/many-{time.monotonic_ns()}"
    held = [_open_upload(strict_site, f"{base}/held-{index}", 100)
            for index in range(PER_CLIENT)]
    try:
        time.sleep(0.5)  # every one has reached the datanode
        location = _create_location(strict_site, f"{base}/one-more")
        reply = requests.put(location, data=b"x" * 100, timeout=30)
    finally:
        for sock in held:
            sock.close()
    assert reply.status_code == 403
    assert reply.json()["RemoteException"]["exception"] == "RetriableException"
    assert f"already sending {PER_CLIENT} files" in reply.json()["RemoteException"]["message"]


def test_a_shutdown_stops_a_stalled_upload(tmp_path: Path) -> None:
    """A stalled body holds no receiver thread, so a shutdown does not wait for its idle
    timeout."""
    settings = Settings(root=tmp_path / "root", state=tmp_path / "state", superuser=SUPERUSER,
                        default_owner=SUPERUSER, default_group="supergroup", groups_file=None)
    settings.root.mkdir()
    settings.state.mkdir()

    async def scenario() -> float:
        cluster = Cluster(settings, "127.0.0.1", 0, 0)
        runner = web.AppRunner(build_app(cluster, DATANODE_OPS), shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        location = f"http://127.0.0.1:{port}/webhdfs/v1/stalled?op=CREATE&user.name={SUPERUSER}"
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_head(location, 1024 * 1024))
        await writer.drain()
        await asyncio.sleep(0.1)
        writer.write(b"y" * 1000)
        await writer.drain()
        await asyncio.sleep(0.2)
        start = time.monotonic()
        await runner.cleanup()
        await asyncio.get_running_loop().run_in_executor(None, cluster.close)
        writer.close()
        return time.monotonic() - start

    assert asyncio.run(scenario()) < upload.UploadLimits().idle_timeout_s / 4
    assert not list(settings.root.iterdir())
