"""Snapshots of a 100,000-file tree and the diff after 1% of it changed, through the
embedded WebHDFS server.

The tree is written straight to disk, as the Spark Thrift Server writes its warehouse,
so the first snapshot also adopts every file. Baselines, measured in the same run on
the same tree: `cp -al` (the hard-link tree alone) for the snapshot, and a Python
walk that stats every entry for the diff.
"""

import json
import os
import subprocess
import tempfile
import time
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
    }
    targets = {"first_snapshot_s": "< 10", "second_snapshot_s": "< 10", "diff_s": "< 5"}
    met = max(first_s, second_s) < 10 and diff_s < 5
    print(json.dumps({"benchmark": "snapshot_scale", "figures": figures,
                      "baseline": {"cp_al_tree_s": round(link_s, 3),
                                   "walk_and_stat_s": round(walk_s, 3)},
                      "targets": targets, "met": met}))


if __name__ == "__main__":
    main()
