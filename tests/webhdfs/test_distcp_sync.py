"""DistCp's `-update -diff s1 s2` from site-a to site-b over WebHDFS ends with identical
trees and checksums. The sync here is the algorithm from the WebHDFS spec page, kept
small; Lockstep's replication module will own the real one."""

import posixpath

from adapters.webhdfs import DiffEntry, WebHdfs
from tests.webhdfs.conftest import Site


def copy_file(src: WebHdfs, dst: WebHdfs, src_path: str, dst_path: str) -> None:
    with src.read(src_path) as chunks:
        dst.write(dst_path, data=chunks, overwrite=True)


def copy_tree(src: WebHdfs, dst: WebHdfs, src_path: str, dst_path: str) -> None:
    if src.status(src_path)["type"] == "FILE":
        copy_file(src, dst, src_path, dst_path)
        return
    dst.makedirs(dst_path)
    for name, _ in src.list_dir(src_path):
        copy_tree(src, dst, f"{src_path}/{name}", f"{dst_path}/{name}")


def translate(path: str, renames: list[DiffEntry]) -> str:
    """A path of the older snapshot, moved through the renames that cover it."""
    for rename in sorted(renames, key=lambda r: -len(r.source)):
        assert rename.target is not None
        if path == rename.source or path.startswith(rename.source + "/"):
            return rename.target + path[len(rename.source):]
    return path


def sync_diff(src: WebHdfs, dst: WebHdfs, root: str, old: str, new: str) -> None:
    assert dst.snapshot_diff(root, old, "").entries == [], "target changed since the snapshot"
    entries = src.snapshot_diff(root, old, new).entries
    renames = [e for e in entries if e.kind == "RENAME"]
    tmp = f"{root}/_distcp_tmp"
    dst.makedirs(tmp)
    staged: dict[DiffEntry, str] = {}
    moving = [e for e in entries if e.kind in ("RENAME", "DELETE")]
    for index, entry in enumerate(sorted(moving, key=lambda e: -e.source.count("/"))):
        staged[entry] = f"{tmp}/{index}"
        dst.rename(f"{root}/{entry.source}", staged[entry])
    for entry in sorted(renames, key=lambda e: (e.target or "").count("/")):
        target = f"{root}/{entry.target}"
        dst.makedirs(posixpath.dirname(target))
        dst.rename(staged[entry], target)
    dst.delete(tmp, recursive=True)
    for entry in entries:
        if entry.kind in ("CREATE", "MODIFY"):
            rel = translate(entry.source, renames)
            source = posixpath.join(f"{root}/.snapshot/{new}", rel)
            if entry.kind == "CREATE" or src.status(source)["type"] == "FILE":
                copy_tree(src, dst, source, posixpath.join(root, rel))
    dst.create_snapshot(root, new)


def tree(client: WebHdfs, path: str) -> dict[str, tuple]:
    """Every entry below `path`: type, length and (for files) the checksum."""
    found = {}
    for name, status in client.list_dir(path):
        child = f"{path}/{name}"
        if status["type"] == "DIRECTORY":
            found[name] = ("DIRECTORY",)
            found.update({f"{name}/{k}": v for k, v in tree(client, child).items()})
        else:
            found[name] = ("FILE", status["length"], client.checksum(child)["bytes"])
    return found


def test_diff_sync_makes_identical_trees(site_a: Site, site_b: Site, base: str) -> None:
    src, dst = site_a.adapter(), site_b.adapter()
    root = f"{base}/warehouse"
    for path, data in {"bills/2026-01.csv": b"a,1\n", "bills/2026-02.csv": b"b,2\n",
                       "customers/part-0": b"alice\n" * 1000, "foo bar%.txt": b"odd",
                       "keep/me": b"unchanged", "old.txt": b"to be deleted"}.items():
        src.write(f"{root}/{path}", data=data)
    src.allow_snapshot(root)
    src.create_snapshot(root, "s1")
    dst.makedirs(root)
    copy_tree(src, dst, f"{root}/.snapshot/s1", root)
    dst.allow_snapshot(root)
    dst.create_snapshot(root, "s1")

    src.append(f"{root}/customers/part-0", b"bob\n")
    src.write(f"{root}/bills/2026-03.csv", data=b"c,3\n")
    src.delete(f"{root}/old.txt")
    src.rename(f"{root}/foo bar%.txt", f"{root}/keep/foo bar%.txt")
    src.rename(f"{root}/bills", f"{root}/invoices")
    src.write(f"{root}/invoices/2026-01.csv", data=b"a,1,fixed\n", overwrite=True)
    src.write(f"{root}/new-table/part-0", data=b"fresh")
    src.create_snapshot(root, "s2")
    src.write(f"{root}/after-s2", data=b"not part of the round")

    sync_diff(src, dst, root, "s1", "s2")

    expected = tree(src, f"{root}/.snapshot/s2")
    assert tree(dst, root) == expected
    assert "invoices/2026-03.csv" in expected and "old.txt" not in expected
    assert dst.snapshot_diff(root, "s2", "").entries == []
    with dst.read(f"{root}/.snapshot/s1/bills/2026-01.csv") as chunks:
        assert b"".join(chunks) == b"a,1\n"
