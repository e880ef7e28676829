"""Snapshots of a 100,000-file tree and the diff after 1% of it changed, through the
embedded WebHDFS server; then a diff of 100,000 changed entries paged through
GETSNAPSHOTDIFFLISTING, with the client's memory while it pages.

The tree is written straight to disk, as the Spark Thrift Server writes its warehouse,
so the first snapshot also adopts every file. Baselines, measured in the same run on
the same tree: `cp -al` (the hard-link tree alone) for the snapshot, and a Python
walk that stats every entry for the diff, and GETSNAPSHOTDIFF (the whole report in one
answer) for the paged diff.
"""

import json
import os
import subprocess
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from adapters.webhdfs import WebHdfs
from minicluster.webhdfs import launcher

FILES = 100_000
PER_DIR = 1000
CHANGED = FILES // 100
SUPERUSER = "lockstep"
T = TypeVar("T")


def build_tree(data: Path) -> list[str]:
    paths = []
    for d in range(FILES // PER_DIR):
        directory = data / f"part={d:03d}"
        directory.mkdir(parents=True)
        for f in range(PER_DIR):
            (directory / f"file-{f:04d}.csv").write_bytes(b"%d,%d\n" % (d, f))
            paths.append(f"part={d:03d}/file-{f:04d}.csv")
    return paths


def seconds(action: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def walk_and_stat(top: Path) -> int:
    count = 0
    for directory, _, files in os.walk(top):
        for name in files:
            os.lstat(os.path.join(directory, name))
            count += 1
    return count


def change_one_percent(client: WebHdfs, paths: list[str]) -> None:
    """40% appends, 30% new files, 30% deletes, spread over the tree."""
    step = len(paths) // CHANGED
    for index, rel in enumerate(paths[::step][:CHANGED]):
        path = f"/data/{rel}"
        if index % 10 < 4:
            client.append(path, b"appended\n")
        elif index % 10 < 7:
            client.write(path + ".new", data=b"new\n")
        else:
            client.delete(path)


def touch_every_file(data: Path) -> None:
    """Change every file's modification time behind the server's back: each is MODIFY."""
    later = time.time_ns() + 60_000_000_000
    for directory, _, files in os.walk(data):
        for name in files:
            os.utime(os.path.join(directory, name), ns=(later, later))


def paged(client: WebHdfs) -> tuple[int, int, int]:
    """(entries, pages, largest page's entries) of the s2 → s3 diff, one page in memory
    at a time."""
    entries = pages = largest = 0
    for page in client.diff_pages("/data", "s2", "s3"):
        size = sum(len(page.get(name) or []) for name in ("modifyList", "createList",
                                                           "deleteList"))
        entries, pages, largest = entries + size, pages + 1, max(largest, size)
    return entries, pages, largest


def peak_mib(action: Callable[[], T]) -> tuple[float, float, T]:
    """Seconds, the Python heap's peak growth in MiB, and the result of `action`."""
    tracemalloc.start()
    try:
        took, result = seconds(action)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return took, peak / 2**20, result


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="snapshot-bench-") as tmp:
        work = Path(tmp)
        paths = build_tree(work / "root" / "data")
        link_s, _ = seconds(lambda: subprocess.run(
            ["cp", "-al", str(work / "root" / "data"), str(work / "links")], check=True))
        walk_s, walked = seconds(lambda: walk_and_stat(work / "root" / "data"))
        assert walked == FILES
        namenode, datanode = launcher.free_port(), launcher.free_port()
        server = launcher.start(work / "root", work / "state", namenode, datanode, SUPERUSER)
        try:
            url = f"http://127.0.0.1:{namenode}"
            launcher.wait_ready(url, timeout=60, process=server)
            client = WebHdfs(url, SUPERUSER, timeout=600)
            client.allow_snapshot("/data")
            first_s, _ = seconds(lambda: client.create_snapshot("/data", "s1"))
            change_one_percent(client, paths)
            second_s, _ = seconds(lambda: client.create_snapshot("/data", "s2"))
            diff_s, report = seconds(lambda: client.snapshot_diff("/data", "s1", "s2"))
            live_diff_s, live = seconds(lambda: client.snapshot_diff("/data", "s1", ""))
            touch_every_file(work / "root" / "data")
            client.create_snapshot("/data", "s3")
            server_before = rss_mib(server.pid)
            paged_s, paged_mib, (paged_entries, pages, largest) = peak_mib(
                lambda: paged(client))
            server_growth = rss_mib(server.pid) - server_before
            whole_s, whole_mib, whole = peak_mib(lambda: client.snapshot_diff("/data", "s2", ""))
        finally:
            launcher.stop(server)

    kinds = Counter(entry.kind for entry in report.entries if "." in entry.source)
    assert kinds == {"MODIFY": 400, "CREATE": 300, "DELETE": 300}, kinds
    assert {(e.kind, e.source) for e in live.entries} == {
        (e.kind, e.source) for e in report.entries}
    figures = {
        "files": FILES, "changed": CHANGED,
        "first_snapshot_s": round(first_s, 3), "second_snapshot_s": round(second_s, 3),
        "diff_s": round(diff_s, 3), "diff_against_current_tree_s": round(live_diff_s, 3),
        "diff_entries": len(report.entries),
        "paged_diff_entries": paged_entries, "paged_diff_pages": pages,
        "paged_diff_largest_page": largest, "paged_diff_s": round(paged_s, 3),
        "paged_diff_client_peak_mib": round(paged_mib, 2),
        "paged_diff_server_rss_growth_mib": round(server_growth, 1),
    }
    assert paged_entries >= FILES and len(whole.entries) >= FILES
    targets = {"first_snapshot_s": "< 10", "second_snapshot_s": "< 10", "diff_s": "< 5",
               "paged_diff_s": "< 10 (100,000 changed entries)",
               "paged_diff_client_peak_mib": "< 10 (a page at a time, however large the diff)"}
    met = (max(first_s, second_s) < 10 and diff_s < 5 and paged_s < 10
           and paged_mib < 10)
    print(json.dumps({"benchmark": "snapshot_scale", "figures": figures,
                      "baseline": {"cp_al_tree_s": round(link_s, 3),
                                   "walk_and_stat_s": round(walk_s, 3),
                                   "whole_diff_in_one_answer_s": round(whole_s, 3),
                                   "whole_diff_client_peak_mib": round(whole_mib, 2)},
                      "targets": targets, "met": met}))


if __name__ == "__main__":
    main()
