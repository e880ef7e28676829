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
