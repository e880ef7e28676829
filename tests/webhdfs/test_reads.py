"""A reader that stops early (a seek, a footer read, a cancelled job) is routine: the
datanode lets it go without logging a fault."""

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

from tests.webhdfs.conftest import Site

MIB = 1024 * 1024


def test_a_reader_closing_early_is_not_logged_as_a_fault(site_a: Site,
                                                         webhdfs_dir: Path) -> None:
    path = f"/early-{time.monotonic_ns()}"
    site_a.client().write(path, data=b"x" * 64 * MIB)
    location = urlsplit(site_a.call("GET", path, "OPEN", noredirect="true").json()["Location"])
    log = webhdfs_dir / "site-a.log"
    before = log.stat().st_size

    with socket.create_connection((location.hostname, location.port), timeout=30) as sock:
        sock.sendall(f"GET {location.path}?{location.query} HTTP/1.1\r\n"
                     f"Host: {location.netloc}\r\n\r\n".encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    deadline = time.monotonic() + 10
    while path.encode() not in log.read_bytes()[before:]:
        assert time.monotonic() < deadline, "the datanode never noticed the reader leave"
        time.sleep(0.1)

    written = log.read_bytes()[before:]
    assert b"Traceback" not in written and b" ERROR " not in written
    assert site_a.client().status(path)["length"] == 64 * MIB
