"""Copying a file datanode to datanode (`WebHdfs.copy_to`): spliced through the kernel
between two real servers, refusals named, nothing half-written left behind; and the
relay's own protocol rules against tiny loopback servers that misbehave on purpose."""

import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from adapters import relay
from adapters.webhdfs import WebHdfsError
from tests.webhdfs.conftest import Site


@pytest.fixture
def target_base(request: pytest.FixtureRequest, site_b: Site) -> str:
    path = "/t/relay-" + request.node.name.replace("[", "_").replace("]", "_")
    client = site_b.client()
    client.delete(path, recursive=True)
    client.makedirs(path, permission="777")
    return path


@pytest.mark.parametrize("size", [0, 1, 3 * 1024 * 1024 + 7])
def test_copy_to_another_cluster_is_byte_identical(site_a: Site, site_b: Site, base: str,
                                                     target_base: str, size: int) -> None:
    data = os.urandom(size)
    site_a.client().write(f"{base}/f", data=data)
    site_a.adapter().copy_to(f"{base}/f", site_b.adapter(), f"{target_base}/f", size,
                             permission="640")
    with site_b.client().read(f"{target_base}/f") as reader:
        assert reader.read() == data
    status = site_b.client().status(f"{target_base}/f")
    assert (status["length"], status["permission"]) == (size, "640")
    assert site_a.client().checksum(f"{base}/f") == site_b.client().checksum(
        f"{target_base}/f")


def _time_waits_towards(port: int) -> int:
    """This machine's sockets in TIME_WAIT whose peer is `port` on loopback: ones that
    hold an ephemeral port of the side that closed first."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows
               if row.split()[3] == "06" and int(row.split()[2].split(":")[1], 16) == port)


def test_the_datanodes_close_first_so_copies_spend_no_ephemeral_ports(
        site_a: Site, site_b: Site, base: str, target_base: str) -> None:
    for index in range(20):
        site_a.client().write(f"{base}/f{index}", data=b"x" * index)
    datanodes = [urlsplit(site_a.call("GET", f"{base}/f1", "OPEN", noredirect="true")
                          .json()["Location"]).port,
                 urlsplit(site_b.call("PUT", f"{target_base}/f1", "CREATE", noredirect="true")
                          .json()["Location"]).port]
    before = sum(_time_waits_towards(port) for port in datanodes)
    for index in range(20):
        site_a.adapter().copy_to(f"{base}/f{index}", site_b.adapter(),
                                 f"{target_base}/f{index}", index)
    assert sum(_time_waits_towards(port) for port in datanodes) == before


def test_copy_to_replaces_an_existing_file(site_a: Site, site_b: Site, base: str,
                                           target_base: str) -> None:
    site_a.client().write(f"{base}/f", data=b"new contents")
    site_b.client().write(f"{target_base}/f", data=b"old, longer contents")
    site_a.adapter().copy_to(f"{base}/f", site_b.adapter(), f"{target_base}/f", 12)
    with site_b.client().read(f"{target_base}/f") as reader:
        assert reader.read() == b"new contents"


def test_a_refused_target_is_named_and_leaves_no_file(site_a: Site, site_b: Site, base: str,
                                                      target_base: str) -> None:
    site_a.client().write(f"{base}/f", data=os.urandom(2 * 1024 * 1024))
    site_b.client().makedirs(f"{target_base}/closed", permission="755")
    with pytest.raises(WebHdfsError) as refused:
        site_a.adapter().copy_to(f"{base}/f", site_b.adapter("alice"),
                                 f"{target_base}/closed/f", 2 * 1024 * 1024)
    assert refused.value.exception == "AccessControlException"
    assert site_b.client().status(f"{target_base}/closed/f", strict=False) is None


def test_a_datanode_refusing_the_body_is_named(site_a: Site, site_b: Site, base: str,
                                               target_base: str) -> None:
    """The namenode allowed the write, the datanode does not (the caller's rights were
    taken away in between): its RemoteException comes back, not a broken pipe."""
    size = 8 * 1024 * 1024
    site_a.client().write(f"{base}/f", data=os.urandom(size))
    site_b.client().makedirs(f"{target_base}/closed", permission="755")
    open_url = site_a.call("GET", f"{base}/f", "OPEN", noredirect="true").json()["Location"]
    create_url = site_b.call("PUT", f"{target_base}/closed/f", "CREATE",
                             noredirect="true").json()["Location"]
    with pytest.raises(relay.RelayError) as refused:
        relay.relay(open_url, create_url.replace("user.name=lockstep", "user.name=alice"),
                    size, timeout=10)
    assert refused.value.exception == "AccessControlException"
    assert site_b.client().status(f"{target_base}/closed/f", strict=False) is None


def test_a_missing_source_is_named(site_a: Site, site_b: Site, base: str,
                                   target_base: str) -> None:
    with pytest.raises(WebHdfsError) as missing:
        site_a.adapter().copy_to(f"{base}/nothing", site_b.adapter(), f"{target_base}/f", 1)
    assert missing.value.exception == "FileNotFoundException"
    assert site_b.client().status(f"{target_base}/f", strict=False) is None


def test_a_length_other_than_the_sources_is_refused(site_a: Site, site_b: Site, base: str,
                                                    target_base: str) -> None:
    site_a.client().write(f"{base}/f", data=b"12345")
    with pytest.raises(WebHdfsError, match="offers 5 bytes, 6 expected"):
        site_a.adapter().copy_to(f"{base}/f", site_b.adapter(), f"{target_base}/f", 6)
    assert site_b.client().status(f"{target_base}/f", strict=False) is None


# the relay's protocol, against servers that misbehave on purpose


class _Chunked(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"5\r\nhello\r\n0\r\n\r\n")

    def do_PUT(self) -> None:
        self.server.puts += 1  # type: ignore[attr-defined]
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def chunked_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Chunked)
    server.puts = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_body_without_a_length_is_left_to_the_streaming_copy(
        chunked_server: ThreadingHTTPServer) -> None:
    url = f"http://127.0.0.1:{chunked_server.server_port}/webhdfs/v1/f?op=OPEN"
    assert relay.relay(url, url.replace("OPEN", "CREATE"), 5, timeout=5) is False
    assert chunked_server.puts == 0  # type: ignore[attr-defined]


class _Truncating(BaseHTTPRequestHandler):
    """A source datanode that dies after the first bytes of its answer."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(1024 * 1024))
        self.end_headers()
        self.wfile.write(b"first bytes")
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, *args: object) -> None:
        pass


def test_a_source_dying_mid_copy_is_named_and_the_target_keeps_no_file(
        site_b: Site, target_base: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Truncating)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        create_url = site_b.call("PUT", f"{target_base}/f", "CREATE",
                                 noredirect="true").json()["Location"]
        with pytest.raises(relay.RelayError, match="still to send") as died:
            relay.relay(f"http://127.0.0.1:{server.server_port}/webhdfs/v1/f?op=OPEN",
                        create_url, 1024 * 1024, timeout=10)
        assert died.value.exception == "ConnectionError"
    finally:
        server.shutdown()
        server.server_close()
    assert site_b.client().status(f"{target_base}/f", strict=False) is None


def test_a_datanode_that_never_answers_times_out() -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # accepts in the kernel, never answers
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/webhdfs/v1/f?op=OPEN"
        started = time.monotonic()
        with pytest.raises(relay.RelayError, match="did not answer in time") as stuck:
            relay.relay(url, url, 10, timeout=0.5)
        assert stuck.value.exception == "ConnectionError"
        assert time.monotonic() - started < 5
    finally:
        silent.close()


def test_an_unreachable_datanode_is_a_connection_error() -> None:
    free = socket.create_server(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    with pytest.raises(relay.RelayError) as unreachable:
        relay.relay(f"http://127.0.0.1:{port}/x", f"http://127.0.0.1:{port}/y", 1, timeout=2)
    assert unreachable.value.exception == "ConnectionError"
