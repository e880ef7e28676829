"""Extended attributes (SETXATTR, GETXATTRS, LISTXATTRS, REMOVEXATTR) as HDFS keeps them:
names with a namespace prefix, values encoded as text, hex or base64, per-namespace
permissions, and a copy in every snapshot."""

import json

import requests
from hdfs import InsecureClient

from tests.webhdfs.conftest import SUPERUSER, Site, refusal

UNREADABLE = "security.hdfs.unreadable.by.superuser"
NAME_RULE = ("An XAttr name must be prefixed with user/trusted/security/system/raw, "
             "followed by a '.'")




def set_xattr(site: Site, path: str, name: str, value: str | None = None,
              flag: str = "CREATE", user: str = SUPERUSER) -> requests.Response:
    params: dict[str, str] = {"xattr.name": name, "flag": flag}
    if value is not None:
        params["xattr.value"] = value
    return site.call("PUT", path, "SETXATTR", user=user, **params)


def get_xattrs(site: Site, path: str, *names: str, encoding: str = "TEXT",
               user: str = SUPERUSER) -> requests.Response:
    return site.call("GET", path, "GETXATTRS", user=user, encoding=encoding,
                     **{"xattr.name": list(names)})


def xattrs(site: Site, path: str, encoding: str = "TEXT", user: str = SUPERUSER
           ) -> dict[str, str | None]:
    """All the xattrs a user sees, as a map (their order is HDFS's storage order)."""
    reply = get_xattrs(site, path, encoding=encoding, user=user)
    assert reply.status_code == 200, reply.text
    return {entry["name"]: entry["value"] for entry in reply.json()["XAttrs"]}


def names(site: Site, path: str, user: str = SUPERUSER) -> list[str]:
    """LISTXATTRS: a JSON array inside a JSON string."""
    reply = site.call("GET", path, "LISTXATTRS", user=user)
    assert reply.status_code == 200, reply.text
    return json.loads(reply.json()["XAttrNames"])


def test_values_round_trip_in_every_encoding(site_a: Site, base: str) -> None:
    """A value may be sent as quoted text, bare text, hex or base64, and read back in any
    encoding; an empty value is kept as no value (null)."""
    site_a.client().write(f"{base}/f", data=b"")
    path = f"{base}/f"
    for name, value in (("user.quoted", '"hello"'), ("user.bare", "hello"),
                        ("user.hex", "0x68656c6c6f"), ("user.b64", "0saGVsbG8="),
                        ("user.empty", None)):
        assert set_xattr(site_a, path, name, value).status_code == 200
    assert xattrs(site_a, path) == {
        "user.quoted": '"hello"', "user.bare": '"hello"', "user.hex": '"hello"',
        "user.b64": '"hello"', "user.empty": None}
    assert xattrs(site_a, path, "HEX")["user.hex"] == "0x68656c6c6f"
    assert xattrs(site_a, path, "base64")["user.hex"] == "0saGVsbG8="
    assert sorted(names(site_a, path)) == [
        "user.b64", "user.bare", "user.empty", "user.hex", "user.quoted"]


def test_a_new_inode_has_none(site_a: Site, base: str) -> None:
    site_a.client().makedirs(f"{base}/d")
    assert site_a.call("GET", f"{base}/d", "GETXATTRS", encoding="TEXT").json() == {
        "XAttrs": []}
    assert site_a.call("GET", f"{base}/d", "LISTXATTRS").json() == {"XAttrNames": "[]"}


def test_replace_and_remove(site_a: Site, base: str) -> None:
    path = f"{base}/f"
    site_a.client().write(path, data=b"")
    set_xattr(site_a, path, "user.a", "one")
    assert set_xattr(site_a, path, "user.a", "two", flag="REPLACE").status_code == 200
    assert set_xattr(site_a, path, "user.a", "three", flag="create,replace").status_code == 200
    assert xattrs(site_a, path) == {"user.a": '"three"'}
    reply = site_a.call("PUT", path, "REMOVEXATTR", **{"xattr.name": "user.a"})
    assert (reply.status_code, reply.text) == (200, "")
    assert names(site_a, path) == []


def test_named_lookup_follows_the_order_asked(site_a: Site, base: str) -> None:
    """With names given, GETXATTRS answers in the order of the request (Hadoop's client
    reads them positionally for getXAttr)."""
    path = f"{base}/f"
    site_a.client().write(path, data=b"")
    for name in ("user.a", "user.b", "user.c"):
        set_xattr(site_a, path, name, name[-1])
    reply = get_xattrs(site_a, path, "user.c", "user.a")
    assert reply.json() == {"XAttrs": [{"name": "user.c", "value": '"c"'},
                                       {"name": "user.a", "value": '"a"'}]}


def test_the_namespace_prefix_is_case_insensitive_the_rest_is_not(site_a: Site,
                                                                  base: str) -> None:
    path = f"{base}/f"
    site_a.client().write(path, data=b"")
    set_xattr(site_a, path, "USER.Mixed", "v")
    assert names(site_a, path) == ["user.Mixed"]
    assert get_xattrs(site_a, path, "User.Mixed").json() == {
        "XAttrs": [{"name": "user.Mixed", "value": '"v"'}]}
    reply = get_xattrs(site_a, path, "user.mixed")
    assert refusal(reply) == (403, "XAttrNotFoundException",
                              "At least one of the attributes provided was not found.")
    assert reply.json()["RemoteException"]["javaClassName"] == (
        "org.apache.hadoop.hdfs.protocol.XAttrNotFoundException")


def test_create_and_replace_flags_are_enforced(site_a: Site, base: str) -> None:
    """The message names the attribute without its namespace (XAttrSetFlag.validate)."""
    path = f"{base}/f"
    site_a.client().write(path, data=b"")
    set_xattr(site_a, path, "user.a", "kept")
    assert refusal(set_xattr(site_a, path, "user.a", "lost")) == (
        403, "IOException", "XAttr: a already exists. The REPLACE flag must be specified.")
    assert refusal(set_xattr(site_a, path, "user.b", "new", flag="REPLACE")) == (
        403, "IOException", "XAttr: b does not exist. The CREATE flag must be specified.")
    assert xattrs(site_a, path) == {"user.a": '"kept"'}


def test_the_flag_parameter_is_required_and_parsed_as_an_enum_set(site_a: Site,
                                                                  base: str) -> None:
    path = f"{base}/f"
    site_a.client().write(path, data=b"")
    reply = site_a.call("PUT", path, "SETXATTR", **{"xattr.name": "user.a"})
    assert refusal(reply) == (400, "IllegalArgumentException",
                              "Required param flag for op: SETXATTR is null or empty")
    assert refusal(set_xattr(site_a, path, "user.a", "v", flag="bogus")) == (
        400, "IllegalArgumentException", 'Invalid value for webhdfs parameter "flag": '
        "No enum constant org.apache.hadoop.fs.XAttrSetFlag.BOGUS")
    assert names(site_a, path) == []


def test_the_encoding_parameter_is_required_and_parsed_as_an_enum(site_a: Site,
                                                                  base: str) -> None:
    path = f"{base}/f"
    site_a.client().write(path, data=b"")
    assert refusal(site_a.call("GET", path, "GETXATTRS")) == (
        400, "IllegalArgumentException",
        "Required param encoding for op: GETXATTRS is null or empty")
    assert refusal(site_a.call("GET", path, "GETXATTRS", encoding="octal")) == (
        400, "IllegalArgumentException", 'Invalid value for webhdfs parameter "encoding": '
        "No enum constant org.apache.hadoop.fs.XAttrCodec.OCTAL")


def test_names_must_carry_a_known_namespace(site_a: Site, base: str) -> None:
    path = f"{base}/f"
    site_a.client().write(path, data=b"")
    for bad in ("nope.x", "ab.x", "user", ".x"):
        assert refusal(set_xattr(site_a, path, bad, "v")) == (
            400, "HadoopIllegalArgumentException", NAME_RULE), bad
    assert refusal(set_xattr(site_a, path, "user.", "v")) == (
        400, "HadoopIllegalArgumentException", "XAttr name cannot be empty.")
    reply = site_a.call("PUT", path, "REMOVEXATTR")
    assert refusal(reply) == (400, "IllegalArgumentException",
                              "Required param xattr.name for op: REMOVEXATTR is null or empty")
    assert names(site_a, path) == []


def test_an_empty_name_is_found_before_an_unknown_prefix(site_a: Site, base: str) -> None:
    """XAttrHelper.buildXAttr checks where the dot is before it looks at the prefix."""
    site_a.client().write(f"{base}/f", data=b"")
    assert refusal(set_xattr(site_a, f"{base}/f", "foo.", "v")) == (
        400, "HadoopIllegalArgumentException", "XAttr name cannot be empty.")


def test_a_malformed_hex_value_is_an_io_exception(site_a: Site, base: str) -> None:
    """XAttrCodec wraps commons-codec's DecoderException in an IOException: 403."""
    site_a.client().write(f"{base}/f", data=b"")
    assert refusal(set_xattr(site_a, f"{base}/f", "user.a", "0x123")) == (
        403, "IOException", "org.apache.commons.codec.DecoderException: "
        "Odd number of characters.")
    assert names(site_a, f"{base}/f") == []


def test_size_limit_counts_the_name_without_its_prefix_and_the_value(site_a: Site,
                                                                     base: str) -> None:
    """16384 bytes of name (without `user.`) and value is the most an xattr may hold."""
    path = f"{base}/f"
    site_a.client().write(path, data=b"")
    reply = set_xattr(site_a, path, "user.n", "0s" + "A" * 21848)  # 16386 bytes
    assert refusal(reply) == (
        400, "HadoopIllegalArgumentException", "The XAttr is too big. The maximum combined "
        "size of the name and value is 16384, but the total size is 16387")
    assert names(site_a, path) == []


def test_a_large_value_sent_as_hex_like_hadoops_client(site_a: Site, base: str) -> None:
    """Hadoop's client always hex-encodes the value: a 10000-byte value is a 20002-character
    parameter, well within Hadoop's request header limit (64 KiB)."""
    path = f"{base}/f"
    site_a.client().write(path, data=b"")
    value = bytes(range(256)) * 39 + bytes(16)  # 10000 bytes
    reply = set_xattr(site_a, path, "user.big", "0x" + value.hex())
    assert reply.status_code == 200, reply.text
    assert xattrs(site_a, path, "HEX") == {"user.big": "0x" + value.hex()}


def test_at_most_32_user_visible_xattrs_per_inode(site_a: Site, base: str) -> None:
    path = f"{base}/f"
    site_a.client().write(path, data=b"")
    for index in range(31):
        assert set_xattr(site_a, path, f"user.x{index}", "v").status_code == 200
    assert set_xattr(site_a, path, "trusted.t", "v").status_code == 200
    assert refusal(set_xattr(site_a, path, "user.one-more", "v")) == (
        403, "IOException", "Cannot add additional XAttr to inode, would exceed limit of 32")
    assert set_xattr(site_a, path, "user.x0", "w", flag="REPLACE").status_code == 200
    assert len(names(site_a, path)) == 32
    assert "user.one-more" not in names(site_a, path)


def test_namespace_permissions(site_a: Site, base: str) -> None:
    """user: anyone with the file's permission; trusted: the superuser only, hidden from
    others; system and other security names: nobody."""
    path = f"{base}/f"
    site_a.client().write(path, data=b"", permission="666")
    assert set_xattr(site_a, path, "trusted.t", "secret").status_code == 200
    set_xattr(site_a, path, "user.u", "open")
    assert xattrs(site_a, path, user="alice") == {"user.u": '"open"'}
    assert names(site_a, path, user="alice") == ["user.u"]
    assert sorted(names(site_a, path)) == ["trusted.t", "user.u"]
    denied = "User doesn't have permission for xattr: "
    assert refusal(get_xattrs(site_a, path, "trusted.t", user="alice")) == (
        403, "AccessControlException", denied + "trusted.t")
    assert refusal(set_xattr(site_a, path, "trusted.x", "v", user="alice")) == (
        403, "AccessControlException", denied + "trusted.x")
    reply = site_a.call("PUT", path, "REMOVEXATTR", user="alice", **{"xattr.name": "trusted.t"})
    assert refusal(reply) == (403, "AccessControlException", denied + "trusted.t")
    for name in ("system.x", "security.x", "raw.x"):
        assert refusal(set_xattr(site_a, path, name, "v")) == (
            403, "AccessControlException", denied + name)
    assert sorted(names(site_a, path)) == ["trusted.t", "user.u"]


def test_user_xattrs_follow_the_file_permission(site_a: Site, base: str) -> None:
    """Get needs READ, set and remove need WRITE on the inode itself."""
    path = f"{base}/f"
    site_a.client().write(path, data=b"", permission="600")
    set_xattr(site_a, path, "user.a", "v")
    inode = f'inode="{path}":{SUPERUSER}:supergroup:-rw-------'
    for reply, access in (
        (get_xattrs(site_a, path, user="bob"), "READ"),
        (get_xattrs(site_a, path, "user.a", user="bob"), "READ"),
        (set_xattr(site_a, path, "user.b", "v", user="bob"), "WRITE"),
        (site_a.call("PUT", path, "REMOVEXATTR", user="bob", **{"xattr.name": "user.a"}),
         "WRITE"),
    ):
        assert refusal(reply) == (403, "AccessControlException",
                                  f"Permission denied: user=bob, access={access}, {inode}")
    assert xattrs(site_a, path) == {"user.a": '"v"'}


def test_listing_names_needs_read_on_the_inode(site_a: Site, base: str) -> None:
    """Hadoop 3 (FSDirXAttrOp.listXAttrs) checks READ on the path, as getXAttrs does."""
    path = f"{base}/f"
    site_a.client().write(path, data=b"", permission="600")
    set_xattr(site_a, path, "user.a", "v")
    assert refusal(site_a.call("GET", path, "LISTXATTRS", user="bob")) == (
        403, "AccessControlException", f'Permission denied: user=bob, access=READ, '
        f'inode="{path}":{SUPERUSER}:supergroup:-rw-------')


def test_a_sticky_directory_takes_user_xattrs_from_its_owner_only(site_a: Site,
                                                                  base: str) -> None:
    """Even with write permission, only the owner (or the superuser) of a sticky
    directory changes its user xattrs: FSDirectory.checkOwner's refusal."""
    path = f"{base}/sticky"
    site_a.call("PUT", path, "MKDIRS", permission="1777")
    assert set_xattr(site_a, path, "user.own", "v").status_code == 200
    assert refusal(set_xattr(site_a, path, "user.b", "v", user="bob")) == (
        403, "AccessControlException",
        f"Permission denied. user=bob is not the owner of inode={path}")
    site_a.call("PUT", path, "SETOWNER", owner="bob")
    assert set_xattr(site_a, path, "user.b", "v", user="bob").status_code == 200
    assert sorted(names(site_a, path)) == ["user.b", "user.own"]


def test_missing_paths(site_a: Site, base: str) -> None:
    missing = f"{base}/nope"
    expected = (404, "FileNotFoundException", f"cannot find {missing}")
    assert refusal(set_xattr(site_a, missing, "user.a", "v")) == expected
    assert refusal(get_xattrs(site_a, missing)) == expected
    assert refusal(site_a.call("GET", missing, "LISTXATTRS")) == expected
    reply = site_a.call("PUT", missing, "REMOVEXATTR", **{"xattr.name": "user.a"})
    assert refusal(reply) == expected


def test_removing_an_absent_xattr(site_a: Site, base: str) -> None:
    site_a.client().write(f"{base}/f", data=b"")
    set_xattr(site_a, f"{base}/f", "user.keep", "v")
    reply = site_a.call("PUT", f"{base}/f", "REMOVEXATTR", **{"xattr.name": "user.gone"})
    assert refusal(reply) == (403, "IOException",
                              "No matching attributes found for remove operation")
    assert names(site_a, f"{base}/f") == ["user.keep"]


def test_unreadable_by_superuser_marker(site_a: Site, base: str) -> None:
    """The one security xattr a client may set: on a file, without a value, for good."""
    site_a.client().write(f"{base}/f", data=b"")
    site_a.client().makedirs(f"{base}/d")
    assert refusal(set_xattr(site_a, f"{base}/f", UNREADABLE, "0x01")) == (
        403, "AccessControlException", f"Attempt to set a value for '{UNREADABLE}'. "
        "Values are not allowed for this xattr.")
    assert refusal(set_xattr(site_a, f"{base}/d", UNREADABLE)) == (
        403, "IOException", f"Can only set '{UNREADABLE}' on a file.")
    assert names(site_a, f"{base}/d") == []
    assert set_xattr(site_a, f"{base}/f", UNREADABLE).status_code == 200
    assert names(site_a, f"{base}/f", user="alice") == [UNREADABLE]
    reply = site_a.call("PUT", f"{base}/f", "REMOVEXATTR", **{"xattr.name": UNREADABLE})
    assert refusal(reply) == (403, "AccessControlException",
                              f"The xattr '{UNREADABLE}' can not be deleted.")
    assert names(site_a, f"{base}/f") == [UNREADABLE]


def test_xattrs_follow_the_inode(client: InsecureClient, site_a: Site, base: str) -> None:
    """Kept across a rename, gone with an overwrite (a new inode)."""
    client.write(f"{base}/f", data=b"")
    set_xattr(site_a, f"{base}/f", "user.a", "v")
    client.rename(f"{base}/f", f"{base}/g")
    assert xattrs(site_a, f"{base}/g") == {"user.a": '"v"'}
    client.write(f"{base}/g", data=b"new", overwrite=True)
    assert names(site_a, f"{base}/g") == []


def test_snapshots_keep_the_xattrs_they_were_taken_with(client: InsecureClient, site_a: Site,
                                                        base: str) -> None:
    root = f"{base}/snap"
    client.write(f"{root}/f", data=b"x")
    set_xattr(site_a, f"{root}/f", "user.a", "before")
    set_xattr(site_a, root, "user.dir", "before")
    client.allow_snapshot(root)
    client.create_snapshot(root, "s1")
    set_xattr(site_a, f"{root}/f", "user.a", "after", flag="REPLACE")
    set_xattr(site_a, f"{root}/f", "user.b", "added")
    site_a.call("PUT", root, "REMOVEXATTR", **{"xattr.name": "user.dir"})
    assert xattrs(site_a, f"{root}/.snapshot/s1/f") == {"user.a": '"before"'}
    assert names(site_a, f"{root}/.snapshot/s1/f") == ["user.a"]
    assert xattrs(site_a, f"{root}/.snapshot/s1") == {"user.dir": '"before"'}
    assert xattrs(site_a, f"{root}/f") == {"user.a": '"after"', "user.b": '"added"'}
    assert names(site_a, root) == []
    reply = set_xattr(site_a, f"{root}/.snapshot/s1/f", "user.c", "v")
    assert refusal(reply) == (403, "SnapshotAccessControlException",
                              "Modification on a read-only snapshot is disallowed")
    diff = site_a.call("GET", root, "GETSNAPSHOTDIFF", oldsnapshotname="s1",
                       snapshotname="").json()["SnapshotDiffReport"]["diffList"]
    assert sorted((e["type"], e["sourcePath"]) for e in diff) == [
        ("MODIFY", ""), ("MODIFY", "f")]
