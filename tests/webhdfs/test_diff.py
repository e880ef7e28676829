"""GETSNAPSHOTDIFF reports, scenario by scenario, as HDFS reports them."""

import pytest
from hdfs import InsecureClient

from adapters.webhdfs import DiffEntry, WebHdfs, WebHdfsError
from tests.webhdfs.conftest import Site


@pytest.fixture
def root(client: InsecureClient, base: str) -> str:
    """A snapshottable directory with a small tree, snapshotted as s1."""
    client.write(f"{base}/d/keep.txt", data=b"keep")
    client.write(f"{base}/d/file.txt", data=b"file")
    client.write(f"{base}/d/dir/inner.txt", data=b"inner")
    client.write(f"{base}/outside/out.txt", data=b"out")
    client.allow_snapshot(f"{base}/d")
    client.create_snapshot(f"{base}/d", "s1")
    return f"{base}/d"


def diff(adapter: WebHdfs, root: str, old: str = "s1", new: str = "s2") -> set[tuple]:
    if new and new != "s1":
        adapter.create_snapshot(root, new)
    report = adapter.snapshot_diff(root, old, new)
    assert report.root == root
    assert (report.from_snapshot, report.to_snapshot) == (old, new)
    return {(e.kind, e.source, e.target) for e in report.entries}


M, C, D, R = "MODIFY", "CREATE", "DELETE", "RENAME"


def test_no_change_is_an_empty_report(adapter: WebHdfs, root: str) -> None:
    assert diff(adapter, root) == set()
    assert diff(adapter, root, "s1", "") == set()


def test_create_and_delete_files(client: InsecureClient, adapter: WebHdfs, root: str) -> None:
    client.write(f"{root}/new.txt", data=b"n")
    client.delete(f"{root}/file.txt")
    client.write(f"{root}/dir/deeper.txt", data=b"d")
    assert diff(adapter, root) == {
        (M, "", None), (C, "new.txt", None), (D, "file.txt", None),
        (M, "dir", None), (C, "dir/deeper.txt", None),
    }


def test_append_and_attribute_changes_are_modify(client: InsecureClient, adapter: WebHdfs,
                                                 root: str) -> None:
    client.write(f"{root}/file.txt", data=b"+", append=True)
    client.set_permission(f"{root}/keep.txt", "600")
    assert diff(adapter, root) == {(M, "file.txt", None), (M, "keep.txt", None)}


def test_overwrite_is_a_new_file(client: InsecureClient, adapter: WebHdfs, root: str) -> None:
    client.write(f"{root}/file.txt", data=b"replaced", overwrite=True)
    assert diff(adapter, root) == {(M, "", None), (D, "file.txt", None), (C, "file.txt", None)}


def test_created_and_deleted_directories_are_one_entry(client: InsecureClient,
                                                       adapter: WebHdfs, root: str) -> None:
    client.write(f"{root}/fresh/a/b.txt", data=b"b")
    client.delete(f"{root}/dir", recursive=True)
    assert diff(adapter, root) == {(M, "", None), (C, "fresh", None), (D, "dir", None)}


def test_rename_a_file(client: InsecureClient, adapter: WebHdfs, root: str) -> None:
    client.rename(f"{root}/file.txt", f"{root}/dir/moved.txt")
    assert diff(adapter, root) == {
        (M, "", None), (M, "dir", None), (R, "file.txt", "dir/moved.txt"),
    }


def test_changes_under_a_renamed_directory_use_the_old_path(client: InsecureClient,
                                                            adapter: WebHdfs,
                                                            root: str) -> None:
    client.rename(f"{root}/dir", f"{root}/renamed")
    client.write(f"{root}/renamed/inner.txt", data=b"!", append=True)
    client.write(f"{root}/renamed/added.txt", data=b"a")
    assert diff(adapter, root) == {
        (M, "", None), (R, "dir", "renamed"), (M, "dir", None),
        (M, "dir/inner.txt", None), (C, "dir/added.txt", None),
    }


def test_renames_out_of_and_into_the_root(client: InsecureClient, adapter: WebHdfs, root: str,
                                          base: str) -> None:
    client.rename(f"{root}/file.txt", f"{base}/outside/file.txt")
    client.rename(f"{base}/outside/out.txt", f"{root}/out.txt")
    assert diff(adapter, root) == {(M, "", None), (D, "file.txt", None), (C, "out.txt", None)}


def test_reversed_diff_inverts_the_report(client: InsecureClient, adapter: WebHdfs,
                                          root: str) -> None:
    client.write(f"{root}/new.txt", data=b"n")
    client.delete(f"{root}/keep.txt")
    client.rename(f"{root}/file.txt", f"{root}/renamed.txt")
    forward = diff(adapter, root)
    backward = diff(adapter, root, "s2", "s1")
    assert forward == {(M, "", None), (C, "new.txt", None), (D, "keep.txt", None),
                       (R, "file.txt", "renamed.txt")}
    assert backward == {(M, "", None), (D, "new.txt", None), (C, "keep.txt", None),
                        (R, "renamed.txt", "file.txt")}


def test_empty_name_is_the_current_tree(client: InsecureClient, adapter: WebHdfs,
                                        root: str) -> None:
    client.write(f"{root}/new.txt", data=b"n")
    assert diff(adapter, root, "s1", "") == {(M, "", None), (C, "new.txt", None)}
    assert diff(adapter, root, "", "s1") == {(M, "", None), (D, "new.txt", None)}


def test_snapshot_creation_does_not_modify_the_root(adapter: WebHdfs, root: str) -> None:
    adapter.create_snapshot(root, "s2")
    adapter.create_snapshot(root, "s3")
    assert adapter.snapshot_diff(root, "s1", "s3").entries == []
    assert adapter.snapshot_diff(root, "s2", "").entries == []


def test_raw_report_shape(site_a: Site, client: InsecureClient, root: str) -> None:
    client.rename(f"{root}/file.txt", f"{root}/renamed.txt")
    reply = site_a.call("GET", root, "GETSNAPSHOTDIFF", oldsnapshotname="s1", snapshotname="")
    report = reply.json()["SnapshotDiffReport"]
    assert set(report) == {"diffList", "fromSnapshot", "snapshotRoot", "toSnapshot"}
    assert {"type": "RENAME", "sourcePath": "file.txt", "targetPath": "renamed.txt"} in report[
        "diffList"]
    assert {"type": "MODIFY", "sourcePath": ""} in report["diffList"]


def test_diff_errors(adapter: WebHdfs, root: str, base: str) -> None:
    with pytest.raises(WebHdfsError) as error:
        adapter.snapshot_diff(root, "s1", "missing")
    assert error.value.exception == "SnapshotException"
    with pytest.raises(WebHdfsError) as error:
        adapter.snapshot_diff(f"{base}/outside", "s1", "")
    assert error.value.exception == "SnapshotException"
    assert DiffEntry("MODIFY", "") == DiffEntry("MODIFY", "", None)
