"""GETSNAPSHOTDIFFLISTING, the paged snapshot diff Hadoop's client uses between two
snapshots: its pages, rebuilt the way SnapshotDiffReportGenerator does, must give the
same changes as GETSNAPSHOTDIFF."""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hdfs import InsecureClient

from tests.webhdfs.conftest import Site, refusal

LIMIT = 1000  # dfs.namenode.snapshotdiff.listing.limit
Change = tuple[str, str, str | None]  # (type, source, target)




@dataclass
class Listing:
    """Every page of one listing, as Hadoop's client gathers them."""

    pages: list[dict] = field(default_factory=list)

    @property
    def last(self) -> dict:
        return self.pages[-1]

    def entries(self, kind: str) -> list[dict]:
        return [entry for page in self.pages for entry in page[kind]]


def page_through(site: Site, root: str, old: str, new: str) -> Listing:
    """DFSUtilClient.getSnapshotDiffReport's loop: start at ("", -1), send back each
    page's lastPath and lastIndex until a page ends with ("", -1)."""
    listing, start, index = Listing(), "", -1
    while True:
        reply = site.call("GET", root, "GETSNAPSHOTDIFFLISTING", oldsnapshotname=old,
                          snapshotname=new, snapshotdiffstartpath=start,
                          snapshotdiffindex=index)
        assert reply.status_code == 200, reply.text
        page = reply.json()["SnapshotDiffReportListing"]
        listing.pages.append(page)
        start, index = page["lastPath"], page["lastIndex"]
        if (start, index) == ("", -1):
            return listing
        assert len(listing.pages) < 50, "the listing does not end"


def rebuild(listing: Listing) -> list[Change]:
    """SnapshotDiffReportGenerator: created and deleted entries are grouped by the
    directory they are listed under and reported after that directory's MODIFY when it
    is a reference entry; a deleted reference with a target is a rename."""
    from_earlier = listing.last["isFromEarlier"]
    grouped: dict[int, tuple[list[dict], list[dict]]] = {}
    renames: dict[int, tuple[str, str]] = {}
    for created in listing.entries("createList"):
        grouped.setdefault(created["dirId"], ([], []))[0].append(created)
    for deleted in listing.entries("deleteList"):
        grouped.setdefault(deleted["dirId"], ([], []))[1].append(deleted)
        if deleted["isReference"] and deleted.get("targetPath") is not None:
            renames[deleted["fileId"]] = (deleted["sourcePath"], deleted["targetPath"])
    report: list[Change] = []
    for modified in listing.entries("modifyList"):
        report.append(("MODIFY", modified["sourcePath"], None))
        if not modified["isReference"] or modified["dirId"] not in grouped:
            continue
        created_list, deleted_list = grouped[modified["dirId"]]
        for created in created_list:
            if created["fileId"] not in renames:
                report.append(("CREATE" if from_earlier else "DELETE",
                               created["sourcePath"], None))
        for deleted in deleted_list:
            if deleted["fileId"] in renames:
                source, target = renames[deleted["fileId"]]
                report.append(("RENAME", source, target) if from_earlier
                              else ("RENAME", target, source))
            else:
                report.append(("DELETE" if from_earlier else "CREATE",
                               deleted["sourcePath"], None))
    return report


def snapshot_diff(site: Site, root: str, old: str, new: str) -> set[Change]:
    reply = site.call("GET", root, "GETSNAPSHOTDIFF", oldsnapshotname=old, snapshotname=new)
    assert reply.status_code == 200, reply.text
    return {(entry["type"], entry["sourcePath"], entry.get("targetPath"))
            for entry in reply.json()["SnapshotDiffReport"]["diffList"]}


def write_files(directory: Path, names: Iterator[str], data: bytes = b"") -> None:
    """Straight to disk, as Spark writes: the server adopts them on first sight."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_bytes(data)


@pytest.fixture
def many_changes(client: InsecureClient, site_a: Site, base: str) -> str:
    """A snapshottable directory whose s1 -> s2 diff has over 1100 entries of every kind,
    in several directories."""
    root = f"{base}/root"
    disk = site_a.root / root.lstrip("/")
    write_files(disk / "a", (f"f{index:04d}" for index in range(450)))
    write_files(disk / "b", (f"g{index:04d}" for index in range(400)))
    write_files(disk / "c", (f"h{index:03d}" for index in range(120)), b"h")
    client.allow_snapshot(root)
    client.create_snapshot(root, "s1")
    write_files(disk / "a", (f"new{index:04d}" for index in range(600)))
    for index in range(10, 400):
        os.unlink(disk / "b" / f"g{index:04d}")
    for index in range(100):
        with open(disk / "c" / f"h{index:03d}", "ab") as appended:
            appended.write(b"+")
    client.rename(f"{root}/a/f0000", f"{root}/b/moved")
    client.rename(f"{root}/c/h110", f"{root}/c/h110-renamed")
    client.rename(f"{root}/c/h111", f"{root}/top-level")
    client.write(f"{root}/e/inside/deep", data=b"e")
    client.set_permission(f"{root}/a/f0001", "600")
    site_a.call("PUT", f"{root}/a/f0002", "SETXATTR", flag="CREATE",
                **{"xattr.name": "user.tag", "xattr.value": "v"})
    client.create_snapshot(root, "s2")
    return root


def test_pages_rebuild_to_the_same_changes_as_the_full_diff(site_a: Site,
                                                            many_changes: str) -> None:
    listing = page_through(site_a, many_changes, "s1", "s2")
    sizes = [sum(len(page[kind]) for kind in ("modifyList", "createList", "deleteList"))
             for page in listing.pages]
    assert len(sizes) == 2 and sizes[0] == LIMIT, sizes
    assert all(page["isFromEarlier"] is True for page in listing.pages)
    report = rebuild(listing)
    assert len(report) == len(set(report)), "an entry was listed twice"
    expected = snapshot_diff(site_a, many_changes, "s1", "s2")
    assert set(report) == expected
    assert {("RENAME", "a/f0000", "b/moved"), ("RENAME", "c/h110", "c/h110-renamed"),
            ("RENAME", "c/h111", "top-level"), ("CREATE", "e", None),
            ("MODIFY", "a/f0001", None), ("MODIFY", "a/f0002", None),
            ("MODIFY", "", None), ("MODIFY", "a", None), ("MODIFY", "b", None),
            ("MODIFY", "c", None)} <= expected
    kinds = [kind for kind, _, _ in expected]
    assert (kinds.count("CREATE"), kinds.count("DELETE"), kinds.count("MODIFY")) == (
        601, 390, 106)


def test_entries_carry_hadoops_ids_and_reference_flags(site_a: Site,
                                                       many_changes: str) -> None:
    """Directories are reference MODIFY entries (dirId = fileId = their id); created and
    deleted children name their parent directory; a rename is a deleted reference with
    its target."""
    listing = page_through(site_a, many_changes, "s1", "s2")
    ids = {entry["sourcePath"]: entry for entry in listing.entries("modifyList")}
    for directory in ("", "a", "b", "c"):
        entry = ids[directory]
        assert entry["isReference"] is True and entry["dirId"] == entry["fileId"], directory
    assert ids["a/f0001"]["isReference"] is False
    assert ids["a/f0001"]["dirId"] == ids["a/f0001"]["fileId"]
    created = {entry["sourcePath"]: entry for entry in listing.entries("createList")}
    assert created["a/new0000"]["dirId"] == ids["a"]["fileId"]
    assert created["a/new0000"]["isReference"] is False
    deleted = {entry["sourcePath"]: entry for entry in listing.entries("deleteList")}
    assert deleted["b/g0010"]["dirId"] == ids["b"]["fileId"]
    assert (deleted["b/g0010"]["isReference"], deleted["b/g0010"].get("targetPath")) == (
        False, None)
    moved = deleted["a/f0000"]
    assert (moved["isReference"], moved["targetPath"], moved["dirId"]) == (
        True, "b/moved", ids["a"]["fileId"])


def test_reversed_snapshots_are_not_from_earlier(site_a: Site, many_changes: str) -> None:
    listing = page_through(site_a, many_changes, "s2", "s1")
    assert all(page["isFromEarlier"] is False for page in listing.pages)
    report = rebuild(listing)
    assert set(report) == snapshot_diff(site_a, many_changes, "s2", "s1")
    assert ("RENAME", "b/moved", "a/f0000") in report
    assert ("DELETE", "e", None) in report


def test_a_small_diff_is_one_final_page(client: InsecureClient, site_a: Site,
                                        base: str) -> None:
    root = f"{base}/root"
    client.write(f"{root}/old", data=b"o")
    client.allow_snapshot(root)
    client.create_snapshot(root, "s1")
    client.write(f"{root}/new", data=b"n")
    client.delete(f"{root}/old")
    client.create_snapshot(root, "s2")
    reply = site_a.call("GET", root, "GETSNAPSHOTDIFFLISTING", oldsnapshotname="s1",
                        snapshotname="s2")
    page = reply.json()["SnapshotDiffReportListing"]
    assert (page["lastPath"], page["lastIndex"], page["isFromEarlier"]) == ("", -1, True)
    assert [entry["sourcePath"] for entry in page["modifyList"]] == [""]
    assert [entry["sourcePath"] for entry in page["createList"]] == ["new"]
    assert [entry["sourcePath"] for entry in page["deleteList"]] == ["old"]
    assert set(rebuild(Listing([page]))) == {("MODIFY", "", None), ("CREATE", "new", None),
                                             ("DELETE", "old", None)}


def test_a_snapshot_against_itself_is_an_empty_report(client: InsecureClient, site_a: Site,
                                                      base: str) -> None:
    """From == to: empty lists, ("", -1) and isFromEarlier false."""
    root = f"{base}/root"
    client.write(f"{root}/f", data=b"f")
    client.allow_snapshot(root)
    client.create_snapshot(root, "s1")
    reply = site_a.call("GET", root, "GETSNAPSHOTDIFFLISTING", oldsnapshotname="s1",
                        snapshotname="s1")
    assert reply.json() == {"SnapshotDiffReportListing": {
        "createList": [], "deleteList": [], "isFromEarlier": False, "lastIndex": -1,
        "lastPath": "", "modifyList": []}}


def test_listing_refusals(client: InsecureClient, site_a: Site, base: str) -> None:
    root = f"{base}/root"
    client.makedirs(root)
    client.allow_snapshot(root)
    client.create_snapshot(root, "s1")
    reply = site_a.call("GET", root, "GETSNAPSHOTDIFFLISTING", oldsnapshotname="s1",
                        snapshotname="nope")
    assert refusal(reply) == (403, "SnapshotException", "Cannot find the snapshot of "
                              f"directory {root} with name nope")
    reply = site_a.call("GET", root, "GETSNAPSHOTDIFFLISTING", oldsnapshotname="s1",
                        snapshotname="s1", snapshotdiffindex=-2)
    assert refusal(reply) == (400, "IllegalArgumentException", 'Invalid value for webhdfs '
                              'parameter "snapshotdiffindex": Invalid parameter range: '
                              "snapshotdiffindex = -2 < -1")
