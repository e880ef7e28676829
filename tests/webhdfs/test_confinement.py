"""Nothing outside the served root can be read or written through the server, even by
a local user who swaps a directory inside the root for a symbolic link to the outside
while a request is being served (check, then open by name, was the hole)."""

import ctypes
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.webhdfs.conftest import SUPERUSER, Site

SECRET = b"outside the root: must never be served"
PUBLIC = b"inside the root"
RENAME_EXCHANGE = 2
_libc = ctypes.CDLL(None, use_errno=True)


def _exchange(first: Path, second: Path) -> None:
    """Swap two names in one step (renameat2 RENAME_EXCHANGE), so one of them is always
    the real directory and the other the link: the widest window a racer can have."""
    if _libc.renameat2(-100, bytes(first), -100, bytes(second), RENAME_EXCHANGE) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error), str(first))


@dataclass(frozen=True)
class Race:
    directory: str  # HDFS path of the directory being swapped
    outside: Path
    datanode: str  # the racer's requests go straight to it, where bytes are opened
    session: requests.Session  # one connection, not one per try (and one TIME_WAIT each)

    def data(self, method: str, name: str, op: str, body: bytes | None = None,
             **params: str) -> requests.Response:
        """`op` on the datanode for DIRECTORY/NAME."""
        return self.session.request(
            method, f"{self.datanode}/webhdfs/v1{self.directory}/{name}",
            params={"op": op, "user.name": SUPERUSER, **params}, data=body, timeout=30)


@pytest.fixture
def race(site_a: Site, tmp_path: Path) -> Iterator[Race]:
    """BASE/d is a directory of the root holding `secret`; a thread keeps exchanging it
    with a symbolic link to an outside directory holding a `secret` of its own."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(SECRET)
    base = f"/race-{time.monotonic_ns()}"
    client = site_a.client()
    client.write(f"{base}/d/secret", data=PUBLIC)
    location = site_a.call("GET", f"{base}/d/secret", "OPEN", noredirect="true").json()
    datanode = "http://{}".format(urlsplit(location["Location"]).netloc)
    disk = site_a.root / base.lstrip("/")
    (disk / "link").symlink_to(outside)
    stop = threading.Event()

    def swap() -> None:
        while not stop.is_set():
            _exchange(disk / "d", disk / "link")

    swapper = threading.Thread(target=swap, daemon=True)
    swapper.start()
    try:
        with requests.Session() as session:
            yield Race(f"{base}/d", outside, datanode, session)
    finally:
        stop.set()
        swapper.join()


def test_open_never_reads_outside_the_root_while_a_directory_is_swapped(race: Race) -> None:
    leaked, served = 0, 0
    for _ in range(600):
        reply = race.data("GET", "secret", "OPEN")
        assert reply.status_code != 500, reply.text
        leaked += SECRET in reply.content
        served += reply.content == PUBLIC
    assert leaked == 0
    assert served > 0  # the race was run, not refused wholesale


def test_create_never_writes_outside_the_root_while_a_directory_is_swapped(race: Race) -> None:
    written = 0
    for index in range(300):
        reply = race.data("PUT", f"new-{index}", "CREATE", b"x")
        assert reply.status_code != 500, reply.text
        written += reply.status_code == 201
    assert sorted(path.name for path in race.outside.iterdir()) == ["secret"]
    assert written > 0


def test_other_writes_never_reach_outside_the_root_while_a_directory_is_swapped(
        site_a: Site, race: Race) -> None:
    secret = race.outside / "secret"
    before = secret.stat().st_mtime_ns
    for index in range(60):
        race.data("PUT", "secret", "CREATE", PUBLIC, overwrite="true")
        reply = race.data("POST", "secret", "APPEND", b"!")
        assert reply.status_code != 500, reply.text
        assert race.data("GET", "secret", "GETFILECHECKSUM").status_code != 500
        for method, name, op, params in (
                ("PUT", f"made-{index}", "MKDIRS", {}),
                ("PUT", "secret", "SETTIMES", {"modificationtime": "0"}),
                ("GET", "", "LISTSTATUS", {}),
                ("PUT", "secret", "RENAME", {"destination": f"{race.directory}/moved"}),
                ("DELETE", "moved", "DELETE", {}),
                ("DELETE", "secret", "DELETE", {})):
            reply = race.session.request(
                method, f"{site_a.url}/webhdfs/v1{race.directory}/{name}",
                params={"op": op, "user.name": SUPERUSER, **params}, timeout=30)
            assert reply.status_code != 500, reply.text
    assert sorted(path.name for path in race.outside.iterdir()) == ["secret"]
    assert (secret.read_bytes(), secret.stat().st_mtime_ns) == (SECRET, before)
