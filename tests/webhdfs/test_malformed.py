"""Malformed values anywhere in a request answer a 400 RemoteException that names
what was wrong, never a 500, and leave the server serving."""

import pytest
import requests
from hdfs import InsecureClient

from tests.webhdfs.conftest import SUPERUSER, Site

NUMBERS = ["abc", "1.5", "0x10", " 1", "1_000", "+", "9223372036854775808",
           "-9223372036854775809", "9" * 5000, "1\0"]
BOOLEANS = ["yes", "1", "t\0rue"]
PERMISSIONS = ["999", "abc", "-1", "77777", "0x1ff", "8", "7\0"]
ACL_OPS = ("SETACL", "MODIFYACLENTRIES")  # Hadoop answers a bad ACL spec with an AclException
SNAPSHOT_NAMES = [".", "..", "a/b", "/", "s\0", ".snapshot"]
# (method, op, parameter, malformed values): every numeric, boolean and permission
# parameter of every operation, as the namenode and the datanode read them.
SWEEP = [
    *[("GET", "OPEN", name, NUMBERS) for name in ("offset", "length", "buffersize")],
    *[("PUT", "CREATE", name, NUMBERS) for name in ("replication", "blocksize",
                                                     "buffersize")],
    ("PUT", "CREATE", "overwrite", BOOLEANS),
    ("PUT", "CREATE", "noredirect", BOOLEANS),
    ("PUT", "CREATE", "permission", PERMISSIONS),
    ("POST", "APPEND", "buffersize", NUMBERS),
    ("PUT", "MKDIRS", "permission", PERMISSIONS),
    ("PUT", "SETPERMISSION", "permission", PERMISSIONS),
    ("PUT", "SETTIMES", "modificationtime", [*NUMBERS, "9223372036854775807"]),
    ("PUT", "SETTIMES", "accesstime", NUMBERS),
    ("PUT", "SETREPLICATION", "replication", [*NUMBERS, "32768", "-32769"]),
    ("DELETE", "DELETE", "recursive", BOOLEANS),
    ("PUT", "SETOWNER", "owner", ["a\0b"]),
    ("PUT", "SETOWNER", "group", ["a\0b"]),
    ("PUT", "RENAME", "destination", ["\0", "/a\0b", "relative", "/a/../b", "/a:b"]),
    ("GET", "LISTSTATUS_BATCH", "startafter", ["a\0"]),
    ("PUT", "SETACL", "aclspec", ["user:bob:rwz", "garbage", "user::\0"]),
    ("PUT", "MODIFYACLENTRIES", "aclspec", ["user:bob", "::::", "default:"]),
    ("PUT", "CREATESNAPSHOT", "snapshotname", SNAPSHOT_NAMES),
    ("PUT", "RENAMESNAPSHOT", "snapshotname", [*SNAPSHOT_NAMES, ""]),
    ("DELETE", "DELETESNAPSHOT", "snapshotname", ["s\0"]),
    ("GET", "GETSNAPSHOTDIFF", "oldsnapshotname", ["s\0"]),
    *[("GET", op, name, ["a\0b"]) for op in ("GETFILESTATUS", "LISTSTATUS")
      for name in ("user.name", "doas")],
]


@pytest.fixture
def target(client: InsecureClient, base: str) -> str:
    """A snapshottable directory with a snapshot s1 and a file f."""
    client.write(f"{base}/f", data=b"some bytes")
    client.allow_snapshot(base)
    client.create_snapshot(base, "s1")
    return base


def _send(site: Site, datanode: str | None, method: str, op: str, path: str,
          params: dict[str, str]) -> requests.Response:
    url = f"{datanode or site.url}/webhdfs/v1{path}"
    query = {"op": op, "user.name": SUPERUSER, "oldsnapshotname": "s1", **params}
    return requests.request(method, url, params=query, allow_redirects=False, timeout=30)


def _datanode(site: Site, path: str) -> str:
    location = site.call("GET", path, "OPEN", noredirect="true").json()["Location"]
    return location.split("/webhdfs/")[0]


def test_malformed_values_answer_400_never_500(site_a: Site, target: str) -> None:
    datanode = _datanode(site_a, f"{target}/f")
    refused = []
    for method, op, name, values in SWEEP:
        path = target if "SNAPSHOT" in op or op in ("LISTSTATUS_BATCH", "MKDIRS") \
            else f"{target}/f"
        on = [None, datanode] if op in ("OPEN", "CREATE", "APPEND") else [None]
        for node in on:
            for value in values:
                reply = _send(site_a, node, method, op, path, {name: value})
                assert reply.status_code != 500, (op, name, value, reply.text)
                assert reply.status_code == 400 or op in ACL_OPS, (op, name, value,
                                                                  reply.text)
                refused.append((op, name, value, reply.json()["RemoteException"]))
    for op, name, value, exception in refused:
        assert exception["exception"] in ("IllegalArgumentException", "InvalidPathException",
                                          "HadoopIllegalArgumentException", "AclException",
                                          "IOException"), (op, name, value, exception)
    assert site_a.client().status(target)["type"] == "DIRECTORY"
    assert site_a.client().list(f"{target}/.snapshot") == ["s1"]


@pytest.mark.parametrize("path", ["/a%00b", "/%00", "/t/%00/x", "/a%2F..%2F..%2Fetc"])
def test_malformed_paths_answer_400(site_a: Site, path: str) -> None:
    for method, op in (("GET", "GETFILESTATUS"), ("GET", "OPEN"), ("PUT", "MKDIRS"),
                       ("PUT", "CREATE"), ("DELETE", "DELETE")):
        reply = requests.request(method, f"{site_a.url}/webhdfs/v1{path}",
                                 params={"op": op, "user.name": SUPERUSER},
                                 allow_redirects=False, timeout=30)
        assert reply.status_code == 400, (op, path, reply.text)
        assert reply.json()["RemoteException"]["exception"] == "InvalidPathException"


@pytest.mark.parametrize(("name", "message"), [
    ("..", 'Snapshot name cannot be ".."'),
    (".", 'Snapshot name cannot be "."'),
    ("a/b", 'Snapshot name cannot contain "/"'),
    (".snapshot", '".snapshot" is a reserved name.'),
])
def test_a_snapshot_name_that_reads_as_a_path_is_refused(site_a: Site, target: str,
                                                          name: str, message: str) -> None:
    for op, params in (("CREATESNAPSHOT", {"snapshotname": name}),
                       ("RENAMESNAPSHOT", {"oldsnapshotname": "s1", "snapshotname": name})):
        reply = site_a.call("PUT", target, op, **params)
        assert reply.status_code == 400, reply.text
        assert reply.json()["RemoteException"] == {
            "exception": "HadoopIllegalArgumentException",
            "javaClassName": "org.apache.hadoop.HadoopIllegalArgumentException",
            "message": message,
        }
    assert site_a.client().list(f"{target}/.snapshot") == ["s1"]
