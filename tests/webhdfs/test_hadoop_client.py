"""Hadoop's own WebHdfsFileSystem (hadoop-client 3.5, as pyspark ships it) against the
server: every operation Spark, distcp and `hdfs dfs` reach it through.

The expected results are Hadoop's: what WebHdfsFileSystem returns or throws against a real
namenode (NamenodeWebHdfsMethods and the FSDir*Op classes behind it), with HDFS's
defaults (dfs.ls.limit and dfs.namenode.snapshotdiff.listing.limit 1000, umask 022).
"""

import time

import pytest
from py4j.java_gateway import JavaObject

from tests.webhdfs.conftest import SUPERUSER, Site
from tests.webhdfs.jvm import MIB, SHIM_CLASS, Hadoop, make_dirs, raised
from tests.webhdfs.test_checksum import expected as expected_checksum

pytest_plugins = ["tests.webhdfs.jvm_fixtures"]

NOT_FOUND = "java.io.FileNotFoundException"
IO_EXCEPTION = "java.io.IOException"
ACCESS_DENIED = "org.apache.hadoop.security.AccessControlException"
HADOOP_ILLEGAL_ARGUMENT = "org.apache.hadoop.HadoopIllegalArgumentException"
# Not in hadoop-client-api, so the client cannot rebuild it: it throws a RemoteException
# naming it (JavaError.thrown).
SNAPSHOT_EXCEPTION = "org.apache.hadoop.hdfs.protocol.SnapshotException"
M, C, D, R = "MODIFY", "CREATE", "DELETE", "RENAME"


@pytest.fixture
def fs(hadoop: Hadoop, site_a: Site) -> JavaObject:
    """The superuser's WebHdfsFileSystem on site-a."""
    return hadoop.fs(site_a)


def qualified(site: Site, path: str) -> str:
    return f"{Hadoop.uri(site)}{path}"


def names(statuses: JavaObject) -> list[str]:
    return [str(status.getPath().getName()) for status in statuses]


def acl_entries(hadoop: Hadoop, fs: JavaObject, path: str) -> list[str]:
    return [str(entry.toString()) for entry in fs.getAclStatus(hadoop.path(path)).getEntries()]


def blocks(locations: JavaObject) -> list[tuple[int, int]]:
    return [(location.getOffset(), location.getLength()) for location in locations]


# ---------------------------------------------------------------------------- the client


def test_json_answers_parse_through_the_shim(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    """pyspark's shaded client lacks Jersey's RuntimeDelegateImpl; the compiled test shim
    is what MediaType parsing (and so every JSON answer) goes through."""
    delegate = hadoop.jvm.org.apache.hadoop.shaded.javax.ws.rs.ext.RuntimeDelegate.getInstance()
    assert delegate.getClass().getName() == SHIM_CLASS
    source = delegate.getClass().getProtectionDomain().getCodeSource().getLocation().getPath()
    assert str(source).rstrip("/") == str(hadoop.shim)
    assert fs.getClass().getName() == "org.apache.hadoop.hdfs.web.WebHdfsFileSystem"
    assert fs.getFileStatus(hadoop.path(base)).isDirectory()


# ---------------------------------------------------------------------------- tier 1: reads


def test_get_file_status(hadoop: Hadoop, fs: JavaObject, site_a: Site, base: str) -> None:
    before = int(time.time() * 1000)
    hadoop.write(fs, f"{base}/f", b"hello", permission="640", replication=2, block_size=MIB)
    status = fs.getFileStatus(hadoop.path(f"{base}/f"))
    assert (status.isFile(), status.isDirectory(), status.getLen()) == (True, False, 5)
    assert str(status.getPath().toString()) == qualified(site_a, f"{base}/f")
    assert status.getOwner() == SUPERUSER
    assert status.getGroup() == fs.getFileStatus(hadoop.path(base)).getGroup()
    assert status.getPermission().toString() == "rw-r-----"
    assert (status.getReplication(), status.getBlockSize()) == (2, MIB)
    assert before - 2000 <= status.getModificationTime() <= int(time.time() * 1000) + 2000
    assert not status.hasAcl()

    directory = fs.getFileStatus(hadoop.path(base))
    assert (directory.isDirectory(), directory.getLen()) == (True, 0)
    assert directory.getPermission().toString() == "rwxrwxrwx"

    error = raised(lambda: fs.getFileStatus(hadoop.path(f"{base}/missing")))
    assert (error.java_class, error.message) == (NOT_FOUND, f"File does not exist: {base}/missing")


def test_list_status(hadoop: Hadoop, fs: JavaObject, site_a: Site, base: str) -> None:
    hadoop.write(fs, f"{base}/b", b"bb")
    hadoop.write(fs, f"{base}/a", b"a")
    assert fs.mkdirs(hadoop.path(f"{base}/c"))
    statuses = fs.listStatus(hadoop.path(base))
    assert names(statuses) == ["a", "b", "c"]
    assert [status.getLen() for status in statuses] == [1, 2, 0]
    assert [status.isDirectory() for status in statuses] == [False, False, True]
    assert str(statuses[0].getPath().toString()) == qualified(site_a, f"{base}/a")

    # A file lists as itself.
    (single,) = fs.listStatus(hadoop.path(f"{base}/b"))
    assert str(single.getPath().toString()) == qualified(site_a, f"{base}/b")
    assert single.getLen() == 2

    error = raised(lambda: fs.listStatus(hadoop.path(f"{base}/missing")))
    assert error.java_class == NOT_FOUND, error
    assert f"{base}/missing" in error.message


def test_list_status_iterator_pages_with_liststatus_batch(hadoop: Hadoop, fs: JavaObject,
                                                          site_a: Site, base: str) -> None:
    """FileSystem.listStatusIterator goes through LISTSTATUS_BATCH, dfs.ls.limit (1000)
    entries at a time, each batch after the last name of the one before."""
    directory = site_a.root / base.lstrip("/") / "many"
    directory.mkdir()
    expected = [f"part-{index:05d}" for index in range(1005)]
    for name in expected:
        (directory / name).write_bytes(b"")

    first = fs.listStatusBatch(hadoop.path(f"{base}/many"), None)
    assert (len(first.getEntries()), first.hasMore()) == (1000, True)
    assert bytes(first.getToken()).decode() == "part-00999"

    listed = []
    iterator = fs.listStatusIterator(hadoop.path(f"{base}/many"))
    while iterator.hasNext():
        listed.append(str(iterator.next().getPath().getName()))
    assert listed == expected


def test_content_summary(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    hadoop.write(fs, f"{base}/d/a", b"12345", replication=2)
    hadoop.write(fs, f"{base}/d/sub/b", b"1234567", replication=1)
    summary = fs.getContentSummary(hadoop.path(f"{base}/d"))
    assert (summary.getLength(), summary.getFileCount(), summary.getDirectoryCount()) == (
        12, 2, 2)
    assert summary.getSpaceConsumed() == 5 * 2 + 7 * 1
    assert (summary.getQuota(), summary.getSpaceQuota()) == (-1, -1)
    file_summary = fs.getContentSummary(hadoop.path(f"{base}/d/a"))
    assert (file_summary.getLength(), file_summary.getFileCount(),
            file_summary.getDirectoryCount()) == (5, 1, 0)


def test_file_checksum(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    small = b"checksummed bytes" * 100
    hadoop.write(fs, f"{base}/small", small)
    checksum = fs.getFileChecksum(hadoop.path(f"{base}/small"))
    assert checksum.getClass().getSimpleName() == "MD5MD5CRC32CastagnoliFileChecksum"
    assert checksum.getAlgorithmName() == "MD5-of-0MD5-of-512CRC32C"
    assert checksum.getLength() == 28
    # getBytes() is the serialised buffer: the 28 bytes that count and 4 zero bytes, as
    # the namenode sends it.
    assert bytes(checksum.getBytes()) == bytes.fromhex(expected_checksum(small, 128 * MIB))

    large = bytes(range(251)) * (5 * MIB // 2 // 251)
    hadoop.write(fs, f"{base}/large", large, block_size=MIB)
    checksum = fs.getFileChecksum(hadoop.path(f"{base}/large"))
    assert checksum.getAlgorithmName() == "MD5-of-2048MD5-of-512CRC32C"
    assert bytes(checksum.getBytes()) == bytes.fromhex(expected_checksum(large, MIB))

    error = raised(lambda: fs.getFileChecksum(hadoop.path(f"{base}/missing")))
    assert error.java_class == NOT_FOUND, error


def test_open_read_and_seek(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    data = bytes(range(256)) * 4096 + b"tail"
    hadoop.write(fs, f"{base}/f", data)
    stream = fs.open(hadoop.path(f"{base}/f"))
    try:
        assert bytes(stream.readNBytes(10)) == data[:10]
        stream.seek(500_000)
        assert stream.getPos() == 500_000
        assert bytes(stream.readNBytes(1000)) == data[500_000:501_000]
        assert stream.getPos() == 501_000
        stream.seek(5)  # backwards
        assert bytes(stream.readNBytes(5)) == data[5:10]
        stream.seek(len(data) - 10)
        assert bytes(stream.readAllBytes()) == data[-10:]
        assert stream.read() == -1
    finally:
        stream.close()
    assert hadoop.read(fs, f"{base}/f") == data

    error = raised(lambda: fs.open(hadoop.path(f"{base}/missing")))
    assert error.java_class == NOT_FOUND, error


def test_home_directory_and_trash_root(hadoop: Hadoop, fs: JavaObject, site_a: Site,
                                       base: str) -> None:
    """Both fall back to /user/<name> on the client when the server fails, so the
    server's answer shows only in its log; the values are what HDFS answers."""
    assert str(fs.getHomeDirectory().toString()) == qualified(site_a, f"/user/{SUPERUSER}")
    alice = hadoop.fs(site_a, "alice")
    assert str(alice.getHomeDirectory().toString()) == qualified(site_a, "/user/alice")
    assert str(fs.getTrashRoot(hadoop.path(f"{base}/f")).toString()) == qualified(
        site_a, f"/user/{SUPERUSER}/.Trash")
    assert str(alice.getTrashRoot(hadoop.path(base)).toString()) == qualified(
        site_a, "/user/alice/.Trash")


# ---------------------------------------------------------------------------- tier 1: writes


def test_create_with_overwrite_permission_replication_and_block_size(
        hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    path = f"{base}/f"
    hadoop.write(fs, path, b"first", permission="600", replication=1, block_size=2 * MIB)
    status = fs.getFileStatus(hadoop.path(path))
    assert status.getPermission().toString() == "rw-------"
    assert (status.getReplication(), status.getBlockSize(), status.getLen()) == (1, 2 * MIB, 5)

    error = raised(lambda: hadoop.write(fs, path, b"second", overwrite=False))
    assert error.java_class == "org.apache.hadoop.fs.FileAlreadyExistsException"
    assert hadoop.read(fs, path) == b"first"

    hadoop.write(fs, path, b"third")  # overwrite, FileSystem's defaults
    status = fs.getFileStatus(hadoop.path(path))
    assert hadoop.read(fs, path) == b"third"
    # 666 less the client's umask (022); the client's dfs.replication and dfs.blocksize.
    assert status.getPermission().toString() == "rw-r--r--"
    assert (status.getReplication(), status.getBlockSize()) == (3, 128 * MIB)

    hadoop.write(fs, f"{base}/made/parents/f", b"x")
    assert fs.getFileStatus(hadoop.path(f"{base}/made/parents")).isDirectory()
    error = raised(lambda: hadoop.write(fs, f"{base}/f/child", b"x"))
    assert error.java_class == "org.apache.hadoop.fs.ParentNotDirectoryException"


def test_mkdirs(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    assert fs.mkdirs(hadoop.path(f"{base}/a/b/c")) is True
    # 777 less the umask.
    assert fs.getFileStatus(hadoop.path(f"{base}/a/b/c")).getPermission().toString() == (
        "rwxr-xr-x")
    assert fs.mkdirs(hadoop.path(f"{base}/a/b/c")) is True
    assert fs.mkdirs(hadoop.path(f"{base}/private"), hadoop.permission("700")) is True
    assert fs.getFileStatus(hadoop.path(f"{base}/private")).getPermission().toString() == (
        "rwx------")
    hadoop.write(fs, f"{base}/file", b"")
    error = raised(lambda: fs.mkdirs(hadoop.path(f"{base}/file")))
    assert error.java_class == "org.apache.hadoop.fs.FileAlreadyExistsException"
    error = raised(lambda: fs.mkdirs(hadoop.path(f"{base}/file/sub")))
    assert error.java_class == "org.apache.hadoop.fs.ParentNotDirectoryException"


def test_rename(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    hadoop.write(fs, f"{base}/a", b"a")
    hadoop.write(fs, f"{base}/b", b"b")
    assert fs.mkdirs(hadoop.path(f"{base}/dir"))

    def rename(src: str, dst: str) -> bool:
        return bool(fs.rename(hadoop.path(f"{base}/{src}"), hadoop.path(f"{base}/{dst}")))

    assert rename("a", "renamed") is True
    assert hadoop.read(fs, f"{base}/renamed") == b"a"
    assert not fs.exists(hadoop.path(f"{base}/a"))
    assert rename("missing", "x") is False
    assert rename("renamed", "b") is False  # an existing file is not replaced
    assert rename("renamed", "dir") is True  # into an existing directory
    assert hadoop.read(fs, f"{base}/dir/renamed") == b"a"
    assert rename("dir", "dir/inside") is False
    assert rename("dir", "moved") is True
    assert names(fs.listStatus(hadoop.path(f"{base}/moved"))) == ["renamed"]


def test_set_owner_and_permission(hadoop: Hadoop, fs: JavaObject, site_a: Site,
                                  base: str) -> None:
    hadoop.write(fs, f"{base}/f", b"x")
    fs.setOwner(hadoop.path(f"{base}/f"), "alice", "analysts")
    status = fs.getFileStatus(hadoop.path(f"{base}/f"))
    assert (status.getOwner(), status.getGroup()) == ("alice", "analysts")
    fs.setOwner(hadoop.path(f"{base}/f"), None, "engineers")
    status = fs.getFileStatus(hadoop.path(f"{base}/f"))
    assert (status.getOwner(), status.getGroup()) == ("alice", "engineers")

    fs.setPermission(hadoop.path(f"{base}/f"), hadoop.permission("600"))
    assert fs.getFileStatus(hadoop.path(f"{base}/f")).getPermission().toString() == "rw-------"
    assert fs.mkdirs(hadoop.path(f"{base}/shared"))
    fs.setPermission(hadoop.path(f"{base}/shared"), hadoop.permission("1750"))
    permission = fs.getFileStatus(hadoop.path(f"{base}/shared")).getPermission()
    assert (permission.toString(), permission.getStickyBit()) == ("rwxr-x--T", True)

    # Only the superuser gives files away; an owner may change the group to one of hers.
    alice = hadoop.fs(site_a, "alice")
    hadoop.write(alice, f"{base}/hers", b"x")
    assert fs.getFileStatus(hadoop.path(f"{base}/hers")).getOwner() == "alice"
    error = raised(lambda: alice.setOwner(hadoop.path(f"{base}/hers"), "bob", None))
    assert error.java_class == ACCESS_DENIED, error
    error = raised(lambda: alice.setOwner(hadoop.path(f"{base}/hers"), None, "engineers"))
    assert error.java_class == ACCESS_DENIED, error
    alice.setOwner(hadoop.path(f"{base}/hers"), None, "analysts")
    assert fs.getFileStatus(hadoop.path(f"{base}/hers")).getGroup() == "analysts"


def test_set_times_of_files_and_directories(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    hadoop.write(fs, f"{base}/f", b"x")
    assert fs.mkdirs(hadoop.path(f"{base}/d"))
    for path in (f"{base}/f", f"{base}/d"):
        fs.setTimes(hadoop.path(path), 1_600_000_000_000, 1_600_000_100_000)
        status = fs.getFileStatus(hadoop.path(path))
        assert (status.getModificationTime(), status.getAccessTime()) == (
            1_600_000_000_000, 1_600_000_100_000), path
        fs.setTimes(hadoop.path(path), -1, 1_500_000_000_000)  # -1 leaves a time as it is
        status = fs.getFileStatus(hadoop.path(path))
        assert (status.getModificationTime(), status.getAccessTime()) == (
            1_600_000_000_000, 1_500_000_000_000), path
        fs.setTimes(hadoop.path(path), 1_700_000_000_000, -1)
        status = fs.getFileStatus(hadoop.path(path))
        assert (status.getModificationTime(), status.getAccessTime()) == (
            1_700_000_000_000, 1_500_000_000_000), path
    listed = {str(s.getPath().getName()): s.getAccessTime()
              for s in fs.listStatus(hadoop.path(base))}
    assert listed == {"d": 1_500_000_000_000, "f": 1_500_000_000_000}


def test_set_replication(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    hadoop.write(fs, f"{base}/f", b"x")
    assert fs.setReplication(hadoop.path(f"{base}/f"), 2) is True
    assert fs.getFileStatus(hadoop.path(f"{base}/f")).getReplication() == 2
    assert fs.getContentSummary(hadoop.path(f"{base}/f")).getSpaceConsumed() == 2
    # A directory has no replication: HDFS answers false and changes nothing.
    assert fs.setReplication(hadoop.path(base), 2) is False


def test_acls(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    path = f"{base}/d"
    assert fs.mkdirs(hadoop.path(path), hadoop.permission("750"))
    status = fs.getAclStatus(hadoop.path(path))
    assert list(status.getEntries()) == []
    assert (status.getOwner(), status.getPermission().toString()) == (SUPERUSER, "rwxr-x---")

    fs.setAcl(hadoop.path(path), hadoop.acl("user::rwx,user:alice:r-x,group::r-x,other::---"))
    assert acl_entries(hadoop, fs, path) == ["user:alice:r-x", "group::r-x"]
    assert fs.getFileStatus(hadoop.path(path)).hasAcl()

    fs.modifyAclEntries(hadoop.path(path), hadoop.acl("user:bob:rw-"))
    assert acl_entries(hadoop, fs, path) == ["user:alice:r-x", "user:bob:rw-", "group::r-x"]
    # The group bits show the mask, the union of the group class: r-x | rw- | r-x.
    assert fs.getAclStatus(hadoop.path(path)).getPermission().toString() == "rwxrwx---"

    # Hadoop's client sends a removal spec as "user:alice:" (no permission).
    fs.removeAclEntries(hadoop.path(path), hadoop.acl("user:alice", permissions=False))
    assert acl_entries(hadoop, fs, path) == ["user:bob:rw-", "group::r-x"]

    # A default entry without default base entries gets them copied from the access ACL.
    fs.modifyAclEntries(hadoop.path(path), hadoop.acl("default:user:carol:rwx"))
    assert acl_entries(hadoop, fs, path) == [
        "user:bob:rw-", "group::r-x", "default:user::rwx", "default:user:carol:rwx",
        "default:group::r-x", "default:mask::rwx", "default:other::---"]

    fs.removeDefaultAcl(hadoop.path(path))
    assert acl_entries(hadoop, fs, path) == ["user:bob:rw-", "group::r-x"]

    fs.removeAcl(hadoop.path(path))
    status = fs.getAclStatus(hadoop.path(path))
    assert list(status.getEntries()) == []
    # The group bits come back from the group entry (r-x), not the mask (rwx).
    assert status.getPermission().toString() == "rwxr-x---"
    assert not fs.getFileStatus(hadoop.path(path)).hasAcl()

    error = raised(lambda: fs.getAclStatus(hadoop.path(f"{base}/missing")))
    assert error.java_class == NOT_FOUND, error


def test_append(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    hadoop.write(fs, f"{base}/f", b"start")
    hadoop.append(fs, f"{base}/f", b"+more")
    hadoop.append(fs, f"{base}/f", b"+end")
    assert hadoop.read(fs, f"{base}/f") == b"start+more+end"
    assert fs.getFileStatus(hadoop.path(f"{base}/f")).getLen() == 14
    error = raised(lambda: hadoop.append(fs, f"{base}/missing", b"x"))
    assert error.java_class == NOT_FOUND, error


def test_delete(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    hadoop.write(fs, f"{base}/f", b"x")
    hadoop.write(fs, f"{base}/d/inner", b"y")
    assert fs.delete(hadoop.path(f"{base}/f"), False) is True
    assert not fs.exists(hadoop.path(f"{base}/f"))
    assert fs.delete(hadoop.path(f"{base}/missing"), False) is False
    error = raised(lambda: fs.delete(hadoop.path(f"{base}/d"), False))
    assert error.java_class == "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException"
    assert fs.delete(hadoop.path(f"{base}/d"), True) is True
    assert names(fs.listStatus(hadoop.path(base))) == []


# ---------------------------------------------------------------------------- tier 1: snapshots


@pytest.fixture
def snapdir(hadoop: Hadoop, fs: JavaObject, base: str) -> str:
    """A snapshottable directory holding a.txt, b.txt and c.txt, snapshotted as s1."""
    root = f"{base}/snap"
    for name in ("a", "b", "c"):
        hadoop.write(fs, f"{root}/{name}.txt", name.encode())
    fs.allowSnapshot(hadoop.path(root))
    fs.createSnapshot(hadoop.path(root), "s1")
    return root


def change_snapdir(hadoop: Hadoop, fs: JavaObject, root: str) -> set[tuple[str, str, str | None]]:
    """Append to a, create new, delete b, rename c to d: the diff HDFS reports for it."""
    hadoop.append(fs, f"{root}/a.txt", b"+")
    hadoop.write(fs, f"{root}/new.txt", b"new")
    assert fs.delete(hadoop.path(f"{root}/b.txt"), False)
    assert fs.rename(hadoop.path(f"{root}/c.txt"), hadoop.path(f"{root}/d.txt"))
    return {(M, "", None), (M, "a.txt", None), (C, "new.txt", None), (D, "b.txt", None),
            (R, "c.txt", "d.txt")}


def test_allow_create_and_read_snapshots(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    root = f"{base}/snap"
    hadoop.write(fs, f"{root}/a.txt", b"version one")
    assert not fs.getFileStatus(hadoop.path(root)).isSnapshotEnabled()
    fs.allowSnapshot(hadoop.path(root))
    assert fs.getFileStatus(hadoop.path(root)).isSnapshotEnabled()
    created = fs.createSnapshot(hadoop.path(root), "s1")
    assert str(created.toString()) == f"{root}/.snapshot/s1"
    hadoop.write(fs, f"{root}/a.txt", b"version two")
    assert hadoop.read(fs, f"{root}/.snapshot/s1/a.txt") == b"version one"
    assert names(fs.listStatus(hadoop.path(f"{root}/.snapshot"))) == ["s1"]

    error = raised(lambda: fs.createSnapshot(hadoop.path(root), "s1"))
    assert error.thrown == SNAPSHOT_EXCEPTION, error
    error = raised(lambda: hadoop.write(fs, f"{root}/.snapshot/s1/a.txt", b"x"))
    assert error.java_class == "org.apache.hadoop.hdfs.protocol.SnapshotAccessControlException"
    error = raised(lambda: fs.disallowSnapshot(hadoop.path(root)))
    assert error.thrown == SNAPSHOT_EXCEPTION, error
    assert "has snapshot(s)" in error.message


def test_rename_and_delete_snapshots_and_list_them(hadoop: Hadoop, fs: JavaObject,
                                                   snapdir: str) -> None:
    fs.createSnapshot(hadoop.path(snapdir), "s2")
    fs.renameSnapshot(hadoop.path(snapdir), "s1", "first")

    listing = fs.getSnapshotListing(hadoop.path(snapdir))
    assert [str(s.getDirStatus().getLocalName()) for s in listing] == ["first", "s2"]
    assert [str(s.getFullPath().toString()) for s in listing] == [
        f"{snapdir}/.snapshot/first", f"{snapdir}/.snapshot/s2"]
    ids = [s.getSnapshotID() for s in listing]
    assert ids == sorted(ids) and len(set(ids)) == 2
    assert not any(s.isDeleted() for s in listing)

    (found,) = [s for s in fs.getSnapshottableDirectoryList()
                if str(s.getFullPath().toString()) == snapdir]
    assert (found.getSnapshotNumber(), found.getSnapshotQuota()) == (2, 65536)
    assert found.getDirStatus().getOwner() == SUPERUSER

    error = raised(lambda: fs.renameSnapshot(hadoop.path(snapdir), "nope", "other"))
    assert error.thrown == SNAPSHOT_EXCEPTION, error
    fs.deleteSnapshot(hadoop.path(snapdir), "first")
    assert [str(s.getDirStatus().getLocalName())
            for s in fs.getSnapshotListing(hadoop.path(snapdir))] == ["s2"]
    error = raised(lambda: fs.deleteSnapshot(hadoop.path(snapdir), "first"))
    assert error.thrown == SNAPSHOT_EXCEPTION, error

    fs.deleteSnapshot(hadoop.path(snapdir), "s2")
    fs.disallowSnapshot(hadoop.path(snapdir))
    assert not fs.getFileStatus(hadoop.path(snapdir)).isSnapshotEnabled()
    assert snapdir not in [str(s.getFullPath().toString())
                           for s in fs.getSnapshottableDirectoryList() or []]


def test_snapshot_diff_against_the_current_tree(hadoop: Hadoop, fs: JavaObject,
                                                snapdir: str) -> None:
    """A diff to the current tree ("" as the later snapshot) is one GETSNAPSHOTDIFF."""
    expected = change_snapdir(hadoop, fs, snapdir)
    report = fs.getSnapshotDiffReport(hadoop.path(snapdir), "s1", "")
    assert Hadoop.diff_entries(report) == expected
    assert len(report.getDiffList()) == len(expected)
    assert (report.getFromSnapshot(), report.getLaterSnapshotName()) == ("s1", "")
    assert str(report.getSnapshotRoot()) == snapdir


def test_snapshot_diff_between_snapshots(hadoop: Hadoop, fs: JavaObject, snapdir: str) -> None:
    """Between two named snapshots Hadoop 3.5's client asks GETSNAPSHOTDIFFLISTING, page
    by page (DFSUtilClient.getSnapshotDiffReport), falling back to GETSNAPSHOTDIFF only
    when the server lacks the method (RpcNoSuchMethodException), never on a RemoteException."""
    expected = change_snapdir(hadoop, fs, snapdir)
    fs.createSnapshot(hadoop.path(snapdir), "s2")
    report = fs.getSnapshotDiffReport(hadoop.path(snapdir), "s1", "s2")
    assert Hadoop.diff_entries(report) == expected
    assert len(report.getDiffList()) == len(expected)
    # The other way round: creations and deletions swap, renames turn around.
    backwards = fs.getSnapshotDiffReport(hadoop.path(snapdir), "s2", "s1")
    assert Hadoop.diff_entries(backwards) == {
        (M, "", None), (M, "a.txt", None), (D, "new.txt", None), (C, "b.txt", None),
        (R, "d.txt", "c.txt")}
    assert Hadoop.diff_entries(fs.getSnapshotDiffReport(hadoop.path(snapdir), "s2", "s2")) == (
        set())


# ---------------------------------------------------------------------------- tier 2


def test_server_defaults(fs: JavaObject) -> None:
    defaults = fs.getServerDefaults()
    assert defaults.getBlockSize() == 128 * MIB
    assert defaults.getBytesPerChecksum() == 512
    assert defaults.getWritePacketSize() == 64 * 1024
    assert defaults.getReplication() == 3
    assert defaults.getFileBufferSize() == 4096
    assert defaults.getEncryptDataTransfer() is False
    assert defaults.getTrashInterval() == 0
    assert defaults.getChecksumType().name() == "CRC32C"
    assert defaults.getKeyProviderUri() in ("", None)
    assert defaults.getDefaultStoragePolicyId() == 7  # HOT


def test_check_access(hadoop: Hadoop, fs: JavaObject, site_a: Site, base: str) -> None:
    path = f"{base}/f"
    hadoop.write(fs, path, b"x", permission="640")
    alice = hadoop.fs(site_a, "alice")
    read, write = hadoop.fs_action("READ"), hadoop.fs_action("WRITE")
    fs.access(hadoop.path(path), hadoop.fs_action("READ_WRITE"))

    error = raised(lambda: alice.access(hadoop.path(path), read))
    assert error.java_class == ACCESS_DENIED, error
    assert "user=alice" in error.message and "access=READ" in error.message

    fs.modifyAclEntries(hadoop.path(path), hadoop.acl("user:alice:r--"))
    alice.access(hadoop.path(path), read)
    error = raised(lambda: alice.access(hadoop.path(path), write))
    assert error.java_class == ACCESS_DENIED, error

    error = raised(lambda: fs.access(hadoop.path(f"{base}/missing"), read))
    assert error.java_class == NOT_FOUND, error


def test_namespace_quota(hadoop: Hadoop, fs: JavaObject, site_a: Site, base: str) -> None:
    """The directory itself counts against its namespace quota."""
    quota_dir = f"{base}/q"
    assert fs.mkdirs(hadoop.path(quota_dir))
    fs.setQuota(hadoop.path(quota_dir), 3, hadoop.quota_dont_set)
    usage = fs.getQuotaUsage(hadoop.path(quota_dir))
    assert (usage.getQuota(), usage.getFileAndDirectoryCount()) == (3, 1)
    assert (usage.getSpaceQuota(), usage.getSpaceConsumed()) == (-1, 0)

    hadoop.write(fs, f"{quota_dir}/a", b"a")
    hadoop.write(fs, f"{quota_dir}/b", b"b")
    assert fs.getQuotaUsage(hadoop.path(quota_dir)).getFileAndDirectoryCount() == 3
    assert fs.getContentSummary(hadoop.path(quota_dir)).getQuota() == 3

    error = raised(lambda: hadoop.write(fs, f"{quota_dir}/c", b"c"))
    assert error.java_class == "org.apache.hadoop.hdfs.protocol.NSQuotaExceededException"
    error = raised(lambda: fs.mkdirs(hadoop.path(f"{quota_dir}/sub")))
    assert error.java_class == "org.apache.hadoop.hdfs.protocol.NSQuotaExceededException"

    # Quotas are the superuser's to set.
    alice = hadoop.fs(site_a, "alice")
    error = raised(lambda: alice.setQuota(hadoop.path(quota_dir), 10, hadoop.quota_dont_set))
    assert error.java_class == ACCESS_DENIED, error

    fs.setQuota(hadoop.path(quota_dir), hadoop.quota_reset, hadoop.quota_dont_set)
    assert fs.getQuotaUsage(hadoop.path(quota_dir)).getQuota() == -1
    hadoop.write(fs, f"{quota_dir}/c", b"c")


def test_storage_space_quota(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    """HDFS charges a block's full size times its replication while it is written, the
    bytes times the replication once the file is closed."""
    quota_dir = f"{base}/q"
    assert fs.mkdirs(hadoop.path(quota_dir))
    fs.setQuota(hadoop.path(quota_dir), hadoop.quota_dont_set, 2 * MIB)
    assert fs.getQuotaUsage(hadoop.path(quota_dir)).getSpaceQuota() == 2 * MIB

    hadoop.write(fs, f"{quota_dir}/f", b"x" * 1000, replication=1, block_size=MIB)
    usage = fs.getQuotaUsage(hadoop.path(quota_dir))
    assert usage.getSpaceConsumed() == 1000

    # 1000 bytes used + one 1 MiB block on two replicas > 2 MiB.
    error = raised(lambda: hadoop.write(fs, f"{quota_dir}/g", b"y", replication=2,
                                        block_size=MIB))
    assert error.java_class == "org.apache.hadoop.hdfs.protocol.DSQuotaExceededException"

    hadoop.write(fs, f"{quota_dir}/h", b"z", replication=1, block_size=MIB)
    assert fs.getQuotaUsage(hadoop.path(quota_dir)).getSpaceConsumed() == 1001
    summary = fs.getContentSummary(hadoop.path(quota_dir))
    assert (summary.getSpaceQuota(), summary.getSpaceConsumed()) == (2 * MIB, 1001)

    fs.setQuota(hadoop.path(quota_dir), hadoop.quota_dont_set, hadoop.quota_reset)
    assert fs.getQuotaUsage(hadoop.path(quota_dir)).getSpaceQuota() == -1


def test_quota_by_storage_type(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    quota_dir = f"{base}/q"
    ssd = hadoop.storage_type("SSD")
    assert fs.mkdirs(hadoop.path(quota_dir))
    fs.setQuotaByStorageType(hadoop.path(quota_dir), ssd, 2 * MIB)
    usage = fs.getQuotaUsage(hadoop.path(quota_dir))
    assert (usage.getTypeQuota(ssd), usage.getTypeConsumed(ssd)) == (2 * MIB, 0)
    assert usage.isTypeQuotaSet()

    # ALL_SSD puts every replica on SSD, so SSD space is charged as it is written.
    fs.setStoragePolicy(hadoop.path(quota_dir), "ALL_SSD")
    hadoop.write(fs, f"{quota_dir}/f", b"x" * 1000, replication=1, block_size=MIB)
    assert fs.getQuotaUsage(hadoop.path(quota_dir)).getTypeConsumed(ssd) == 1000
    error = raised(lambda: hadoop.write(fs, f"{quota_dir}/g", b"y", replication=2,
                                        block_size=MIB))
    assert error.java_class == (
        "org.apache.hadoop.hdfs.protocol.QuotaByStorageTypeExceededException")

    fs.setQuotaByStorageType(hadoop.path(quota_dir), ssd, hadoop.quota_reset)
    assert fs.getQuotaUsage(hadoop.path(quota_dir)).getTypeQuota(ssd) == -1


def test_storage_policies(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    policies = {str(p.getName()): p for p in fs.getAllStoragePolicies()}
    assert {name: p.getId() for name, p in policies.items()} == {
        "PROVIDED": 1, "COLD": 2, "WARM": 5, "HOT": 7, "ONE_SSD": 10, "ALL_SSD": 12,
        "ALL_NVDIMM": 14, "LAZY_PERSIST": 15}
    assert [t.name() for t in policies["HOT"].getStorageTypes()] == ["DISK"]
    assert [t.name() for t in policies["COLD"].getStorageTypes()] == ["ARCHIVE"]

    directory, file = f"{base}/d", f"{base}/d/f"
    hadoop.write(fs, file, b"x")
    assert fs.getStoragePolicy(hadoop.path(file)).getName() == "HOT"  # the default
    fs.setStoragePolicy(hadoop.path(directory), "COLD")
    assert fs.getStoragePolicy(hadoop.path(directory)).getName() == "COLD"
    assert fs.getStoragePolicy(hadoop.path(file)).getName() == "COLD"  # inherited
    fs.setStoragePolicy(hadoop.path(file), "ONE_SSD")
    assert fs.getStoragePolicy(hadoop.path(file)).getName() == "ONE_SSD"
    fs.unsetStoragePolicy(hadoop.path(file))
    assert fs.getStoragePolicy(hadoop.path(file)).getName() == "COLD"
    fs.unsetStoragePolicy(hadoop.path(directory))
    assert fs.getStoragePolicy(hadoop.path(directory)).getName() == "HOT"

    error = raised(lambda: fs.setStoragePolicy(hadoop.path(directory), "NOPE"))
    assert (error.thrown, error.message) == (
        HADOOP_ILLEGAL_ARGUMENT, "Cannot find a block policy with the name NOPE")


def check_block_locations(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    """A 2.5 MiB file of 1 MiB blocks: three blocks, and a range gets the blocks it
    overlaps."""
    data = bytes(range(256)) * (5 * MIB // 2 // 256)
    hadoop.write(fs, f"{base}/f", data, block_size=MIB, replication=1)
    path = hadoop.path(f"{base}/f")
    whole = fs.getFileBlockLocations(path, 0, len(data))
    assert blocks(whole) == [(0, MIB), (MIB, MIB), (2 * MIB, MIB // 2)]
    for location in whole:
        assert len(location.getHosts()) >= 1
        assert len(location.getNames()) == len(location.getHosts())
    assert blocks(fs.getFileBlockLocations(path, MIB + 10, 20)) == [(MIB, MIB)]
    assert blocks(fs.getFileBlockLocations(path, MIB - 1, 2)) == [(0, MIB), (MIB, MIB)]
    status = fs.getFileStatus(path)
    assert blocks(fs.getFileBlockLocations(status, 0, status.getLen())) == blocks(whole)

    hadoop.write(fs, f"{base}/empty", b"")
    assert blocks(fs.getFileBlockLocations(hadoop.path(f"{base}/empty"), 0, 1)) == []


def server_hcfs_compatible(fs: JavaObject) -> JavaObject:
    """WebHdfsFileSystem's private switch between GETFILEBLOCKLOCATIONS (true) and the
    older GET_BLOCK_LOCATIONS (false), which it flips for good the first time a server
    answers that it does not know GETFILEBLOCKLOCATIONS."""
    field = fs.getClass().getDeclaredField("isServerHCFSCompatible")
    field.setAccessible(True)
    return field


def test_file_block_locations(hadoop: Hadoop, site_a: Site, base: str) -> None:
    """GETFILEBLOCKLOCATIONS, which the client tries first: answered, with no fallback."""
    fs = hadoop.new_fs(site_a)
    try:
        check_block_locations(hadoop, fs, base)
        assert server_hcfs_compatible(fs).getBoolean(fs) is True
    finally:
        fs.close()


def test_file_block_locations_through_get_block_locations(hadoop: Hadoop, site_a: Site,
                                                          base: str) -> None:
    """GET_BLOCK_LOCATIONS (LocatedBlocks JSON), which the client falls back to when the
    server answers that it does not know GETFILEBLOCKLOCATIONS (an older namenode)."""
    legacy = hadoop.new_fs(site_a)
    try:
        server_hcfs_compatible(legacy).setBoolean(legacy, False)
        check_block_locations(hadoop, legacy, base)
    finally:
        legacy.close()


def test_a_large_snapshot_diff_arrives_whole(hadoop: Hadoop, fs: JavaObject, site_a: Site,
                                             snapdir: str) -> None:
    """More entries than one GETSNAPSHOTDIFFLISTING page (1000 in HDFS): the client
    follows the cursor (lastPath, lastIndex) until it is back to ("", -1)."""
    count = 1100
    make_dirs(site_a, snapdir, (f"d{index:04d}" for index in range(count)))
    expected = change_snapdir(hadoop, fs, snapdir)
    expected |= {(C, f"d{index:04d}", None) for index in range(count)}
    fs.createSnapshot(hadoop.path(snapdir), "s2")

    first = fs.getSnapshotDiffReportListing(snapdir, "s1", "s2", b"", -1)
    on_first_page = (len(first.getModifyList()) + len(first.getCreateList())
                     + len(first.getDeleteList()))
    assert on_first_page <= 1000
    assert (bytes(first.getLastPath()), first.getLastIndex()) != (b"", -1)

    report = fs.getSnapshotDiffReport(hadoop.path(snapdir), "s1", "s2")
    assert len(report.getDiffList()) == len(expected)
    assert Hadoop.diff_entries(report) == expected


def test_concat(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    target, first, second = (f"{base}/c/{name}" for name in ("target", "part1", "part2"))
    hadoop.write(fs, target, b"T" * 1000, block_size=MIB)
    hadoop.write(fs, first, b"1" * 100, block_size=MIB)
    hadoop.write(fs, second, b"2" * 200, block_size=MIB)
    fs.concat(hadoop.path(target), hadoop.paths([first, second]))
    assert hadoop.read(fs, target) == b"T" * 1000 + b"1" * 100 + b"2" * 200
    assert names(fs.listStatus(hadoop.path(f"{base}/c"))) == ["target"]

    hadoop.write(fs, f"{base}/elsewhere/p", b"p", block_size=MIB)
    error = raised(lambda: fs.concat(hadoop.path(target), hadoop.paths([f"{base}/elsewhere/p"])))
    assert error.thrown == HADOOP_ILLEGAL_ARGUMENT, error
    assert "is not in the same directory" in error.message
    hadoop.write(fs, f"{base}/c/empty", b"", block_size=MIB)
    error = raised(lambda: fs.concat(hadoop.path(target), hadoop.paths([f"{base}/c/empty"])))
    assert error.thrown == HADOOP_ILLEGAL_ARGUMENT, error
    assert "is invalid or empty or underConstruction" in error.message


def test_concat_keeps_each_parts_blocks(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    """Concat moves blocks, it does not rewrite them: a part's last partial block stays
    a block of its own in the middle of the result."""
    target, part = f"{base}/target", f"{base}/part"
    hadoop.write(fs, target, b"t" * (MIB + MIB // 2), block_size=MIB)
    hadoop.write(fs, part, b"p" * 300, block_size=MIB)
    fs.concat(hadoop.path(target), hadoop.paths([part]))
    length = MIB + MIB // 2 + 300
    assert fs.getFileStatus(hadoop.path(target)).getLen() == length
    assert blocks(fs.getFileBlockLocations(hadoop.path(target), 0, length)) == [
        (0, MIB), (MIB, MIB // 2), (MIB + MIB // 2, 300)]


def test_truncate(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    data = bytes(range(256)) * (5 * MIB // 2 // 256)
    path = f"{base}/f"
    hadoop.write(fs, path, data, block_size=MIB)
    # On a block boundary the file is cut at once: true.
    assert fs.truncate(hadoop.path(path), 2 * MIB) is True
    assert hadoop.read(fs, path) == data[:2 * MIB]
    assert fs.truncate(hadoop.path(path), 2 * MIB) is True  # already that long

    # Within a block HDFS starts recovering the last block and answers false; the file
    # reaches the new length when that is done.
    assert fs.truncate(hadoop.path(path), MIB + 100) is False
    deadline = time.monotonic() + 30
    while fs.getFileStatus(hadoop.path(path)).getLen() != MIB + 100:
        assert time.monotonic() < deadline, "the truncated length never showed"
        time.sleep(0.2)
    assert hadoop.read(fs, path) == data[:MIB + 100]

    error = raised(lambda: fs.truncate(hadoop.path(path), 2 * MIB))
    assert (error.thrown, error.message) == (
        HADOOP_ILLEGAL_ARGUMENT,
        f"Cannot truncate to a larger file size. Current size: {MIB + 100}, "
        f"truncate size: {2 * MIB}.")


def test_xattrs(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    path = hadoop.path(f"{base}/f")
    hadoop.write(fs, f"{base}/f", b"x")
    create, replace = hadoop.xattr_flags("CREATE"), hadoop.xattr_flags("REPLACE")
    assert list(fs.listXAttrs(path)) == []
    assert dict(fs.getXAttrs(path)) == {}

    fs.setXAttr(path, "user.color", b"blue", create)
    fs.setXAttr(path, "user.raw", b"\x00\x01\xfe\xff")  # CREATE|REPLACE by default
    assert bytes(fs.getXAttr(path, "user.color")) == b"blue"
    assert {str(k): bytes(v) for k, v in fs.getXAttrs(path).items()} == {
        "user.color": b"blue", "user.raw": b"\x00\x01\xfe\xff"}
    assert {str(k): bytes(v) for k, v in fs.getXAttrs(
        path, hadoop.string_list(["user.raw"])).items()} == {"user.raw": b"\x00\x01\xfe\xff"}
    assert sorted(str(name) for name in fs.listXAttrs(path)) == ["user.color", "user.raw"]

    error = raised(lambda: fs.setXAttr(path, "user.color", b"red", create))
    assert (error.java_class, error.message) == (
        IO_EXCEPTION, "XAttr: color already exists. The REPLACE flag must be specified.")
    error = raised(lambda: fs.setXAttr(path, "user.shape", b"round", replace))
    assert (error.java_class, error.message) == (
        IO_EXCEPTION, "XAttr: shape does not exist. The CREATE flag must be specified.")
    fs.setXAttr(path, "user.color", b"red", replace)
    assert bytes(fs.getXAttr(path, "user.color")) == b"red"

    error = raised(lambda: fs.getXAttr(path, "user.missing"))
    assert (error.java_class, error.message) == (
        "org.apache.hadoop.hdfs.protocol.XAttrNotFoundException",
        "At least one of the attributes provided was not found.")

    fs.removeXAttr(path, "user.raw")
    assert [str(name) for name in fs.listXAttrs(path)] == ["user.color"]
    error = raised(lambda: fs.removeXAttr(path, "user.raw"))
    assert (error.java_class, error.message) == (
        IO_EXCEPTION, "No matching attributes found for remove operation")


def test_a_snapshot_keeps_its_xattrs(hadoop: Hadoop, fs: JavaObject, base: str) -> None:
    root = f"{base}/snap"
    hadoop.write(fs, f"{root}/f", b"x")
    fs.setXAttr(hadoop.path(f"{root}/f"), "user.v", b"one")
    fs.setXAttr(hadoop.path(root), "user.dir", b"d1")
    fs.allowSnapshot(hadoop.path(root))
    fs.createSnapshot(hadoop.path(root), "s1")

    fs.setXAttr(hadoop.path(f"{root}/f"), "user.v", b"two", hadoop.xattr_flags("REPLACE"))
    fs.setXAttr(hadoop.path(f"{root}/f"), "user.added", b"new")
    fs.removeXAttr(hadoop.path(root), "user.dir")

    def xattrs(path: str) -> dict[str, bytes]:
        return {str(k): bytes(v) for k, v in fs.getXAttrs(hadoop.path(path)).items()}

    assert xattrs(f"{root}/.snapshot/s1/f") == {"user.v": b"one"}
    assert xattrs(f"{root}/.snapshot/s1") == {"user.dir": b"d1"}
    assert xattrs(f"{root}/f") == {"user.v": b"two", "user.added": b"new"}
    assert xattrs(root) == {}

    error = raised(lambda: fs.setXAttr(hadoop.path(f"{root}/.snapshot/s1/f"), "user.v", b"3"))
    assert error.java_class == "org.apache.hadoop.hdfs.protocol.SnapshotAccessControlException"
    # Changed attributes are modifications in the snapshot diff.
    report = fs.getSnapshotDiffReport(hadoop.path(root), "s1", "")
    assert Hadoop.diff_entries(report) == {(M, "", None), (M, "f", None)}
