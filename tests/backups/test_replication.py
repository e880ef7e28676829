"""Replication of one data set between the mini cluster's sites: a full copy, then an
incremental one from a snapshot diff, ending with trees equal in every attribute."""

import uuid

import pytest

from adapters.webhdfs import WebHdfs
from backups.replication import Progress, Tree, relative_entries, sync_data_set
from tests.backups.conftest import site, tree, walk

ATTRIBUTES = ("type", "owner", "group", "permission", "modificationTime")


def listing(client: WebHdfs, top: str) -> dict[str, tuple]:
    """Every path below `top`: its attributes, and a file's length and checksum."""
    files = tree(client, top)
    return {child: (*(status[key] for key in ATTRIBUTES), files.get(child))
            for child, status in walk(client, top)}


@pytest.fixture
def synced(minicluster):
    """A tree on site-a, snapshot s1, copied whole to site-b."""
    primary, secondary = site(minicluster, "site-a"), site(minicluster, "site-b")
    root = f"/sync-{uuid.uuid4().hex[:8]}"
    for index in range(3):
        primary.write(f"{root}/old/f{index}", b"x" * (index + 1) * 1000)
    primary.allow_snapshot(root)
    primary.create_snapshot(root, "s1")
    sync_data_set(Tree(primary, f"{root}/.snapshot/s1"), Tree(secondary, root), None,
                  Progress())
    return primary, secondary, root


def test_an_incremental_sync_copies_what_changed_with_its_attributes(synced) -> None:
    primary, secondary, root = synced
    for index in range(20):
        primary.write(f"{root}/old/new{index}", b"n" * index)
    primary.write(f"{root}/old/f1", b"rewritten", overwrite=True)
    primary.write(f"{root}/fresh/a/b", b"deep")
    primary.set_permission(f"{root}/old", "750")
    primary.create_snapshot(root, "s2")

    progress = Progress()
    entries = relative_entries(primary.snapshot_diff(root, "s1", "s2").entries, "")
    sync_data_set(Tree(primary, f"{root}/.snapshot/s2"), Tree(secondary, root), entries,
                  progress)

    assert (progress.files_done, progress.files_total) == (22, 22)
    assert progress.bytes_done == sum(range(20)) + len(b"rewritten") + len(b"deep")
    # Directories too: their times moved when files were copied into them.
    assert listing(secondary, root) == listing(primary, f"{root}/.snapshot/s2")


def test_extended_attributes_and_directory_quotas_travel_with_the_data(synced) -> None:
    primary, secondary, root = synced
    primary.set_xattr(f"{root}/old/f0", "user.origin", "0x6c6564676572")
    primary.set_xattr(f"{root}/old", "user.team", "0x62696c6c696e67")
    primary.set_quota(f"{root}/old", 1000, 10 * 1024 * 1024)
    primary.set_type_quota(f"{root}/old", "DISK", 8 * 1024 * 1024)
    secondary.set_xattr(f"{root}/old", "user.stale", "0x01")
    primary.create_snapshot(root, "s2")

    entries = relative_entries(primary.snapshot_diff(root, "s1", "s2").entries, "")
    sync_data_set(Tree(primary, f"{root}/.snapshot/s2"), Tree(secondary, root), entries,
                  Progress())

    assert secondary.xattrs(f"{root}/old/f0") == {"user.origin": "0x6c6564676572"}
    assert secondary.xattrs(f"{root}/old") == {"user.team": "0x62696c6c696e67"}
    quota = secondary.quota_usage(f"{root}/old")
    assert (quota["quota"], quota["spaceQuota"]) == (1000, 10 * 1024 * 1024)
    assert quota["typeQuota"]["DISK"]["quota"] == 8 * 1024 * 1024

    primary.set_quota(f"{root}/old", -1, -1)
    primary.set_type_quota(f"{root}/old", "DISK", -1)
    primary.remove_xattr(f"{root}/old", "user.team")
    primary.create_snapshot(root, "s3")
    entries = relative_entries(primary.snapshot_diff(root, "s2", "s3").entries, "")
    sync_data_set(Tree(primary, f"{root}/.snapshot/s3"), Tree(secondary, root), entries,
                  Progress())
    assert secondary.xattrs(f"{root}/old") == {}
    assert secondary.quota_usage(f"{root}/old")["quota"] == -1
    assert secondary.quota_usage(f"{root}/old")["typeQuota"] == {}
