"""The store and the disk agree again after a crash or after writes behind the server's
back: rows for missing paths are dropped, unknown files get defaults."""

import os
import sqlite3
from pathlib import Path

from hdfs import InsecureClient

from minicluster.webhdfs import launcher
from tests.webhdfs.conftest import SUPERUSER


def run_server(root: Path, state: Path, log: Path):
    namenode, datanode = launcher.free_port(), launcher.free_port()
    process = launcher.start(root, state, namenode, datanode, SUPERUSER, log=log.open("ab"))
    url = f"http://127.0.0.1:{namenode}"
    launcher.wait_ready(url, timeout=30, process=process)
    return process, InsecureClient(url, user=SUPERUSER)


def test_restart_reconciles_store_and_disk(tmp_path: Path) -> None:
    root, state, log = tmp_path / "root", tmp_path / "state", tmp_path / "server.log"
    root.mkdir()
    process, client = run_server(root, state, log)
    try:
        for name in ("kept", "vanished", "replaced"):
            client.write(f"/d/{name}", data=name.encode(), permission="600")
            client.set_owner(f"/d/{name}", owner="alice")
        kept_id = client.status("/d/kept")["fileId"]
        replaced_id = client.status("/d/replaced")["fileId"]
    finally:
        launcher.stop(process)
    assert process.returncode == 0  # SIGTERM is a clean shutdown

    # What a crash between a file operation and its metadata update can leave behind.
    (root / "d" / "vanished").unlink()
    (root / "d" / "vanished").mkdir()
    (root / "d" / "replaced.new").write_bytes(b"other bytes")
    os.replace(root / "d" / "replaced.new", root / "d" / "replaced")
    (root / "d" / "unknown").write_bytes(b"?")
    (state / "snapshots" / "9999").mkdir()
    (state / "tmp" / "half-written").write_bytes(b"partial")

    process, client = run_server(root, state, log)
    try:
        kept = client.status("/d/kept")
        assert (kept["owner"], kept["permission"], kept["fileId"]) == ("alice", "600", kept_id)
        vanished = client.status("/d/vanished")
        assert (vanished["type"], vanished["owner"], vanished["permission"]) == (
            "DIRECTORY", SUPERUSER, "755")
        replaced = client.status("/d/replaced")
        assert (replaced["owner"], replaced["permission"]) == (SUPERUSER, "644")
        assert replaced["fileId"] != replaced_id
        assert client.status("/d/unknown")["permission"] == "644"
    finally:
        launcher.stop(process)
    assert not (state / "snapshots" / "9999").exists()
    assert list((state / "tmp").iterdir()) == []
    with sqlite3.connect(state / "namespace.sqlite") as db:
        rows = dict(db.execute("SELECT path, is_dir FROM inode WHERE path LIKE '/d/%'"))
    assert rows == {"/d/kept": 0, "/d/vanished": 1, "/d/replaced": 0, "/d/unknown": 0}
