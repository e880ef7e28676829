"""A cluster endpoint that accepts a connection and then never answers fails the call
within its timeout, naming the endpoint, instead of hanging a round or a page."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from adapters.hiveserver2 import HiveServer2, HiveServer2Error


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback port that accepts connections and never sends a byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.mark.parametrize("password", ["", "secret"])  # NOSASL, and LDAP's SASL handshake
def test_a_silent_hiveserver2_fails_within_its_timeout_naming_it(silent_server, password):
    started = time.monotonic()
    with pytest.raises(HiveServer2Error, match=f"HiveServer2 at 127.0.0.1:{silent_server} "):
        HiveServer2("127.0.0.1", silent_server, "lockstep", password, timeout=1).query(
            "SELECT 1")
    assert time.monotonic() - started < 5
