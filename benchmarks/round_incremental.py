"""An incremental round after 1% of a 100,000-file data set changed, against the full
round of the same data set (the baseline, measured first in the same run).

The files (1-8 KiB, 100 directories of 1,000) are written straight into site-a's root
(the WebHDFS server adopts them). After the full round, 1% of them change through
WebHDFS, as a client would change them: 60% rewritten with new contents, 20% new files
beside them, 20% deleted. The incremental round must move at most 1.05 x the bytes of
the created and rewritten files, and take under 10% of the full round's time (judged
on the time after T: both rounds also wait ~3 s for T, which `run_now` sets).
"""

import os
import random
import time
from pathlib import Path

from benchmarks.roundkit import Bench, load, phases, report

NAME = "round_incremental"
OFFSET = 5100
FILES = int(os.environ.get("BENCH_FILES", "100000"))
PER_DIR = 1000
DATA_SET = "/data/acme/ledger"


def write_tree(top: Path, rng: random.Random) -> list[str]:
    paths = []
    for d in range(-(-FILES // PER_DIR)):
        directory = top / f"part={d:03d}"
        directory.mkdir(parents=True)
        for f in range(min(PER_DIR, FILES - d * PER_DIR)):
            rel = f"part={d:03d}/file-{f:04d}.csv"
            (directory / f"file-{f:04d}.csv").write_bytes(rng.randbytes(rng.randint(1024, 8192)))
            paths.append(rel)
    return paths


def change_one_percent(client, paths: list[str], rng: random.Random) -> dict[str, int]:
    """60% rewritten, 20% created, 20% deleted; returns counts and the changed bytes."""
    chosen = rng.sample(paths, len(paths) // 100)
    counts = {"modified": 0, "created": 0, "deleted": 0, "changed_bytes": 0}
    for index, rel in enumerate(chosen):
        path = f"{DATA_SET}/{rel}"
        kind = index % 5
        if kind < 3:
            data = rng.randbytes(rng.randint(1024, 8192))
            client.write(path, data, overwrite=True)
            counts["modified"] += 1
            counts["changed_bytes"] += len(data)
        elif kind == 3:
            data = rng.randbytes(rng.randint(1024, 8192))
            client.write(path + ".new", data)
            counts["created"] += 1
            counts["changed_bytes"] += len(data)
        else:
            client.delete(path)
            counts["deleted"] += 1
    return counts


def main() -> None:
    rng = random.Random(20261201)
    with Bench(NAME, OFFSET) as bench:
        pairing = bench.pair()
        paths = write_tree(bench.root("site-a") / DATA_SET.lstrip("/"), rng)
        service = bench.service(pairing, [DATA_SET], "ledger")
        bench.empty_queues()
        load_full = load()
        full = bench.run_round(service)
        assert full.state == "consistent", (full.state, full.reason)
        assert full.full_copy and full.files == len(paths), (full.full_copy, full.files)
        full_times = phases(full)
        primary = bench.client("site-a")
        change_start = time.perf_counter()
        changes = change_one_percent(primary, paths, rng)
        change_s = time.perf_counter() - change_start
        load_incremental = load()
        incremental = bench.run_round(service)
        assert incremental.state == "consistent", (incremental.state, incremental.reason)
        assert not incremental.full_copy and incremental.base_id == full.pk
        incremental_times = phases(incremental)
        # The secondary now holds what the primary holds.
        secondary = bench.root("site-b") / DATA_SET.lstrip("/")
        source = bench.root("site-a") / DATA_SET.lstrip("/")
        listed = {str(p.relative_to(secondary)): p.stat().st_size
                  for p in secondary.rglob("*") if p.is_file()}
        expected = {str(p.relative_to(source)): p.stat().st_size
                    for p in source.rglob("*") if p.is_file()}
        assert listed == expected, "secondary differs from primary"

    bytes_ratio = incremental.bytes / changes["changed_bytes"]
    time_ratio = incremental_times["after_T_s"] / full_times["after_T_s"]
    round_ratio = incremental_times["round_s"] / full_times["round_s"]
    figures = {
        "files": len(paths), "changes": changes,
        "change_through_webhdfs_s": round(change_s, 3),
        "incremental_files": incremental.files, "incremental_bytes": incremental.bytes,
        "bytes_ratio": round(bytes_ratio, 4),
        "incremental_round_s": round(incremental_times["round_s"], 3),
        "incremental_after_T_s": round(incremental_times["after_T_s"], 3),
        "incremental_replication_s": round(incremental_times["replication_s"], 3),
        "incremental_finishing_s": round(incremental_times["finishing_s"], 3),
        "time_ratio_after_T": round(time_ratio, 4),
        "time_ratio_round": round(round_ratio, 4),
        "loadavg_at_full_and_incremental": [load_full, load_incremental],
        "startup_s": round(bench.startup_s, 1),
    }
    baseline = {
        "full_files": full.files, "full_bytes": full.bytes,
        "full_round_s": round(full_times["round_s"], 3),
        "full_after_T_s": round(full_times["after_T_s"], 3),
        "full_replication_s": round(full_times["replication_s"], 3),
        "full_finishing_s": round(full_times["finishing_s"], 3),
        "full_files_per_s": round(full.files / full_times["replication_s"], 1),
        "method": "the full (first) round of the same data set, same run",
    }
    targets = {"bytes_ratio": "<= 1.05 (round.bytes / bytes of created + rewritten files)",
               "time_ratio_after_T": "< 0.10 (incremental / full, time after T)"}
    report(NAME, figures, baseline, targets, bytes_ratio <= 1.05 and time_ratio < 0.10)


if __name__ == "__main__":
    main()
