"""Storage policies, CHECKACCESS, GETSERVERDEFAULTS, block locations, CONCAT, TRUNCATE,
directory access times and Hadoop's `user:foo:` removal specs: what Hadoop's client and
Spark call beyond plain file operations, with HDFS's exact answers and refusals."""

import time

import requests
from hdfs import InsecureClient

from tests.webhdfs.conftest import SUPERUSER, Site, refusal

MB = 1024 * 1024
HOT = {"copyOnCreateFile": False, "creationFallbacks": [], "id": 7, "name": "HOT",
       "replicationFallbacks": ["ARCHIVE"], "storageTypes": ["DISK"]}




def read(client: InsecureClient, path: str) -> bytes:
    with client.read(path) as reader:
        return reader.read()


def upload(site: Site, path: str, data: bytes, **params: object) -> None:
    reply = site.call("PUT", path, "CREATE", **params)
    assert requests.put(reply.headers["Location"], data=data, timeout=30).status_code == 201


def contents(client: InsecureClient, directory: str) -> dict[str, bytes]:
    """Every file of a directory by name: what a refused change must leave alone."""
    return {name: read(client, f"{directory}/{name}") for name in client.list(directory)
            if client.status(f"{directory}/{name}")["type"] == "FILE"}


def policy_id(site: Site, path: str, user: str = SUPERUSER) -> int:
    return site.call("GET", path, "GETFILESTATUS", user=user).json()["FileStatus"][
        "storagePolicy"]


def policy_name(site: Site, path: str) -> str:
    return site.call("GET", path, "GETSTORAGEPOLICY").json()["BlockStoragePolicy"]["name"]


# ---------------------------------------------------------------------------- policies

def test_all_storage_policies_in_id_order(site_a: Site) -> None:
    reply = site_a.call("GET", "/anything", "GETALLSTORAGEPOLICY")
    policies = reply.json()["BlockStoragePolicies"]["BlockStoragePolicy"]
    assert [(p["id"], p["name"], p["storageTypes"], p["creationFallbacks"],
             p["replicationFallbacks"], p["copyOnCreateFile"]) for p in policies] == [
        (1, "PROVIDED", ["PROVIDED", "DISK"], ["PROVIDED", "DISK"], ["PROVIDED", "DISK"],
         False),
        (2, "COLD", ["ARCHIVE"], [], [], False),
        (5, "WARM", ["DISK", "ARCHIVE"], ["DISK", "ARCHIVE"], ["DISK", "ARCHIVE"], False),
        (7, "HOT", ["DISK"], [], ["ARCHIVE"], False),
        (10, "ONE_SSD", ["SSD", "DISK"], ["SSD", "DISK"], ["SSD", "DISK"], False),
        (12, "ALL_SSD", ["SSD"], ["DISK"], ["DISK"], False),
        (14, "ALL_NVDIMM", ["NVDIMM"], ["DISK"], ["DISK"], False),
        (15, "LAZY_PERSIST", ["RAM_DISK", "DISK"], ["DISK"], ["DISK"], True),
    ]


def test_policies_are_inherited_and_unset(client: InsecureClient, site_a: Site,
                                          base: str) -> None:
    """GETSTORAGEPOLICY maps "none anywhere" to the default (HOT); FileStatus reports the
    effective id, 0 when none is set."""
    d = f"{base}/d"
    client.write(f"{d}/sub/f", data=b"x")
    client.write(f"{d}/own", data=b"y")
    assert site_a.call("GET", f"{d}/sub/f", "GETSTORAGEPOLICY").json() == {
        "BlockStoragePolicy": HOT}
    assert (policy_id(site_a, d), policy_id(site_a, f"{d}/sub/f")) == (0, 0)
    reply = site_a.call("PUT", d, "SETSTORAGEPOLICY", storagepolicy="cold")
    assert (reply.status_code, reply.text) == (200, "")
    site_a.call("PUT", f"{d}/own", "SETSTORAGEPOLICY", storagepolicy="ALL_SSD")
    assert [policy_name(site_a, p) for p in (d, f"{d}/sub", f"{d}/sub/f", f"{d}/own")] == [
        "COLD", "COLD", "COLD", "ALL_SSD"]
    assert [policy_id(site_a, p) for p in (d, f"{d}/sub/f", f"{d}/own")] == [2, 2, 12]
    assert {name: status["storagePolicy"] for name, status in client.list(d, status=True)} == {
        "own": 12, "sub": 2}
    listing = site_a.call("GET", d, "LISTXATTRS").json()
    assert listing == {"XAttrNames": "[]"}  # the policy's system xattr stays hidden
    reply = site_a.call("POST", d, "UNSETSTORAGEPOLICY")
    assert (reply.status_code, reply.text) == (200, "")
    assert (policy_name(site_a, f"{d}/sub/f"), policy_id(site_a, f"{d}/sub/f")) == ("HOT", 0)
    assert policy_name(site_a, f"{d}/own") == "ALL_SSD"


def test_listings_show_policies_to_the_superuser_only(site_a: Site, base: str) -> None:
    """FSDirStatAndListingOp.getListing includes storage policies only for the superuser;
    GETFILESTATUS always does."""
    d = f"{base}/d"
    site_a.client().write(f"{d}/f", data=b"x")
    site_a.call("PUT", d, "SETSTORAGEPOLICY", storagepolicy="WARM")
    entries = site_a.call("GET", d, "LISTSTATUS", user="alice").json()[
        "FileStatuses"]["FileStatus"]
    assert [entry["storagePolicy"] for entry in entries] == [0]
    assert policy_id(site_a, f"{d}/f", user="alice") == 5


def test_set_storage_policy_refusals(client: InsecureClient, site_a: Site, base: str) -> None:
    client.write(f"{base}/f", data=b"x")
    client.makedirs(f"{base}/d", permission="755")
    assert refusal(site_a.call("PUT", f"{base}/f", "SETSTORAGEPOLICY")) == (
        400, "IllegalArgumentException", "Storage policy name is empty.")
    assert refusal(site_a.call("PUT", f"{base}/f", "SETSTORAGEPOLICY",
                               storagepolicy="FROZEN")) == (
        400, "HadoopIllegalArgumentException", "Cannot find a block policy with the name FROZEN")
    assert refusal(site_a.call("PUT", f"{base}/f", "SETSTORAGEPOLICY",
                               storagepolicy="lazy_persist")) == (
        400, "HadoopIllegalArgumentException", "Policy BlockStoragePolicy{LAZY_PERSIST:15, "
        "storageTypes=[RAM_DISK, DISK], creationFallbacks=[DISK], replicationFallbacks=[DISK]}"
        " cannot be set after file creation.")
    assert refusal(site_a.call("PUT", f"{base}/d", "SETSTORAGEPOLICY", user="bob",
                               storagepolicy="COLD")) == (
        403, "AccessControlException", f'Permission denied: user=bob, access=WRITE, '
        f'inode="{base}/d":{SUPERUSER}:supergroup:drwxr-xr-x')
    assert refusal(site_a.call("POST", f"{base}/d", "UNSETSTORAGEPOLICY", user="bob")) == (
        403, "AccessControlException", f'Permission denied: user=bob, access=WRITE, '
        f'inode="{base}/d":{SUPERUSER}:supergroup:drwxr-xr-x')
    assert (policy_id(site_a, f"{base}/f"), policy_id(site_a, f"{base}/d")) == (0, 0)
    missing = f"{base}/nope"
    for reply in (site_a.call("GET", missing, "GETSTORAGEPOLICY"),
                  site_a.call("PUT", missing, "SETSTORAGEPOLICY", storagepolicy="HOT"),
                  site_a.call("POST", missing, "UNSETSTORAGEPOLICY")):
        assert refusal(reply) == (404, "FileNotFoundException",
                                  f"File/Directory does not exist: {missing}")
    reply = site_a.call("PUT", f"{base}/d", "UNSETSTORAGEPOLICY")
    assert refusal(reply) == (400, "IllegalArgumentException", 'Invalid value for webhdfs '
                              'parameter "op": No enum constant '
                              "org.apache.hadoop.hdfs.web.resources.PutOpParam.Op."
                              "UNSETSTORAGEPOLICY")


def test_a_directory_may_take_lazy_persist(site_a: Site, base: str) -> None:
    site_a.call("PUT", f"{base}/d", "MKDIRS")
    assert site_a.call("PUT", f"{base}/d", "SETSTORAGEPOLICY",
                       storagepolicy="LAZY_PERSIST").status_code == 200
    assert policy_id(site_a, f"{base}/d") == 15


# ---------------------------------------------------------------------------- CHECKACCESS

def test_check_access(client: InsecureClient, site_a: Site, base: str) -> None:
    client.write(f"{base}/f", data=b"x", permission="640")
    client.makedirs(f"{base}/locked/inner", permission="700")
    for user, action in ((SUPERUSER, "rwx"), ("alice", "---")):
        reply = site_a.call("GET", f"{base}/f", "CHECKACCESS", user=user, fsaction=action)
        assert (reply.status_code, reply.text) == (200, "")
    denied = f"inode=\"{base}/f\":{SUPERUSER}:supergroup:-rw-r-----"
    for action, name in (("r--", "READ"), ("rw-", "READ_WRITE"), ("--x", "EXECUTE")):
        reply = site_a.call("GET", f"{base}/f", "CHECKACCESS", user="alice", fsaction=action)
        assert refusal(reply) == (403, "AccessControlException",
                                  f"Permission denied: user=alice, access={name}, {denied}")
    reply = site_a.call("GET", f"{base}/locked/inner", "CHECKACCESS", user="alice",
                        fsaction="---")
    assert refusal(reply) == (
        403, "AccessControlException", f'Permission denied: user=alice, access=EXECUTE, '
        f'inode="{base}/locked":{SUPERUSER}:supergroup:drwx------')


def test_check_access_argument_errors(site_a: Site, base: str) -> None:
    assert refusal(site_a.call("GET", base, "CHECKACCESS")) == (
        400, "IllegalArgumentException",
        "Required param fsaction for op: CHECKACCESS is null or empty")
    assert refusal(site_a.call("GET", base, "CHECKACCESS", fsaction="rwz")) == (
        400, "IllegalArgumentException", 'Invalid value for webhdfs parameter "fsaction": '
        'Invalid value: "rwz" does not belong to the domain [r-][w-][x-]')
    assert refusal(site_a.call("GET", f"{base}/nope", "CHECKACCESS", fsaction="r--")) == (
        404, "FileNotFoundException", f"Path not found: {base}/nope")


# ---------------------------------------------------------------------------- defaults

def test_server_defaults(site_a: Site) -> None:
    reply = site_a.call("GET", "/ignored", "GETSERVERDEFAULTS")
    assert reply.json() == {"FsServerDefaults": {
        "blockSize": 134217728, "bytesPerChecksum": 512, "writePacketSize": 65536,
        "replication": 3, "fileBufferSize": 4096, "encryptDataTransfer": False,
        "trashInterval": 0, "checksumType": 2, "keyProviderUri": "",
        "defaultStoragePolicyId": 7}}


# ---------------------------------------------------------------------------- blocks

def block_locations(site: Site, path: str, **params: object) -> list[tuple[int, int]]:
    reply = site.call("GET", path, "GETFILEBLOCKLOCATIONS", **params)
    assert reply.status_code == 200, reply.text
    blocks = reply.json()["BlockLocations"]["BlockLocation"]
    for block in blocks:
        assert block["corrupt"] is False
        assert block["storageTypes"] == ["DISK"] and block["cachedHosts"] == []
        assert len(block["hosts"]) == len(block["names"]) == len(block["topologyPaths"]) == 1
        assert block["topologyPaths"] == [f"/default-rack/{block['names'][0]}"]
    return [(block["offset"], block["length"]) for block in blocks]


def test_file_block_locations(site_a: Site, base: str) -> None:
    """Blocks are cut at the file's block size; a range returns the blocks it overlaps."""
    upload(site_a, f"{base}/f", b"x" * (2 * MB + MB // 2), blocksize=MB)
    assert block_locations(site_a, f"{base}/f") == [(0, MB), (MB, MB), (2 * MB, MB // 2)]
    assert block_locations(site_a, f"{base}/f", offset=MB + 10, length=MB) == [
        (MB, MB), (2 * MB, MB // 2)]
    assert block_locations(site_a, f"{base}/f", offset=10, length=5) == [(0, MB)]
    assert block_locations(site_a, f"{base}/f", offset=3 * MB) == []
    site_a.client().write(f"{base}/empty", data=b"")
    assert block_locations(site_a, f"{base}/empty") == []


def test_block_location_refusals(client: InsecureClient, site_a: Site, base: str) -> None:
    client.write(f"{base}/secret", data=b"x", permission="600")
    for op in ("GETFILEBLOCKLOCATIONS", "GET_BLOCK_LOCATIONS"):
        assert refusal(site_a.call("GET", f"{base}/nope", op)) == (
            404, "FileNotFoundException", f"File does not exist: {base}/nope")
        assert refusal(site_a.call("GET", base, op)) == (
            404, "FileNotFoundException", f"Path is not a file: {base}")
        assert refusal(site_a.call("GET", f"{base}/secret", op, user="bob")) == (
            403, "AccessControlException", f'Permission denied: user=bob, access=READ, '
            f'inode="{base}/secret":{SUPERUSER}:supergroup:-rw-------')
        assert refusal(site_a.call("GET", f"{base}/secret", op, offset=-1)) == (
            400, "IllegalArgumentException", 'Invalid value for webhdfs parameter "offset": '
            "Invalid parameter range: offset = -1 < 0")


def test_located_blocks(site_a: Site, base: str) -> None:
    """The private form Hadoop's client falls back to: what its parser requires."""
    upload(site_a, f"{base}/f", b"y" * (MB + 100), blocksize=MB)
    reply = site_a.call("GET", f"{base}/f", "GET_BLOCK_LOCATIONS", offset=0, length=10)
    located = reply.json()["LocatedBlocks"]
    assert (located["fileLength"], located["isUnderConstruction"],
            located["isLastBlockComplete"]) == (MB + 100, False, True)
    [first] = located["locatedBlocks"]
    assert (first["startOffset"], first["block"]["numBytes"], first["isCorrupt"]) == (
        0, MB, False)
    assert first["blockToken"] == {"urlString": "AAAAAA"}
    last = located["lastLocatedBlock"]
    assert (last["startOffset"], last["block"]["numBytes"]) == (MB, 100)
    assert last["block"]["blockId"] != first["block"]["blockId"]
    [node] = first["locations"]
    assert node["name"] == f"{node['ipAddr']}:{node['xferPort']}"
    assert all(isinstance(node[key], int) for key in ("infoPort", "ipcPort"))
    assert len(first["storageTypes"]) >= len(first["locations"])
    site_a.client().write(f"{base}/empty", data=b"")
    assert site_a.call("GET", f"{base}/empty", "GET_BLOCK_LOCATIONS").json() == {
        "LocatedBlocks": {"fileLength": 0, "isLastBlockComplete": False,
                          "isUnderConstruction": False, "lastLocatedBlock": None,
                          "locatedBlocks": []}}


# ---------------------------------------------------------------------------- CONCAT

def test_concat_appends_the_sources_in_order_and_removes_them(client: InsecureClient,
                                                              site_a: Site,
                                                              base: str) -> None:
    d = f"{base}/d"
    client.write(f"{d}/t", data=b"abc")
    client.write(f"{d}/s1", data=b"de")
    client.write(f"{d}/s2", data=b"f")
    before, parent_before = client.status(f"{d}/t"), client.status(d)
    time.sleep(0.01)
    reply = site_a.call("POST", f"{d}/t", "CONCAT", sources=f"{d}/s2,{d}/s1")
    assert (reply.status_code, reply.text) == (200, "")
    assert client.list(d) == ["t"]
    assert read(client, f"{d}/t") == b"abcfde"
    after = client.status(f"{d}/t")
    assert after["fileId"] == before["fileId"]
    assert after["modificationTime"] > before["modificationTime"]
    assert client.status(d)["modificationTime"] > parent_before["modificationTime"]
    # HDFS moves the sources' blocks as they are: partial blocks stay partial.
    assert block_locations(site_a, f"{d}/t") == [(0, 3), (3, 1), (4, 2)]
    assert truncate(site_a, f"{d}/t", 4).json() == {"boolean": True}  # a block boundary
    assert block_locations(site_a, f"{d}/t") == [(0, 3), (3, 1)]


def test_concat_into_an_empty_target_from_smaller_blocks(client: InsecureClient,
                                                         site_a: Site, base: str) -> None:
    """Hadoop 3 accepts an empty target and sources with a smaller block size."""
    client.write(f"{base}/t", data=b"", blocksize=2 * MB)
    upload(site_a, f"{base}/s", b"small", blocksize=MB)
    assert site_a.call("POST", f"{base}/t", "CONCAT", sources=f"{base}/s").status_code == 200
    assert read(client, f"{base}/t") == b"small"
    assert client.status(f"{base}/t")["blockSize"] == 2 * MB


def test_concat_refusals_leave_every_file_intact(client: InsecureClient, site_a: Site,
                                                 base: str) -> None:
    d = f"{base}/d"
    client.write(f"{d}/t", data=b"target", blocksize=MB)
    client.write(f"{d}/s", data=b"source", blocksize=MB)
    client.write(f"{d}/empty", data=b"")
    client.write(f"{d}/big", data=b"big-blocks", blocksize=2 * MB)
    client.write(f"{base}/elsewhere/o", data=b"other")
    client.makedirs(f"{d}/sub")
    before = contents(client, d)

    def concat(target: str, sources: str | None) -> tuple[int, str, str]:
        params = {} if sources is None else {"sources": sources}
        return refusal(site_a.call("POST", f"{d}/{target}", "CONCAT", **params))

    assert concat("t", None) == (400, "IllegalArgumentException",
                                 "Required param sources for op: CONCAT is null or empty")
    assert concat("nope", f"{d}/s") == (404, "FileNotFoundException",
                                        f"File does not exist: {d}/nope")
    assert concat("sub", f"{d}/s") == (404, "FileNotFoundException",
                                       f"Path is not a file: {d}/sub")
    assert concat("t", f"{d}/gone") == (404, "FileNotFoundException",
                                        f"File does not exist: {d}/gone")
    assert concat("t", f"{d}/s,{d}/sub")[:2] == (404, "FileNotFoundException")
    # (status, message): the exception class is checked on its own below.
    assert concat("t", f"{base}/elsewhere/o")[::2] == (
        400, f"Source file {base}/elsewhere/o is not in the same directory with the target "
        f"{d}/t")
    assert concat("t", f"{d}/t")[::2] == (
        400, f"concat: the src file {d}/t is the same with the target file {d}/t")
    assert concat("t", f"{d}/s,{d}/empty")[::2] == (
        400, f"concat: source file {d}/empty is invalid or empty or underConstruction")
    assert concat("t", f"{d}/big")[::2] == (
        400, f"concat: source file {d}/big has preferred block size 2097152 which is greater "
        "than the target file's preferred block size 1048576")
    assert concat("t", f"{d}/s,{d}/s")[::2] == (
        400, "concat: at least two of the source files are the same")
    assert contents(client, d) == before
    assert client.list(f"{base}/elsewhere") == ["o"]


def test_concat_argument_refusals_are_hadoop_illegal_arguments(client: InsecureClient,
                                                               site_a: Site,
                                                               base: str) -> None:
    """FSDirConcatOp throws HadoopIllegalArgumentException for each source rule."""
    client.write(f"{base}/t", data=b"t")
    client.write(f"{base}/s", data=b"s")
    for sources in (f"{base}/t", f"{base}/s,{base}/s"):
        reply = site_a.call("POST", f"{base}/t", "CONCAT", sources=sources)
        assert reply.json()["RemoteException"]["javaClassName"] == (
            "org.apache.hadoop.HadoopIllegalArgumentException"), sources


def test_concat_of_a_snapshotted_source_is_refused(client: InsecureClient, site_a: Site,
                                                   base: str) -> None:
    root = f"{base}/snap"
    client.write(f"{root}/t", data=b"t")
    client.write(f"{root}/s", data=b"s")
    client.allow_snapshot(root)
    client.create_snapshot(root, "s1")
    reply = site_a.call("POST", f"{root}/t", "CONCAT", sources=f"{root}/s")
    assert refusal(reply) == (403, "SnapshotException",
                              f"Concat: the source file {root}/s is in snapshot")
    assert contents(client, root) == {"s": b"s", "t": b"t"}


def test_concat_into_a_snapshotted_target_keeps_the_snapshots_copy(client: InsecureClient,
                                                                   site_a: Site,
                                                                   base: str) -> None:
    root = f"{base}/snap"
    client.write(f"{root}/t", data=b"abc")
    client.allow_snapshot(root)
    client.create_snapshot(root, "s1")
    client.write(f"{root}/s", data=b"def")
    assert site_a.call("POST", f"{root}/t", "CONCAT", sources=f"{root}/s").status_code == 200
    assert read(client, f"{root}/t") == b"abcdef"
    assert read(client, f"{root}/.snapshot/s1/t") == b"abc"
    assert client.status(f"{root}/.snapshot/s1/t")["length"] == 3


# ---------------------------------------------------------------------------- TRUNCATE

def truncate(site: Site, path: str, length: object, user: str = SUPERUSER
             ) -> requests.Response:
    return site.call("POST", path, "TRUNCATE", user=user, newlength=length)


def test_truncate_on_a_block_boundary_is_done_at_once(client: InsecureClient, site_a: Site,
                                                      base: str) -> None:
    """True: nothing is left to recover (a block boundary, or the same length)."""
    upload(site_a, f"{base}/f", b"a" * MB + b"tail", blocksize=MB)
    before = client.status(f"{base}/f")
    time.sleep(0.01)
    assert truncate(site_a, f"{base}/f", MB).json() == {"boolean": True}
    after = client.status(f"{base}/f")
    assert (after["length"], after["fileId"]) == (MB, before["fileId"])
    assert after["modificationTime"] > before["modificationTime"]
    assert truncate(site_a, f"{base}/f", MB).json() == {"boolean": True}
    assert client.status(f"{base}/f")["modificationTime"] == after["modificationTime"]
    assert truncate(site_a, f"{base}/f", 0).json() == {"boolean": True}
    assert read(client, f"{base}/f") == b""


def test_truncate_within_a_block_answers_false(client: InsecureClient, site_a: Site,
                                               base: str) -> None:
    """HDFS answers false when the new last block needs recovery: the client must wait
    before appending."""
    client.write(f"{base}/f", data=b"0123456789")
    assert truncate(site_a, f"{base}/f", 4).json() == {"boolean": False}
    assert client.status(f"{base}/f")["length"] == 4


def test_truncate_refusals(client: InsecureClient, site_a: Site, base: str) -> None:
    client.write(f"{base}/f", data=b"abc", permission="644")
    assert refusal(site_a.call("POST", f"{base}/f", "TRUNCATE")) == (
        400, "IllegalArgumentException",
        "Required param newlength for op: TRUNCATE is null or empty")
    assert refusal(truncate(site_a, f"{base}/f", -1)) == (
        400, "IllegalArgumentException", 'Invalid value for webhdfs parameter "newlength": '
        "Invalid parameter range: newlength = -1 < 0")
    assert refusal(truncate(site_a, f"{base}/f", 5)) == (
        400, "HadoopIllegalArgumentException",
        "Cannot truncate to a larger file size. Current size: 3, truncate size: 5.")
    assert refusal(truncate(site_a, f"{base}/f", 1, user="bob")) == (
        403, "AccessControlException", f'Permission denied: user=bob, access=WRITE, '
        f'inode="{base}/f":{SUPERUSER}:supergroup:-rw-r--r--')
    assert refusal(truncate(site_a, base, 0)) == (404, "FileNotFoundException",
                                                  f"Path is not a file: {base}")
    assert refusal(truncate(site_a, f"{base}/nope", 0)) == (
        404, "FileNotFoundException", f"File does not exist: {base}/nope")
    assert read(client, f"{base}/f") == b"abc"


def test_truncate_keeps_the_snapshots_bytes(client: InsecureClient, site_a: Site,
                                            base: str) -> None:
    root = f"{base}/snap"
    client.write(f"{root}/f", data=b"0123456789")
    client.allow_snapshot(root)
    client.create_snapshot(root, "s1")
    assert truncate(site_a, f"{root}/f", 0).status_code == 200
    assert read(client, f"{root}/f") == b""
    assert read(client, f"{root}/.snapshot/s1/f") == b"0123456789"
    client.write(f"{root}/f", data=b"new", append=True)
    assert read(client, f"{root}/.snapshot/s1/f") == b"0123456789"


# ---------------------------------------------------------------------------- atime

def test_directories_report_an_access_time_set_only_by_settimes(client: InsecureClient,
                                                                site_a: Site,
                                                                base: str) -> None:
    """A new directory's access time is 0 (INodeDirectory's constructor); listing and
    reading below it never change it; SETTIMES does."""
    site_a.call("PUT", f"{base}/made", "MKDIRS")
    client.write(f"{base}/implicit/f", data=b"x")
    for path in (f"{base}/made", f"{base}/implicit"):
        assert client.status(path)["accessTime"] == 0
    client.list(f"{base}/implicit")
    read(client, f"{base}/implicit/f")
    assert client.status(f"{base}/implicit")["accessTime"] == 0
    reply = site_a.call("PUT", f"{base}/made", "SETTIMES", accesstime=1_234_567)
    assert (reply.status_code, reply.text) == (200, "")
    assert client.status(f"{base}/made")["accessTime"] == 1_234_567
    assert dict(client.list(base, status=True))["made"]["accessTime"] == 1_234_567
    assert client.status(f"{base}/implicit/f")["accessTime"] > 0


def test_settimes_of_a_missing_path(site_a: Site, base: str) -> None:
    reply = site_a.call("PUT", f"{base}/nope", "SETTIMES", accesstime=5)
    assert refusal(reply) == (404, "FileNotFoundException",
                              f"File/Directory {base}/nope does not exist.")


# ---------------------------------------------------------------------------- ACL specs

def acl_entries(site: Site, path: str) -> list[str]:
    return site.call("GET", path, "GETACLSTATUS").json()["AclStatus"]["entries"]


def test_remove_acl_entries_takes_hadoops_trailing_colon_form(site_a: Site,
                                                              base: str) -> None:
    """Hadoop's client sends `user:foo:` (no permission) to REMOVEACLENTRIES."""
    d = f"{base}/d"
    site_a.call("PUT", d, "MKDIRS")
    reply = site_a.call("PUT", d, "MODIFYACLENTRIES",
                        aclspec="user:alice:rwx,group:engineers:r-x,default:group:analysts:r--")
    assert reply.status_code == 200, reply.text
    reply = site_a.call("PUT", d, "REMOVEACLENTRIES",
                        aclspec="user:alice:,default:group:analysts:")
    assert (reply.status_code, reply.text) == (200, "")
    assert "user:alice:rwx" not in acl_entries(site_a, d)
    assert "group:engineers:r-x" in acl_entries(site_a, d)
    assert not any(entry.startswith("default:group:analysts") for entry in
                   acl_entries(site_a, d))


def test_acl_spec_permissions_are_required_to_add_and_refused_to_remove(site_a: Site,
                                                                        base: str) -> None:
    d = f"{base}/d"
    site_a.call("PUT", d, "MKDIRS")
    site_a.call("PUT", d, "MODIFYACLENTRIES", aclspec="user:alice:rwx")
    before = acl_entries(site_a, d)
    assert refusal(site_a.call("PUT", d, "REMOVEACLENTRIES", aclspec="user:alice:rwx")) == (
        400, "HadoopIllegalArgumentException", "Invalid <aclSpec> : user:alice:rwx")
    assert refusal(site_a.call("PUT", d, "MODIFYACLENTRIES", aclspec="user:bob:")) == (
        400, "HadoopIllegalArgumentException", "Invalid <aclSpec> : user:bob:")
    assert acl_entries(site_a, d) == before
