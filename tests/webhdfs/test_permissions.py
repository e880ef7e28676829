"""Permission checks: owner, group, mode bits, ACLs and the superuser."""

import re

import pytest
from hdfs import HdfsError, InsecureClient

from tests.webhdfs.conftest import Site


def denied(action) -> HdfsError:
    with pytest.raises(HdfsError) as refused:
        action()
    assert refused.value.exception == "AccessControlException", refused.value.message
    return refused.value


def read(client: InsecureClient, path: str) -> bytes:
    with client.read(path) as reader:
        return reader.read()


@pytest.fixture
def owned(site_a: Site, base: str) -> str:
    """A 755 directory owned by the superuser with a 644 and a 600 file."""
    client = site_a.client()
    client.makedirs(f"{base}/owned", permission="755")
    client.write(f"{base}/owned/public", data=b"public")
    client.write(f"{base}/owned/secret", data=b"secret", permission="600")
    return f"{base}/owned"


def test_others_read_by_mode_and_cannot_write(site_a: Site, owned: str) -> None:
    alice = site_a.client("alice")
    assert read(alice, f"{owned}/public") == b"public"
    error = denied(lambda: read(alice, f"{owned}/secret"))
    assert error.message == (f'Permission denied: user=alice, access=READ, inode="{owned}/secret"'
                             ":lockstep:supergroup:-rw-------")
    denied(lambda: alice.write(f"{owned}/new", data=b"x"))
    denied(lambda: alice.makedirs(f"{owned}/sub"))
    denied(lambda: alice.delete(f"{owned}/public"))
    denied(lambda: alice.rename(f"{owned}/public", f"{owned}/renamed"))
    denied(lambda: alice.write(f"{owned}/public", data=b"x", append=True))


def test_traverse_needs_execute_on_every_ancestor(site_a: Site, owned: str) -> None:
    site_a.client().set_permission(owned, "700")
    alice = site_a.client("alice")
    error = denied(lambda: alice.status(f"{owned}/public"))
    assert "access=EXECUTE" in error.message
    denied(lambda: alice.list(owned))


def test_listing_needs_read_on_the_directory(site_a: Site, owned: str) -> None:
    site_a.client().set_permission(owned, "711")
    alice = site_a.client("alice")
    assert alice.status(f"{owned}/public")["length"] == 6
    denied(lambda: alice.list(owned))


def test_group_members_use_the_group_bits(site_a: Site, base: str) -> None:
    admin = site_a.client()
    admin.makedirs(f"{base}/team", permission="770")
    admin.set_owner(f"{base}/team", owner="bob", group="analysts")
    site_a.client("carol").write(f"{base}/team/by-carol", data=b"c")
    assert site_a.client("bob").status(f"{base}/team/by-carol")["group"] == "analysts"
    denied(lambda: site_a.client("dave").list(f"{base}/team"))


def test_only_the_owner_changes_mode_and_only_the_superuser_gives_away(site_a: Site,
                                                                      base: str) -> None:
    admin = site_a.client()
    admin.write(f"{base}/f", data=b"x")
    admin.set_owner(f"{base}/f", owner="alice", group="supergroup")
    alice, bob = site_a.client("alice"), site_a.client("bob")
    alice.set_permission(f"{base}/f", "600")
    denied(lambda: bob.set_permission(f"{base}/f", "777"))
    denied(lambda: alice.set_owner(f"{base}/f", owner="bob"))
    denied(lambda: alice.set_owner(f"{base}/f", group="engineers"))
    alice.set_owner(f"{base}/f", group="analysts")
    assert admin.status(f"{base}/f")["group"] == "analysts"


def test_named_user_acl_grants_within_the_mask(site_a: Site, owned: str) -> None:
    admin, alice = site_a.client(), site_a.client("alice")
    admin.set_acl(f"{owned}/secret", "user:alice:rw-", clear=False)
    status = admin.acl_status(f"{owned}/secret")
    assert status == {"entries": ["user:alice:rw-", "group::---"], "group": "supergroup",
                      "owner": "lockstep", "permission": "660", "stickyBit": False}
    assert admin.status(f"{owned}/secret")["aclBit"] is True
    assert read(alice, f"{owned}/secret") == b"secret"
    admin.set_permission(f"{owned}/secret", "600")  # the mask is now ---
    denied(lambda: read(alice, f"{owned}/secret"))
    admin.remove_acl(f"{owned}/secret")
    assert admin.acl_status(f"{owned}/secret")["entries"] == []
    assert "aclBit" not in admin.status(f"{owned}/secret")


def test_acl_entries_can_be_removed_and_need_the_base_entries(site_a: Site, owned: str) -> None:
    admin = site_a.client()
    admin.set_acl(f"{owned}/public", "user::rw-,group::r--,other::---,group:analysts:rw-")
    assert read(site_a.client("carol"), f"{owned}/public") == b"public"
    denied(lambda: read(site_a.client("bob"), f"{owned}/public"))
    # Hadoop's client names an entry to remove with a colon after it.
    for spec, message in (("group:analysts", "does not belong to the domain"),
                          ("group:analysts:rw-", "Invalid <aclSpec> : group:analysts:rw-")):
        with pytest.raises(HdfsError, match=re.escape(message)):
            admin.remove_acl_entries(f"{owned}/public", spec)
    admin.remove_acl_entries(f"{owned}/public", "group:analysts:")
    assert admin.acl_status(f"{owned}/public")["entries"] == []
    with pytest.raises(HdfsError) as refused:
        admin.set_acl(f"{owned}/public", "user:alice:rwx")
    assert refused.value.exception == "AclException"


def test_default_acl_is_inherited_by_new_children(site_a: Site, base: str) -> None:
    admin = site_a.client()
    admin.makedirs(f"{base}/shared", permission="750")
    admin.set_acl(f"{base}/shared", "default:user:alice:rwx", clear=False)
    admin.write(f"{base}/shared/report", data=b"r")
    assert admin.acl_status(f"{base}/shared/report")["entries"] == [
        "user:alice:rwx", "group::r-x"]
    assert admin.status(f"{base}/shared/report")["permission"] == "640"
    admin.set_permission(f"{base}/shared", "755")
    assert read(site_a.client("alice"), f"{base}/shared/report") == b"r"
    admin.remove_default_acl(f"{base}/shared")
    assert admin.acl_status(f"{base}/shared")["entries"] == []


def test_sticky_directory_protects_other_users_files(site_a: Site, base: str) -> None:
    admin = site_a.client()
    admin.makedirs(f"{base}/tmp", permission="1777")
    site_a.client("alice").write(f"{base}/tmp/alice.txt", data=b"a")
    error = denied(lambda: site_a.client("bob").delete(f"{base}/tmp/alice.txt"))
    assert "sticky bit" in error.message
    assert site_a.client("alice").delete(f"{base}/tmp/alice.txt") is True


def test_recursive_delete_needs_full_access_below(site_a: Site, base: str) -> None:
    alice = site_a.client("alice")
    alice.makedirs(f"{base}/tree/locked")
    alice.write(f"{base}/tree/locked/f", data=b"x")
    site_a.client().set_permission(f"{base}/tree/locked", "555")
    denied(lambda: alice.delete(f"{base}/tree", recursive=True))
    site_a.client().set_permission(f"{base}/tree/locked", "755")
    assert alice.delete(f"{base}/tree", recursive=True) is True


def test_superuser_group_members_bypass_checks(site_a: Site, owned: str,
                                               webhdfs_dir) -> None:
    site_a.client().set_permission(owned, "700")
    denied(lambda: site_a.client("erin").list(owned))
    groups = webhdfs_dir / "groups.json"
    original = groups.read_text()
    try:
        groups.write_text(original.rstrip("}") + ', "erin": ["supergroup"]}')
        assert sorted(site_a.client("erin").list(owned)) == ["public", "secret"]
    finally:
        groups.write_text(original)
