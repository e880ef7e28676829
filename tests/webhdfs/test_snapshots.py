"""Snapshot rules: snapshottable directories, `.snapshot` views, immutability."""

import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from hdfs import HdfsError, InsecureClient

from adapters.webhdfs import WebHdfs, WebHdfsError
from tests.webhdfs.conftest import Site


def read(client: InsecureClient, path: str) -> bytes:
    with client.read(path) as reader:
        return reader.read()


def refused(action, exception: str) -> str:
    with pytest.raises(HdfsError) as error:
        action()
    assert error.value.exception == exception, error.value.message
    return str(error.value.message)


@pytest.fixture
def snapdir(client: InsecureClient, base: str) -> str:
    client.write(f"{base}/snap/a.txt", data=b"version one")
    client.write(f"{base}/snap/sub/b.txt", data=b"bee")
    client.allow_snapshot(f"{base}/snap")
    return f"{base}/snap"


def test_allow_and_disallow_are_idempotent(client: InsecureClient, snapdir: str) -> None:
    client.allow_snapshot(snapdir)
    assert client.status(snapdir)["snapshotEnabled"] is True
    client.disallow_snapshot(snapdir)
    client.disallow_snapshot(snapdir)
    assert "snapshotEnabled" not in client.status(snapdir)


def test_snapshottable_directories_do_not_nest(client: InsecureClient, snapdir: str,
                                               base: str) -> None:
    message = refused(lambda: client.allow_snapshot(f"{snapdir}/sub"), "SnapshotException")
    assert "ancestor" in message
    message = refused(lambda: client.allow_snapshot(base), "SnapshotException")
    assert "subdirectory" in message


def test_create_snapshot_returns_its_path_and_lists_it(client: InsecureClient,
                                                       snapdir: str) -> None:
    assert client.create_snapshot(snapdir, "s1") == f"{snapdir}/.snapshot/s1"
    generated = client.create_snapshot(snapdir)
    assert re.fullmatch(rf"{snapdir}/\.snapshot/s\d{{8}}-\d{{6}}\.\d{{3}}", generated)
    assert client.list(f"{snapdir}/.snapshot") == sorted(["s1", generated.rsplit("/", 1)[1]])
    assert read(client, f"{snapdir}/.snapshot/s1/sub/b.txt") == b"bee"


def test_snapshot_errors(client: InsecureClient, snapdir: str) -> None:
    client.create_snapshot(snapdir, "s1")
    refused(lambda: client.create_snapshot(snapdir, "s1"), "SnapshotException")
    refused(lambda: client.create_snapshot(f"{snapdir}/sub", "x"), "SnapshotException")
    refused(lambda: client.delete_snapshot(snapdir, "nope"), "SnapshotException")
    refused(lambda: client.rename_snapshot(snapdir, "nope", "s2"), "SnapshotException")
    client.create_snapshot(snapdir, "s2")
    refused(lambda: client.rename_snapshot(snapdir, "s1", "s2"), "SnapshotException")
    client.rename_snapshot(snapdir, "s1", "first")
    assert client.list(f"{snapdir}/.snapshot") == ["first", "s2"]
    refused(lambda: client.disallow_snapshot(snapdir), "SnapshotException")
    refused(lambda: client.delete(snapdir, recursive=True), "SnapshotException")
    client.delete_snapshot(snapdir, "first")
    client.delete_snapshot(snapdir, "s2")
    client.disallow_snapshot(snapdir)


def test_a_directory_with_snapshots_cannot_be_deleted_or_renamed(client: InsecureClient,
                                                                  snapdir: str,
                                                                  base: str) -> None:
    client.create_snapshot(snapdir, "s1")
    refused(lambda: client.delete(base, recursive=True), "SnapshotException")
    refused(lambda: client.rename(snapdir, f"{base}/elsewhere"), "SnapshotException")
    refused(lambda: client.rename(base, "/t/elsewhere"), "SnapshotException")
    assert client.status(f"{snapdir}/a.txt")["length"] == 11


def test_only_the_superuser_allows_snapshots(site_a: Site, base: str) -> None:
    site_a.client().makedirs(f"{base}/mine")
    site_a.client().set_owner(f"{base}/mine", owner="alice")
    alice = site_a.client("alice")
    refused(lambda: alice.allow_snapshot(f"{base}/mine"), "AccessControlException")
    site_a.client().allow_snapshot(f"{base}/mine")
    alice.create_snapshot(f"{base}/mine", "by-alice")
    refused(lambda: site_a.client("bob").create_snapshot(f"{base}/mine", "by-bob"),
            "AccessControlException")


def test_snapshot_views_are_read_only(site_a: Site, snapdir: str) -> None:
    client = site_a.client()
    client.create_snapshot(snapdir, "s1")
    view = f"{snapdir}/.snapshot/s1"
    refused(lambda: client.write(f"{view}/new", data=b"x"), "SnapshotAccessControlException")
    refused(lambda: client.write(f"{view}/a.txt", data=b"x", append=True),
            "SnapshotAccessControlException")
    refused(lambda: client.makedirs(f"{view}/dir"), "SnapshotAccessControlException")
    refused(lambda: client.delete(f"{view}/a.txt"), "SnapshotAccessControlException")
    refused(lambda: client.rename(f"{snapdir}/a.txt", f"{view}/a.txt"),
            "SnapshotAccessControlException")
    refused(lambda: client.set_permission(f"{view}/a.txt", "777"),
            "SnapshotAccessControlException")
    reply = site_a.call("PUT", f"{view}/a.txt", "SETOWNER", owner="bob")
    assert reply.status_code == 403
    assert read(client, f"{view}/a.txt") == b"version one"


def test_dot_snapshot_is_a_reserved_name(site_a: Site, base: str) -> None:
    reply = site_a.call("PUT", f"{base}/plain/.snapshot", "MKDIRS")
    assert reply.status_code == 400
    assert reply.json()["RemoteException"]["message"] == '".snapshot" is a reserved name.'


def test_snapshot_keeps_content_through_every_write_path(client: InsecureClient,
                                                         snapdir: str) -> None:
    client.create_snapshot(snapdir, "s1")
    client.write(f"{snapdir}/a.txt", data=b"version two", overwrite=True)
    client.write(f"{snapdir}/sub/b.txt", data=b" and more", append=True)
    client.write(f"{snapdir}/sub/c.txt", data=b"new")
    client.delete(f"{snapdir}/sub/c.txt")
    client.set_permission(f"{snapdir}/a.txt", "600")
    old = f"{snapdir}/.snapshot/s1"
    assert read(client, f"{old}/a.txt") == b"version one"
    assert read(client, f"{old}/sub/b.txt") == b"bee"
    assert client.status(f"{old}/sub/b.txt")["length"] == 3
    assert client.status(f"{old}/a.txt")["permission"] == "644"
    assert client.list(f"{old}/sub") == ["b.txt"]
    assert read(client, f"{snapdir}/sub/b.txt") == b"bee and more"


def test_snapshots_share_file_data_instead_of_copying(site_a: Site, snapdir: str) -> None:
    site_a.client().create_snapshot(snapdir, "s1")
    live = site_a.root / snapdir.lstrip("/") / "sub" / "b.txt"
    assert os.stat(live).st_nlink == 2
    linked = [path for path in (site_a.state / "snapshots").rglob("b.txt")
              if os.stat(path).st_ino == os.stat(live).st_ino]
    assert linked


def test_snapshot_reads_a_file_still_being_written_up_to_its_length_at_the_snapshot(
    site_a: Site, snapdir: str
) -> None:
    """Another process (Spark) appends to a file behind WebHDFS's back after the
    snapshot: like HDFS, the snapshot keeps serving the length it recorded."""
    client = site_a.client()
    on_disk = site_a.root / snapdir.lstrip("/") / "in-flight.parquet"
    on_disk.write_bytes(b"PAR1")
    assert client.status(f"{snapdir}/in-flight.parquet")["length"] == 4
    client.create_snapshot(snapdir, "s1")
    with on_disk.open("ab") as writer:
        writer.write(b" and the rest of the file")
    old = f"{snapdir}/.snapshot/s1/in-flight.parquet"
    assert read(client, old) == b"PAR1"
    assert client.checksum(old) == client.checksum(_copy_of(client, snapdir, b"PAR1"))


def test_a_commit_marker_rewritten_in_place_keeps_its_snapshots_bytes(
    site_a: Site, snapdir: str
) -> None:
    """Hadoop's local file system (Spark's warehouse writer) truncates and rewrites
    `_SUCCESS` and its `.crc` in place at every commit: a snapshot must not follow."""
    client = site_a.client()
    folder = site_a.root / snapdir.lstrip("/")
    for name, data in (("_SUCCESS", b"commit one"), ("._SUCCESS.crc", b"crc one")):
        (folder / name).write_bytes(data)
    client.create_snapshot(snapdir, "s1")
    for name, data in (("_SUCCESS", b"commit two"), ("._SUCCESS.crc", b"crc two")):
        with (folder / name).open("r+b") as writer:  # the same inode, truncated
            writer.truncate(0)
            writer.write(data)
    assert read(client, f"{snapdir}/.snapshot/s1/_SUCCESS") == b"commit one"
    assert read(client, f"{snapdir}/.snapshot/s1/._SUCCESS.crc") == b"crc one"
    assert read(client, f"{snapdir}/_SUCCESS") == b"commit two"


def test_a_commit_marker_rewritten_while_a_snapshot_is_taken_is_listed_as_copied(
    site_a: Site, snapdir: str
) -> None:
    """A snapshot's listing and its bytes agree even when Spark truncates `._SUCCESS.crc`
    between the walk that lists it and the copy: a replica once read 0 bytes of 8."""
    client = site_a.client()
    marker = site_a.root / snapdir.lstrip("/") / "._SUCCESS.crc"
    marker.write_bytes(b"crc\0\0\0\2\0")
    stop = threading.Event()

    def rewrite() -> None:
        with marker.open("r+b", buffering=0) as writer:
            while not stop.is_set():
                writer.truncate(0)
                time.sleep(0.001)
                writer.seek(0)
                writer.write(b"crc\0\0\0\2\0")
                time.sleep(0.001)

    rewriter = threading.Thread(target=rewrite)
    rewriter.start()
    try:
        names = [f"r{n}" for n in range(40)]
        for name in names:
            client.create_snapshot(snapdir, name)
    finally:
        stop.set()
        rewriter.join()
    for name in names:
        path = f"{snapdir}/.snapshot/{name}/._SUCCESS.crc"
        assert client.status(path)["length"] == len(read(client, path)), name


def _copy_of(client: InsecureClient, directory: str, data: bytes) -> str:
    path = f"{directory}/copy-{len(data)}"
    client.write(path, data=data, overwrite=True)
    return path


def test_snapshot_root_shows_the_creation_time(client: InsecureClient, snapdir: str) -> None:
    client.create_snapshot(snapdir, "s1")
    created = client.status(f"{snapdir}/.snapshot/s1")["modificationTime"]
    listed = dict(client.list(f"{snapdir}/.snapshot", status=True))
    assert listed["s1"]["modificationTime"] == created
    assert created >= client.status(snapdir)["modificationTime"]


def test_snapshottable_directory_list_and_snapshot_list(site_a: Site, snapdir: str,
                                                        base: str) -> None:
    admin: WebHdfs = site_a.adapter()
    admin.create_snapshot(snapdir, "s1")
    admin.create_snapshot(snapdir, "s2")
    mine = next(d for d in admin.snapshottable_dirs() if d.path == snapdir)
    assert (mine.snapshot_count, mine.snapshot_quota) == (2, 65536)
    assert mine.status["type"] == "DIRECTORY"
    # frank owns no other snapshottable directory in the whole test run
    assert site_a.adapter("frank").snapshottable_dirs() == []
    site_a.client().makedirs(f"{base}/franks")
    site_a.client().set_owner(f"{base}/franks", owner="frank")
    admin.allow_snapshot(f"{base}/franks")
    assert [d.path for d in site_a.adapter("frank").snapshottable_dirs()] == [f"{base}/franks"]
    snapshots = admin.snapshots(snapdir)
    assert [s.name for s in snapshots] == ["s1", "s2"]
    assert snapshots[0].snapshot_id < snapshots[1].snapshot_id
    assert snapshots[0].created <= snapshots[1].created


def test_adapter_surfaces_remote_exceptions(site_a: Site, base: str) -> None:
    adapter = site_a.adapter()
    with pytest.raises(WebHdfsError) as error:
        adapter.snapshot_diff(base, "a", "b")
    assert error.value.exception == "SnapshotException"
    with pytest.raises(WebHdfsError) as error:
        adapter.status(f"{base}/missing")
    assert error.value.exception == "FileNotFoundException"
    with pytest.raises(WebHdfsError) as error:
        WebHdfs("http://127.0.0.1:9", "x").status("/")
    assert error.value.exception == "ConnectionError"


def test_snapshots_of_a_directory_requested_together_are_each_dated_when_requested(
    site_a: Site, base: str
) -> None:
    """Twenty requests at once, as twenty services due at one moment send them: they do
    not wait for one another's walks, and each sees the files of that moment."""
    path, folder = f"{base}/wide", site_a.root / base.lstrip("/") / "wide"
    for number in range(100):
        (folder / f"d{number:03d}").mkdir(parents=True)
        for file in range(20):
            (folder / f"d{number:03d}" / f"f{file:02d}").write_bytes(b"%d" % file)
    admin = site_a.adapter()
    admin.allow_snapshot(path)
    admin.create_snapshot(path, "first")  # adopts the files written behind the server's back
    started = time.perf_counter()
    admin.create_snapshot(path, "alone")
    alone_ms = (time.perf_counter() - started) * 1000
    trees = len(list((site_a.state / "snapshots").iterdir()))
    clients = [site_a.adapter() for _ in range(20)]
    for client in clients:
        client.status(path)  # each with its connection open, as a round's warm-up leaves it
    together = threading.Barrier(len(clients))
    sent: dict[str, float] = {}

    def request(number: int) -> None:
        together.wait()
        sent[f"s{number}"] = time.time() * 1000
        clients[number].create_snapshot(path, f"s{number}")

    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(request, range(len(clients))))
    created = {s.name: s.created for s in admin.snapshots(path)}
    # One after another, twenty would take twenty walks.
    took = max(created[name] for name in sent) - min(sent.values())
    assert took < 3 * alone_ms, (took, alone_ms, created)
    assert len(list((site_a.state / "snapshots").iterdir())) <= trees + 2

    client = site_a.client()
    client.write(f"{path}/d000/later", data=b"after the moment")
    admin.create_snapshot(path, "after")
    assert "later" in client.list(f"{path}/.snapshot/after/d000")
    for name in sent:
        assert client.list(f"{path}/.snapshot/{name}/d000") == [f"f{n:02d}" for n in range(20)]
    for name in sorted(sent)[1:]:
        admin.delete_snapshot(path, name)
    assert read(client, f"{path}/.snapshot/s0/d099/f19") == b"19"
    admin.delete_snapshot(path, "s0")
    assert len(list((site_a.state / "snapshots").iterdir())) == trees + 1  # "after"


def test_a_snapshot_leaves_out_what_a_writer_removes_while_it_is_taken(
    site_a: Site, client: InsecureClient, snapdir: str
) -> None:
    """Spark writes a table through a `_temporary` directory straight on disk and removes
    it when the job commits: a snapshot taken meanwhile must not fail on the vanished
    files (before, it answered FileNotFoundException)."""
    scratch = site_a.root / snapdir.lstrip("/") / "table" / "_temporary"
    stopping = threading.Event()

    def churn() -> None:
        while not stopping.is_set():
            for attempt in range(20):
                part = scratch / f"attempt-{attempt}"
                part.mkdir(parents=True, exist_ok=True)
                for number in range(20):
                    (part / f"part-{number}").write_bytes(b"x")
            for attempt in range(20):
                for number in range(20):
                    (scratch / f"attempt-{attempt}" / f"part-{number}").unlink()
                (scratch / f"attempt-{attempt}").rmdir()

    writer = threading.Thread(target=churn, daemon=True)
    writer.start()
    try:
        for number in range(40):
            client.create_snapshot(snapdir, f"s{number}")
            client.delete_snapshot(snapdir, f"s{number}")
    finally:
        stopping.set()
        writer.join(10)
