"""Directory quotas (SETQUOTA, SETQUOTABYSTORAGETYPE, GETQUOTAUSAGE and the quota keys of
GETCONTENTSUMMARY) and their enforcement, with HDFS's exact refusals: a refused change
must leave the namespace as it was."""

import requests
from hdfs import InsecureClient

from tests.webhdfs.conftest import SUPERUSER, Site, refusal

MB = 1024 * 1024
LONG_MAX = 2**63 - 1




def upload(site: Site, path: str, data: bytes, user: str = SUPERUSER,
           **params: object) -> requests.Response:
    """CREATE (or APPEND, with op=APPEND) in its two steps; the datanode's answer."""
    op = str(params.pop("op", "CREATE"))
    method = "POST" if op == "APPEND" else "PUT"
    reply = site.call(method, path, op, user=user, **params)
    assert reply.status_code == 307, reply.text
    return requests.request(method, reply.headers["Location"], data=data, timeout=30)


def set_quota(site: Site, path: str, user: str = SUPERUSER, **params: object
              ) -> requests.Response:
    return site.call("PUT", path, "SETQUOTA", user=user, **params)


def usage(site: Site, path: str) -> dict:
    reply = site.call("GET", path, "GETQUOTAUSAGE")
    assert reply.status_code == 200, reply.text
    return reply.json()["QuotaUsage"]


def ns_exceeded(path: str, quota: int, count: int) -> tuple[int, str, str]:
    return (403, "NSQuotaExceededException", "The NameSpace quota (directories and files) "
            f"of directory {path} is exceeded: quota={quota} file count={count}")


def ds_exceeded(path: str, quota: str, consumed: str) -> tuple[int, str, str]:
    return (403, "DSQuotaExceededException",
            f"The DiskSpace quota of {path} is exceeded: quota = {quota} but diskspace "
            f"consumed = {consumed}")


def test_quota_usage_of_a_directory_with_quotas(client: InsecureClient, site_a: Site,
                                                base: str) -> None:
    """The count includes the directory itself; space is bytes times replication; a
    storage type's consumption is what the policy (HOT: DISK) puts there."""
    q = f"{base}/q"
    client.write(f"{q}/a", data=b"12345")
    client.write(f"{q}/d/b", data=b"123", replication=2)
    assert set_quota(site_a, q, namespacequota=100, storagespacequota=10 * MB).status_code == 200
    reply = site_a.call("PUT", q, "SETQUOTABYSTORAGETYPE", storagetype="disk",
                        storagespacequota=5 * MB)
    assert (reply.status_code, reply.text) == (200, "")
    site_a.call("PUT", q, "SETQUOTABYSTORAGETYPE", storagetype="SSD", storagespacequota=MB)
    assert usage(site_a, q) == {
        "fileAndDirectoryCount": 4, "quota": 100, "spaceConsumed": 21, "spaceQuota": 10 * MB,
        "typeQuota": {"DISK": {"consumed": 21, "quota": 5 * MB},
                      "SSD": {"consumed": 0, "quota": MB}}}
    summary = client.content(q)
    assert (summary["quota"], summary["spaceQuota"], summary["spaceConsumed"]) == (
        100, 10 * MB, 21)
    assert summary["typeQuota"] == usage(site_a, q)["typeQuota"]
    assert "fileAndDirectoryCount" not in summary


def test_quotas_are_changed_one_at_a_time_and_cleared(site_a: Site, base: str) -> None:
    q = f"{base}/q"
    site_a.call("PUT", q, "MKDIRS")
    set_quota(site_a, q, namespacequota=7)
    set_quota(site_a, q, storagespacequota=4096)
    assert (usage(site_a, q)["quota"], usage(site_a, q)["spaceQuota"]) == (7, 4096)
    set_quota(site_a, q, namespacequota=-1)
    assert (usage(site_a, q)["quota"], usage(site_a, q)["spaceQuota"]) == (-1, 4096)
    site_a.call("PUT", q, "SETQUOTABYSTORAGETYPE", storagetype="ARCHIVE", storagespacequota=9)
    site_a.call("PUT", q, "SETQUOTABYSTORAGETYPE", storagetype="ARCHIVE", storagespacequota=-1)
    set_quota(site_a, q, storagespacequota=-1)
    assert usage(site_a, q) == {"fileAndDirectoryCount": 1, "quota": -1, "spaceConsumed": 0,
                                "spaceQuota": -1, "typeQuota": {}}


def test_quota_usage_without_a_quota_falls_back_to_the_content_summary(
        client: InsecureClient, site_a: Site, base: str) -> None:
    client.write(f"{base}/d/f", data=b"abc")
    assert usage(site_a, f"{base}/d") == {"fileAndDirectoryCount": 2, "quota": -1,
                                          "spaceConsumed": 9, "spaceQuota": -1,
                                          "typeQuota": {}}
    assert usage(site_a, f"{base}/d/f")["fileAndDirectoryCount"] == 1
    reply = site_a.call("GET", f"{base}/nope", "GETQUOTAUSAGE")
    assert refusal(reply) == (404, "FileNotFoundException",
                              f"File/Directory does not exist: {base}/nope")


def test_the_root_always_has_a_namespace_quota(site_a: Site) -> None:
    """HDFS's root carries the quota feature with quota Long.MAX_VALUE and no space quota."""
    root = usage(site_a, "/")
    assert (root["quota"], root["spaceQuota"]) == (LONG_MAX, -1)
    summary = site_a.call("GET", "/", "GETCONTENTSUMMARY").json()["ContentSummary"]
    assert (summary["quota"], summary["spaceQuota"]) == (LONG_MAX, -1)


def test_only_the_superuser_sets_quotas(site_a: Site, base: str) -> None:
    """The refusal names the quota command, as FSDirAttrOp.getQuotaCommand does."""
    q = f"{base}/q"
    site_a.call("PUT", q, "MKDIRS", permission="777")
    set_quota(site_a, q, namespacequota=9, storagespacequota=900)
    denied = "Access denied for user alice. Superuser privilege is required for operation "
    for params, command in (({"namespacequota": 5}, "setQuota"),
                            ({"namespacequota": 5, "storagespacequota": 5}, "setSpaceQuota"),
                            ({"namespacequota": -1}, "clearQuota"),
                            ({"storagespacequota": -1}, "clearSpaceQuota")):
        assert refusal(set_quota(site_a, q, user="alice", **params)) == (
            403, "AccessControlException", denied + command)
    reply = site_a.call("PUT", q, "SETQUOTABYSTORAGETYPE", user="alice", storagetype="DISK",
                        storagespacequota=5)
    assert refusal(reply) == (403, "AccessControlException", denied + "setSpaceQuota")
    assert usage(site_a, q)["quota"] == 9
    assert (usage(site_a, q)["spaceQuota"], usage(site_a, q)["typeQuota"]) == (900, {})


def test_set_quota_refusals(client: InsecureClient, site_a: Site, base: str) -> None:
    client.write(f"{base}/f", data=b"x")
    assert refusal(set_quota(site_a, f"{base}/f", namespacequota=5)) == (
        403, "PathIsNotDirectoryException", f"`{base}/f': Is not a directory")
    assert refusal(set_quota(site_a, f"{base}/nope", namespacequota=5)) == (
        404, "FileNotFoundException", f"Directory does not exist: {base}/nope")
    assert refusal(set_quota(site_a, base, namespacequota=-2)) == (
        400, "IllegalArgumentException", 'Invalid value for webhdfs parameter '
        '"namespacequota": Invalid parameter range: namespacequota = -2 < -1')
    assert refusal(set_quota(site_a, base, storagespacequota=-5)) == (
        400, "IllegalArgumentException", 'Invalid value for webhdfs parameter '
        '"storagespacequota": Invalid parameter range: storagespacequota = -5 < -1')
    reply = site_a.call("PUT", base, "SETQUOTABYSTORAGETYPE", storagespacequota=5)
    assert refusal(reply) == (400, "IllegalArgumentException", "Required param storagetype "
                              "for op: SETQUOTABYSTORAGETYPE is null or empty")
    assert usage(site_a, base)["quota"] == -1


def test_an_unknown_storage_type_is_javas_enum_error(site_a: Site, base: str) -> None:
    """StorageType.parseStorageType upper-cases the name and lets valueOf's
    IllegalArgumentException through, without the webhdfs parameter prefix."""
    reply = site_a.call("PUT", base, "SETQUOTABYSTORAGETYPE", storagetype="tape",
                        storagespacequota=5)
    assert reply.status_code == 400
    assert reply.json()["RemoteException"] == {
        "exception": "IllegalArgumentException",
        "javaClassName": "java.lang.IllegalArgumentException",
        "message": "No enum constant org.apache.hadoop.fs.StorageType.TAPE"}


def test_a_namespace_quota_of_zero_is_accepted(site_a: Site, base: str) -> None:
    """The server accepts 0 (only Hadoop's Java client refuses it): nothing more fits."""
    q = f"{base}/q"
    site_a.call("PUT", q, "MKDIRS")
    assert set_quota(site_a, q, namespacequota=0).status_code == 200
    assert usage(site_a, q)["quota"] == 0
    assert refusal(site_a.call("PUT", f"{q}/d", "MKDIRS")) == ns_exceeded(q, 0, 2)


def test_namespace_quota_refuses_mkdirs_create_and_rename(client: InsecureClient,
                                                          site_a: Site, base: str) -> None:
    q = f"{base}/q"
    client.write(f"{q}/f", data=b"x")
    client.write(f"{base}/outside/g", data=b"g")
    set_quota(site_a, q, namespacequota=3)
    site_a.call("PUT", f"{q}/d", "MKDIRS")
    assert refusal(site_a.call("PUT", f"{q}/e", "MKDIRS")) == ns_exceeded(q, 3, 4)
    assert refusal(upload(site_a, f"{q}/new", b"data")) == ns_exceeded(q, 3, 4)
    reply = site_a.call("PUT", f"{base}/outside", "RENAME", destination=f"{q}/moved")
    assert refusal(reply) == ns_exceeded(q, 3, 5)
    assert sorted(client.list(q)) == ["d", "f"]
    assert client.list(f"{base}/outside") == ["g"]
    assert usage(site_a, q)["fileAndDirectoryCount"] == 3
    # Moves within the quota directory and overwrites do not add to it.
    reply = site_a.call("PUT", f"{q}/f", "RENAME", destination=f"{q}/d/f")
    assert reply.json() == {"boolean": True}
    assert upload(site_a, f"{q}/d/f", b"yy", overwrite="true").status_code == 201


def test_the_deepest_exceeded_quota_is_reported(client: InsecureClient, site_a: Site,
                                                base: str) -> None:
    """FSDirectory.verifyQuota walks from the parent up to the root."""
    outer, inner = f"{base}/outer", f"{base}/outer/inner"
    site_a.call("PUT", inner, "MKDIRS")
    set_quota(site_a, outer, namespacequota=2)
    set_quota(site_a, inner, namespacequota=1)
    assert refusal(site_a.call("PUT", f"{inner}/x", "MKDIRS")) == ns_exceeded(inner, 1, 2)
    assert client.list(inner) == []


def test_mkdirs_creates_parents_one_by_one_until_the_quota_stops_it(
        client: InsecureClient, site_a: Site, base: str) -> None:
    """HDFS makes a path's missing directories one at a time (each its own edit): the
    first one beyond the quota is refused and the ones before it stay."""
    q = f"{base}/q"
    site_a.call("PUT", q, "MKDIRS")
    set_quota(site_a, q, namespacequota=3)
    assert refusal(site_a.call("PUT", f"{q}/a/b/c/d", "MKDIRS")) == ns_exceeded(q, 3, 4)
    assert client.list(q) == ["a"]
    assert client.list(f"{q}/a") == ["b"]
    assert client.list(f"{q}/a/b") == []


def test_space_quota_refuses_a_block_beyond_it(client: InsecureClient, site_a: Site,
                                               base: str) -> None:
    q = f"{base}/q"
    site_a.call("PUT", q, "MKDIRS")
    set_quota(site_a, q, storagespacequota=2 * MB)
    reply = upload(site_a, f"{q}/big", b"x" * MB, blocksize=MB, replication=3)
    assert refusal(reply) == ds_exceeded(q, "2097152 B = 2 MB", "3145728 B = 3 MB")
    assert client.content(q)["length"] == 0
    assert usage(site_a, q)["spaceConsumed"] == 0
    assert upload(site_a, f"{q}/fits", b"x" * MB, blocksize=MB, replication=2
                  ).status_code == 201
    assert usage(site_a, q)["spaceConsumed"] == 2 * MB


def test_space_quota_charges_a_whole_block_while_it_is_written(site_a: Site,
                                                               base: str) -> None:
    """A block being written is charged its preferred size times the replication, so
    even a small file needs that much room."""
    q = f"{base}/q"
    site_a.call("PUT", q, "MKDIRS")
    set_quota(site_a, q, storagespacequota=1000)
    reply = upload(site_a, f"{q}/small", b"x" * 10, blocksize=MB, replication=1)
    assert refusal(reply) == ds_exceeded(q, "1000 B = 1000 B", "1048576 B = 1 MB")
    assert usage(site_a, q)["spaceConsumed"] == 0


def test_space_quota_refuses_an_append_beyond_it(client: InsecureClient, site_a: Site,
                                                 base: str) -> None:
    """The file's last block is full, so the append needs a new one."""
    q = f"{base}/q"
    site_a.call("PUT", q, "MKDIRS")
    assert upload(site_a, f"{q}/log", b"a" * MB, blocksize=MB, replication=1
                  ).status_code == 201
    set_quota(site_a, q, storagespacequota=MB + MB // 2)
    reply = upload(site_a, f"{q}/log", b"b" * MB, op="APPEND")
    assert refusal(reply) == ds_exceeded(q, "1572864 B = 1.50 MB", "2097152 B = 2 MB")
    with client.read(f"{q}/log") as reader:
        assert reader.read() == b"a" * MB


def test_space_quota_refuses_more_replicas(client: InsecureClient, site_a: Site,
                                           base: str) -> None:
    q = f"{base}/q"
    site_a.call("PUT", q, "MKDIRS")
    upload(site_a, f"{q}/f", b"x" * MB, blocksize=MB, replication=1)
    set_quota(site_a, q, storagespacequota=2 * MB)
    reply = site_a.call("PUT", f"{q}/f", "SETREPLICATION", replication=3)
    assert refusal(reply) == ds_exceeded(q, "2097152 B = 2 MB", "3145728 B = 3 MB")
    assert client.status(f"{q}/f")["replication"] == 1
    assert site_a.call("PUT", f"{q}/f", "SETREPLICATION", replication=2).json() == {
        "boolean": True}


def test_space_quota_refuses_a_concat_that_raises_replication(client: InsecureClient,
                                                              site_a: Site,
                                                              base: str) -> None:
    """The sources' blocks take the target's replication (3 instead of 1)."""
    q = f"{base}/q"
    upload(site_a, f"{q}/t", b"t", blocksize=MB, replication=3)
    upload(site_a, f"{q}/s", b"s" * MB, blocksize=MB, replication=1)
    set_quota(site_a, q, storagespacequota=2 * MB)
    reply = site_a.call("POST", f"{q}/t", "CONCAT", sources=f"{q}/s")
    assert refusal(reply) == ds_exceeded(q, "2097152 B = 2 MB", "3145731 B = 3.00 MB")
    assert sorted(client.list(q)) == ["s", "t"]
    assert (client.status(f"{q}/t")["length"], client.status(f"{q}/s")["length"]) == (1, MB)


def test_storage_type_quota(client: InsecureClient, site_a: Site, base: str) -> None:
    """HOT puts every replica on DISK; the message gives sizes only in binary units."""
    q = f"{base}/q"
    site_a.call("PUT", q, "MKDIRS")
    site_a.call("PUT", q, "SETQUOTABYSTORAGETYPE", storagetype="DISK", storagespacequota=MB)
    reply = upload(site_a, f"{q}/f", b"x" * MB, blocksize=MB, replication=3)
    assert refusal(reply) == (
        403, "QuotaByStorageTypeExceededException", f"Quota by storage type : DISK on path : "
        f"{q} is exceeded. quota = 1 MB but space consumed = 3 MB")
    assert client.content(q)["length"] == 0


def test_a_type_quota_counts_only_what_the_policy_places_there(client: InsecureClient,
                                                               site_a: Site,
                                                               base: str) -> None:
    """ONE_SSD puts one replica on SSD and the rest on DISK."""
    q = f"{base}/q"
    site_a.call("PUT", q, "MKDIRS")
    site_a.call("PUT", q, "SETSTORAGEPOLICY", storagepolicy="ONE_SSD")
    site_a.call("PUT", q, "SETQUOTABYSTORAGETYPE", storagetype="SSD", storagespacequota=MB)
    assert upload(site_a, f"{q}/f", b"x" * MB, blocksize=MB, replication=3).status_code == 201
    assert usage(site_a, q)["typeQuota"] == {"SSD": {"consumed": MB, "quota": MB}}
    reply = upload(site_a, f"{q}/g", b"y" * MB, blocksize=MB, replication=3)
    assert refusal(reply) == (
        403, "QuotaByStorageTypeExceededException", f"Quota by storage type : SSD on path : "
        f"{q} is exceeded. quota = 1 MB but space consumed = 2 MB")
    assert usage(site_a, q)["typeQuota"] == {"SSD": {"consumed": MB, "quota": MB}}
    assert client.content(q)["length"] == MB
