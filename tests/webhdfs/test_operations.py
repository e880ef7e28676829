"""File and directory operations against a running server: the hdfs client's view and
the raw HTTP that real WebHDFS clients rely on."""

import http.client
import json
import os
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hdfs import HdfsError, InsecureClient

from tests.webhdfs.conftest import SUPERUSER, Site


def remote(response: requests.Response) -> dict[str, str]:
    return response.json()["RemoteException"]


def read(client: InsecureClient, path: str, **kwargs: int) -> bytes:
    with client.read(path, **kwargs) as reader:
        return reader.read()


def test_write_then_read_round_trips(client: InsecureClient, base: str) -> None:
    client.write(f"{base}/f.bin", data=b"x" * 3000 + b"end")
    assert read(client, f"{base}/f.bin") == b"x" * 3000 + b"end"
    assert read(client, f"{base}/f.bin", offset=2999, length=2) == b"xe"
    status = client.status(f"{base}/f.bin")
    assert (status["type"], status["length"], status["permission"]) == ("FILE", 3003, "644")
    assert (status["owner"], status["blockSize"], status["replication"]) == (
        SUPERUSER, 134217728, 3)


def test_create_refuses_existing_file_unless_overwrite(client: InsecureClient, base: str) -> None:
    client.write(f"{base}/f", data=b"one")
    with pytest.raises(HdfsError) as refused:
        client.write(f"{base}/f", data=b"two")
    assert refused.value.exception == "FileAlreadyExistsException"
    client.write(f"{base}/f", data=b"three", overwrite=True)
    assert read(client, f"{base}/f") == b"three"


def test_create_makes_missing_parents_and_refuses_directories(client: InsecureClient,
                                                               base: str) -> None:
    client.write(f"{base}/a/b/c.txt", data=b"deep", permission="600")
    assert client.status(f"{base}/a/b")["type"] == "DIRECTORY"
    assert client.status(f"{base}/a/b/c.txt")["permission"] == "600"
    with pytest.raises(HdfsError) as refused:
        client.write(f"{base}/a", data=b"x", overwrite=True)
    assert refused.value.exception == "FileAlreadyExistsException"


def test_create_under_a_file_is_parent_not_directory(client: InsecureClient, base: str) -> None:
    client.write(f"{base}/file", data=b"x")
    with pytest.raises(HdfsError) as refused:
        client.write(f"{base}/file/child", data=b"y")
    assert refused.value.exception == "ParentNotDirectoryException"
    with pytest.raises(HdfsError) as refused:
        client.makedirs(f"{base}/file/dir")
    assert refused.value.exception == "ParentNotDirectoryException"


def test_create_redirects_to_the_datanode_with_user_and_parameters(site_a: Site,
                                                                   base: str) -> None:
    reply = site_a.call("PUT", f"{base}/r.txt", "CREATE", overwrite="true", permission="640")
    assert reply.status_code == 307
    location = urlsplit(reply.headers["Location"])
    assert location.port != urlsplit(site_a.url).port
    query = parse_qs(location.query)
    assert query["user.name"] == [SUPERUSER]
    assert (query["op"], query["overwrite"], query["permission"]) == (
        ["CREATE"], ["true"], ["640"])
    written = requests.put(reply.headers["Location"], data=b"payload", timeout=30)
    assert written.status_code == 201
    assert written.headers["Location"].endswith(f"{base}/r.txt")
    assert site_a.client().status(f"{base}/r.txt")["permission"] == "640"


def test_noredirect_returns_the_location_as_json(site_a: Site, base: str) -> None:
    site_a.client().write(f"{base}/f", data=b"abc")
    for method, op in (("PUT", "CREATE"), ("POST", "APPEND"), ("GET", "OPEN"),
                       ("GET", "GETFILECHECKSUM")):
        reply = site_a.call(method, f"{base}/f", op, noredirect="true", overwrite="true")
        assert reply.status_code == 200, op
        assert f"op={op}" in reply.json()["Location"]


def test_datanode_accepts_chunked_bodies(site_a: Site, base: str) -> None:
    location = site_a.call("PUT", f"{base}/chunked", "CREATE").headers["Location"]
    reply = requests.put(location, data=iter([b"a" * 70000, b"b" * 5, b"c"]), timeout=30)
    assert reply.status_code == 201
    location = site_a.call("POST", f"{base}/chunked", "APPEND").headers["Location"]
    assert requests.post(location, data=iter([b"d", b"e"]), timeout=30).status_code == 200
    assert read(site_a.client(), f"{base}/chunked") == b"a" * 70000 + b"bbbbbcde"


def test_open_beyond_the_end_is_an_io_exception(site_a: Site, base: str) -> None:
    site_a.client().write(f"{base}/f", data=b"abc")
    assert site_a.call("GET", f"{base}/f", "OPEN", offset=3).status_code == 307
    reply = site_a.call("GET", f"{base}/f", "OPEN", offset=4)
    assert reply.status_code == 403
    assert remote(reply)["exception"] == "IOException"


def test_open_does_not_change_the_status(client: InsecureClient, base: str) -> None:
    client.write(f"{base}/f", data=b"abc")
    before = client.status(f"{base}/f")
    time.sleep(0.01)
    read(client, f"{base}/f")
    assert client.status(f"{base}/f") == before


def test_append_keeps_the_file_id_and_moves_the_mtime(client: InsecureClient, base: str) -> None:
    client.write(f"{base}/log", data=b"one\n")
    before = client.status(f"{base}/log")
    client.write(f"{base}/log", data=b"two\n", append=True)
    after = client.status(f"{base}/log")
    assert read(client, f"{base}/log") == b"one\ntwo\n"
    assert after["fileId"] == before["fileId"]
    assert after["modificationTime"] > before["modificationTime"]


def test_append_to_a_missing_file_is_not_found(site_a: Site, base: str) -> None:
    reply = site_a.call("POST", f"{base}/missing", "APPEND")
    assert reply.status_code == 404
    assert remote(reply)["exception"] == "FileNotFoundException"


def test_modification_times_strictly_increase(client: InsecureClient, base: str) -> None:
    times = []
    for index in range(5):
        client.write(f"{base}/f{index}", data=b"")
        times.append(client.status(f"{base}/f{index}")["modificationTime"])
    assert times == sorted(set(times))
    assert client.status(base)["modificationTime"] == times[-1]
    client.delete(f"{base}/f0")
    assert client.status(base)["modificationTime"] > times[-1]


def test_mkdirs_creates_parents_and_is_true_when_it_exists(site_a: Site, base: str) -> None:
    reply = site_a.call("PUT", f"{base}/x/y/z", "MKDIRS", permission="700")
    assert reply.json() == {"boolean": True}
    assert site_a.call("PUT", f"{base}/x/y/z", "MKDIRS").json() == {"boolean": True}
    client = site_a.client()
    assert client.status(f"{base}/x/y/z")["permission"] == "700"
    assert client.status(f"{base}/x")["permission"] == "700"  # 700 | u+wx
    site_a.client().write(f"{base}/file", data=b"")
    reply = site_a.call("PUT", f"{base}/file", "MKDIRS")
    assert (reply.status_code, remote(reply)["exception"]) == (403, "FileAlreadyExistsException")


def test_list_status_is_sorted_and_matches_file_status(client: InsecureClient, base: str) -> None:
    for name in ("b", "a", "C", "aa"):
        client.write(f"{base}/{name}", data=name.encode())
    client.makedirs(f"{base}/dir")
    listing = client.list(base, status=True)
    assert [name for name, _ in listing] == ["C", "a", "aa", "b", "dir"]
    for name, status in listing:
        assert status == {**client.status(f"{base}/{name}"), "pathSuffix": name}


def test_list_status_of_a_file_is_one_entry_without_suffix(site_a: Site, base: str) -> None:
    site_a.client().write(f"{base}/f", data=b"abc")
    entries = site_a.call("GET", f"{base}/f", "LISTSTATUS").json()["FileStatuses"]["FileStatus"]
    assert len(entries) == 1
    assert (entries[0]["pathSuffix"], entries[0]["length"]) == ("", 3)


def test_list_status_batch_pages_a_large_directory(site_a: Site, base: str) -> None:
    # Written straight to disk, as Spark writes its warehouse: adopted on first sight.
    directory = site_a.root / base.lstrip("/") / "many"
    directory.mkdir()
    for index in range(1500):
        (directory / f"part-{index:05d}").write_bytes(b"")
    first = site_a.call("GET", f"{base}/many", "LISTSTATUS_BATCH").json()["DirectoryListing"]
    names = [s["pathSuffix"] for s in first["partialListing"]["FileStatuses"]["FileStatus"]]
    assert (len(names), first["remainingEntries"]) == (1000, 500)
    second = site_a.call("GET", f"{base}/many", "LISTSTATUS_BATCH",
                         startAfter=names[-1]).json()["DirectoryListing"]
    rest = [s["pathSuffix"] for s in second["partialListing"]["FileStatuses"]["FileStatus"]]
    assert (len(rest), second["remainingEntries"]) == (500, 0)
    assert names + rest == [f"part-{index:05d}" for index in range(1500)]


def test_files_written_behind_the_servers_back_get_defaults(site_a: Site, base: str) -> None:
    (site_a.root / base.lstrip("/") / "spark.parquet").write_bytes(b"PAR1")
    client = site_a.client("alice")
    status = client.status(f"{base}/spark.parquet")
    assert (status["owner"], status["group"], status["permission"], status["length"]) == (
        SUPERUSER, "supergroup", "644", 4)
    assert client.status(f"{base}/spark.parquet")["fileId"] == status["fileId"]
    replaced = site_a.root / base.lstrip("/") / "spark.parquet.tmp"
    replaced.write_bytes(b"PAR2!")
    os.replace(replaced, site_a.root / base.lstrip("/") / "spark.parquet")
    assert client.status(f"{base}/spark.parquet")["fileId"] != status["fileId"]


def test_content_summary_counts_the_directory_itself(client: InsecureClient, base: str) -> None:
    client.write(f"{base}/a", data=b"12345")
    client.write(f"{base}/d/b", data=b"123")
    summary = client.content(base)
    assert (summary["directoryCount"], summary["fileCount"], summary["length"]) == (2, 2, 8)
    assert summary["spaceConsumed"] == 24
    assert client.content(f"{base}/a")["fileCount"] == 1


def test_delete(client: InsecureClient, base: str) -> None:
    assert client.delete(f"{base}/missing") is False
    client.write(f"{base}/d/f", data=b"x")
    with pytest.raises(HdfsError) as refused:
        client.delete(f"{base}/d")
    assert refused.value.exception == "PathIsNotEmptyDirectoryException"
    assert client.delete(f"{base}/d", recursive=True) is True
    assert client.status(f"{base}/d", strict=False) is None


def test_rename_rules(site_a: Site, base: str) -> None:
    client = site_a.client()
    client.write(f"{base}/a", data=b"a")
    client.write(f"{base}/b", data=b"b")
    client.makedirs(f"{base}/dir")

    def rename(src: str, dst: str) -> bool:
        reply = site_a.call("PUT", f"{base}/{src}", "RENAME", destination=f"{base}/{dst}")
        return reply.json()["boolean"]

    assert rename("missing", "x") is False
    assert rename("a", "b") is False  # destination is a file
    assert rename("a", "nowhere/a") is False  # destination's parent is missing
    assert rename("a", "dir") is True  # into an existing directory
    assert read(client, f"{base}/dir/a") == b"a"
    assert rename("dir", "dir/inside") is False
    assert rename("dir", "moved") is True
    assert client.list(f"{base}/moved") == ["a"]


def test_set_times_replication_owner_and_permission(site_a: Site, base: str) -> None:
    client = site_a.client()
    client.write(f"{base}/f", data=b"x")
    client.set_times(f"{base}/f", modification_time=1_600_000_000_000)
    status = client.status(f"{base}/f")
    assert status["modificationTime"] == 1_600_000_000_000
    client.set_times(f"{base}/f", access_time=1_500_000_000_000)
    assert client.status(f"{base}/f")["modificationTime"] == 1_600_000_000_000
    assert client.status(f"{base}/f")["accessTime"] == 1_500_000_000_000
    client.set_replication(f"{base}/f", 2)
    assert client.status(f"{base}/f")["replication"] == 2
    assert site_a.call("PUT", base, "SETREPLICATION", replication=2).json() == {"boolean": False}
    client.set_owner(f"{base}/f", owner="alice", group="analysts")
    client.set_permission(f"{base}/f", "1750")
    status = client.status(f"{base}/f")
    assert (status["owner"], status["group"], status["permission"]) == (
        "alice", "analysts", "1750")
    reply = site_a.call("PUT", f"{base}/f", "SETOWNER")
    assert (reply.status_code, remote(reply)["exception"]) == (400, "IllegalArgumentException")


def test_home_directory_and_trash_root(site_a: Site) -> None:
    assert site_a.call("GET", "/", "GETHOMEDIRECTORY", user="alice").json() == {
        "Path": "/user/alice"}
    assert site_a.call("GET", "/x", "GETTRASHROOT", user="alice").json() == {
        "Path": "/user/alice/.Trash"}


def test_unknown_op_and_bad_arguments_are_illegal_argument(site_a: Site, base: str) -> None:
    reply = site_a.call("GET", base, "FROBNICATE")
    assert reply.status_code == 400
    assert remote(reply)["exception"] == "IllegalArgumentException"
    assert "No enum constant" in remote(reply)["message"]
    assert site_a.call("PUT", base, "GETFILESTATUS").status_code == 400
    reply = site_a.call("DELETE", base, "DELETE", recursive="maybe")
    assert reply.status_code == 400
    reply = site_a.call("PUT", f"{base}/f", "CREATE", permission="999")
    assert reply.status_code == 400

def test_dot_segments_cannot_escape_the_root(site_a: Site) -> None:
    # http.client sends the path as written; requests would normalise the dots away.
    connection = http.client.HTTPConnection(urlsplit(site_a.url).netloc, timeout=30)
    connection.request("GET", "/webhdfs/v1/t/../../etc?op=GETFILESTATUS&user.name=alice")
    reply = connection.getresponse()
    assert reply.status == 400
    assert json.loads(reply.read())["RemoteException"]["exception"] == "InvalidPathException"


def test_op_and_booleans_are_case_insensitive_and_first_value_wins(site_a: Site,
                                                                   base: str) -> None:
    url = f"{site_a.url}/webhdfs/v1{base}/d?OP=mkdirs&user.name=alice&user.name=bob"
    assert requests.put(url, timeout=30).json() == {"boolean": True}
    assert site_a.client().status(f"{base}/d")["owner"] == "alice"
    site_a.client().write(f"{base}/d/f", data=b"")
    reply = site_a.call("DELETE", f"{base}/d", "DELETE", recursive="TRUE")
    assert reply.json() == {"boolean": True}


def test_missing_path_is_file_not_found(site_a: Site, base: str) -> None:
    reply = site_a.call("GET", f"{base}/nope", "GETFILESTATUS")
    assert reply.status_code == 404
    assert remote(reply) == {
        "exception": "FileNotFoundException",
        "javaClassName": "java.io.FileNotFoundException",
        "message": f"File does not exist: {base}/nope",
    }


@pytest.mark.parametrize("name", ["fo&o/a%a", "foo bar%.txt", "fo&oa ?a=1", "plus+sign"])
def test_odd_path_characters(site_a: Site, base: str, name: str) -> None:
    client = site_a.client()
    client.write(f"{base}/{name}", data=name.encode())
    assert read(client, f"{base}/{name}") == name.encode()
    assert (site_a.root / base.lstrip("/") / name).read_bytes() == name.encode()
    parent, _, leaf = f"{base}/{name}".rpartition("/")
    assert leaf in client.list(parent)
    assert client.checksum(f"{base}/{name}")["length"] == 28


def test_a_literal_plus_in_a_raw_path_stays_a_plus(site_a: Site, base: str) -> None:
    site_a.client().write(f"{base}/a+b", data=b"plus")
    reply = requests.get(f"{site_a.url}/webhdfs/v1{base}/a+b?op=GETFILESTATUS", timeout=30)
    assert reply.json()["FileStatus"]["length"] == 4


def test_doas_acts_for_another_user_only_for_the_superuser(site_a: Site, base: str) -> None:
    reply = site_a.call("PUT", f"{base}/by-alice", "MKDIRS", doas="alice")
    assert reply.json() == {"boolean": True}
    assert site_a.client().status(f"{base}/by-alice")["owner"] == "alice"
    reply = site_a.call("PUT", f"{base}/by-bob", "MKDIRS", user="alice", doas="bob")
    assert reply.status_code == 403
    assert remote(reply)["exception"] == "AuthorizationException"
