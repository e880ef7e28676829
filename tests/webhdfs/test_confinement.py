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
    base: str  # HDFS path of the directory whose `d` is being swapped
    outside: Path
    namenode: str
    datanode: str  # bytes are opened here, so the racer's data requests go straight to it
    session: requests.Session  # one connection, not one per try (and one TIME_WAIT each)

    def send(self, server: str, method: str, rel: str, op: str, body: bytes | None = None,
             **params: str) -> requests.Response:
        """`op` on BASE/REL at `server` (the namenode's or the datanode's URL)."""
        reply = self.session.request(
            method, f"{server}/webhdfs/v1{self.base}/{rel}",
            params={"op": op, "user.name": SUPERUSER, **params}, data=body, timeout=30)
        assert reply.status_code != 500, (op, rel, reply.text)
        return reply


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
            yield Race(base, outside, site_a.url, datanode, session)
    finally:
        stop.set()
        swapper.join()


def test_open_never_reads_outside_the_root_while_a_directory_is_swapped(race: Race) -> None:
    leaked, served = 0, 0
    for _ in range(600):
        reply = race.send(race.datanode, "GET", "d/secret", "OPEN")
        assert reply.status_code in (200, 404), reply.text  # a swapped path is not there
        leaked += SECRET in reply.content
        served += reply.content == PUBLIC
    assert leaked == 0
    # The swaps met the requests: some were served, some found the link.
    assert 0 < served < 600


def test_create_never_writes_outside_the_root_while_a_directory_is_swapped(race: Race) -> None:
    written = 0
    for index in range(300):
        reply = race.send(race.datanode, "PUT", f"d/new-{index}", "CREATE", b"x")
        written += reply.status_code == 201
    assert sorted(path.name for path in race.outside.iterdir()) == ["secret"]
    assert 0 < written < 300


def test_other_writes_never_reach_outside_the_root_while_a_directory_is_swapped(
        race: Race) -> None:
    secret = race.outside / "secret"
    before = secret.stat().st_mtime_ns
    for index in range(60):
        race.send(race.datanode, "PUT", "d/secret", "CREATE", PUBLIC, overwrite="true")
        race.send(race.datanode, "POST", "d/secret", "APPEND", b"!")
        race.send(race.datanode, "GET", "d/secret", "GETFILECHECKSUM")
        race.send(race.namenode, "PUT", f"d/made-{index}", "MKDIRS")
        race.send(race.namenode, "PUT", "d/secret", "SETTIMES", modificationtime="0")
        race.send(race.namenode, "GET", "d", "LISTSTATUS")
        race.send(race.namenode, "PUT", "d/secret", "RENAME",
                  destination=f"{race.base}/d/moved")
        race.send(race.namenode, "DELETE", "d/moved", "DELETE")
        race.send(race.namenode, "DELETE", "d/secret", "DELETE")
    assert sorted(path.name for path in race.outside.iterdir()) == ["secret"]
    assert (secret.read_bytes(), secret.stat().st_mtime_ns) == (SECRET, before)


def test_snapshots_never_take_in_outside_files_while_a_directory_is_swapped(
        site_a: Site, race: Race) -> None:
    site_a.client().allow_snapshot(race.base)
    trees = set((site_a.state / "snapshots").iterdir())
    leaked, taken = 0, 0
    for index in range(100):
        name = f"s{index}"
        reply = race.send(race.namenode, "PUT", "", "CREATESNAPSHOT", snapshotname=name)
        if reply.status_code != 200:
            continue
        taken += 1
        reply = race.send(race.datanode, "GET", f".snapshot/{name}/d/secret", "OPEN")
        leaked += SECRET in reply.content
        race.send(race.namenode, "DELETE", "", "DELETESNAPSHOT", snapshotname=name)
    assert leaked == 0
    assert taken > 0
    # Every snapshot taken was deleted, and one that failed half-way left no tree.
    assert set((site_a.state / "snapshots").iterdir()) == trees
