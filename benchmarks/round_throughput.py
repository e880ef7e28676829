"""A full backup round of 10 GiB in 1,000 files of 10 MiB, site-a to site-b through the
real mini cluster and an RQ worker, against `cp -r` of the same files on the same disk.

The files are written straight into site-a's root directory (the WebHDFS server
adopts them); `cp -r` copies them to another directory of the same disk, timed until
`sync` returns, twice before the round and once after. The round is timed three ways:
its own started_at -> finished_at, the replication phase (first replicate job's start
to the last one's end, from RQ), and the replication phase plus the `sync` that makes
the secondary's copy durable; the target is judged on the last against the median cp
(the ratio to the best cp is reported too: this virtual disk's time to a durable copy
varies several-fold from one cp to the next). Everything written is deleted at the end.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.roundkit import Bench, free_gib, load, phases, report

NAME = "round_throughput"
OFFSET = 5000
FILES = int(os.environ.get("BENCH_FILES", "1000"))
FILE_SIZE = 10 * 1024 * 1024
DATA_SET = "/data/acme/bench"
TARGET_RATIO = 0.4


def write_files(directory: Path) -> int:
    """FILES distinct files of FILE_SIZE random-looking bytes (a random pool, sliced at a
    different offset per file, with the file's number in front)."""
    directory.mkdir(parents=True)
    pool = os.urandom(FILE_SIZE * 2)
    for index in range(FILES):
        start = (index * 7919 * 4096) % FILE_SIZE
        header = b"file %06d\n" % index
        body = pool[start:start + FILE_SIZE - len(header)]
        with open(directory / f"part-{index:05d}.bin", "wb") as out:
            out.write(header)
            out.write(body)
    return FILES * FILE_SIZE


def timed_cp(source: Path, copy: Path) -> float:
    subprocess.run(["rm", "-rf", str(copy)], check=True)
    os.sync()
    start = time.perf_counter()
    subprocess.run(["cp", "-r", str(source), str(copy)], check=True)
    os.sync()
    seconds = time.perf_counter() - start
    subprocess.run(["rm", "-rf", str(copy)], check=True)
    os.sync()
    return seconds


def main() -> None:
    needed = 3 * FILES * FILE_SIZE / 2**30 + 2
    with Bench(NAME, OFFSET) as bench:
        if free_gib(bench.var) < needed:
            sys.exit(f"{NAME}: needs {needed:.0f} GiB free on {bench.var}, "
                     f"has {free_gib(bench.var):.0f}")
        pairing = bench.pair()
        source = bench.root("site-a") / DATA_SET.lstrip("/")
        size = write_files(source)
        os.sync()
        service = bench.service(pairing, [DATA_SET], "throughput")
        bench.empty_queues()
        cp_runs = [timed_cp(source, bench.var / "cp-copy") for _ in range(2)]
        load_before = load()
        round_ = bench.run_round(service)
        sync_start = time.perf_counter()
        os.sync()
        sync_s = time.perf_counter() - sync_start
        assert round_.state == "consistent", (round_.state, round_.reason)
        assert round_.bytes == size and round_.files == FILES, (round_.bytes, round_.files)
        copied = bench.root("site-b") / DATA_SET.lstrip("/")
        assert sum(f.stat().st_size for f in copied.iterdir()) == size
        times = phases(round_)
        load_after = load()
        cp_runs.append(timed_cp(source, bench.var / "cp-copy"))
        subprocess.run(["rm", "-rf", str(source), str(copied)], check=True)

    cp_s = statistics.median(cp_runs)
    durable_s = times["replication_s"] + sync_s
    ratio = cp_s / durable_s
    mb = size / 1e6
    figures = {
        "files": FILES, "bytes": size,
        "round_s": round(times["round_s"], 3),
        "round_MBps": round(mb / times["round_s"]),
        "round_ratio_to_cp": round(cp_s / times["round_s"], 3),
        "wait_for_T_s": round(times["wait_for_T_s"], 3),
        "replication_s": round(times["replication_s"], 3),
        "replication_MBps": round(mb / times["replication_s"]),
        "sync_after_round_s": round(sync_s, 3),
        "replication_durable_s": round(durable_s, 3),
        "replication_durable_MBps": round(mb / durable_s),
        "replication_ratio_to_cp": round(ratio, 3),
        "moment_error_ms": round_.moment_error_ms,
        "loadavg_before_after": [load_before, load_after],
        "startup_s": round(bench.startup_s, 1), "settle_s": round(bench.settle_s, 1),
    }
    baseline = {"cp_s": round(cp_s, 3), "cp_MBps": round(mb / cp_s),
                "cp_runs_s": [round(s, 3) for s in cp_runs],
                "cp_best_s": round(min(cp_runs), 3),
                "ratio_to_best_cp": round(min(cp_runs) / durable_s, 3),
                "method": "cp -r of the same files on the same disk, timed to sync; median "
                          "of 3 (2 before the round, 1 after)"}
    targets = {"replication_ratio_to_cp": f">= {TARGET_RATIO} (replication phase + sync, "
               "against cp + sync)"}
    report(NAME, figures, baseline, targets, ratio >= TARGET_RATIO)


if __name__ == "__main__":
    main()
