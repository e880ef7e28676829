"""How close to T a round's snapshots are taken, and how close to each other.

30 atomic rounds (one data set under /data: one snapshot, so the skew is 0 by
construction) and 30 synchronized rounds (data sets under /data and /archive, two
snapshottable roots snapshotted in parallel), each run with `run_now` (T = the next
whole second + 3 s) and a real RQ worker; between rounds a file of each data set
changes. The figures are the rounds' own `moment_error_ms` (|server's snapshot
creation time - T|, worst root) and `skew_ms` (newest - oldest root snapshot).

Baseline, same run: what RQ's own scheduler gives when asked to run a job at T
(`enqueue_at(T)`, an `rqworker --with-scheduler` process; the job stamps the time it
starts), i.e. the moment error without Lockstep's enqueue-ahead-and-sleep.
"""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.roundkit import Bench, load, report, spread

NAME = "snapshot_moment"
OFFSET = 5200
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
BASELINE_JOBS = 30
LIMIT_MS = 50
ATOMIC = "/data/acme/moments"
SYNCED = ("/data/acme/synced", "/archive/acme/synced")


def stamp() -> float:
    """The baseline's job: when it started, epoch seconds."""
    return time.time()


def rq_scheduler_baseline(bench: Bench) -> list[float]:
    """|start - T| in ms of jobs enqueued with enqueue_at(T), T spread over fractions of
    a second, run by a separate rqworker process with RQ's scheduler."""
    import django_rq

    queue = django_rq.get_queue("control")
    queue.empty()
    log = bench.var / "rqworker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", "--with-scheduler", "control"],
            cwd=Path(__file__).resolve().parent.parent, stdout=out, stderr=subprocess.STDOUT)
    try:
        time.sleep(3)  # the worker and its scheduler start
        start = datetime.now(UTC) + timedelta(seconds=2)
        jobs = []
        for index in range(BASELINE_JOBS):
            moment = start + timedelta(seconds=index * 0.737)
            jobs.append((moment, queue.enqueue_at(moment, "benchmarks.snapshot_moment.stamp")))
        deadline = time.time() + BASELINE_JOBS * 0.737 + 30
        errors = []
        for moment, job in jobs:
            while (job.get_status(refresh=True) != "finished") and time.time() < deadline:
                time.sleep(0.1)
            errors.append(abs(job.return_value() - moment.timestamp()) * 1000)
        return errors
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def main() -> None:
    with Bench(NAME, OFFSET) as bench:
        pairing = bench.pair()
        primary, secondary = bench.client("site-a"), bench.client("site-b")
        for client in (primary, secondary):
            client.makedirs("/archive")
            client.allow_snapshot("/archive")
        for path in (ATOMIC, *SYNCED):
            primary.makedirs(path)
            for index in range(20):
                primary.write(f"{path}/file-{index:02d}.csv", b"%d\n" % index)
        baseline_errors = rq_scheduler_baseline(bench)
        bench.empty_queues()
        atomic = bench.service(pairing, [ATOMIC], "moments")
        synced = bench.service(pairing, list(SYNCED), "synced")
        assert atomic.policy.consistency == "atomic", atomic.policy.consistency
        assert synced.policy.consistency == "synchronized", synced.policy.consistency
        results: dict[str, list] = {"atomic": [], "synchronized": []}
        loads = [load()]
        for index in range(ROUNDS):
            for mode, service, paths in (("atomic", atomic, [ATOMIC]),
                                         ("synchronized", synced, list(SYNCED))):
                for path in paths:
                    primary.write(f"{path}/file-{index % 20:02d}.csv", b"round %d\n" % index,
                                  overwrite=True)
                round_ = bench.run_round(service)
                assert round_.state == "consistent", (mode, round_.state, round_.reason)
                results[mode].append(round_)
        loads.append(load())

    figures: dict[str, Any] = {}
    met = True
    for mode, rounds in results.items():
        errors = [r.moment_error_ms for r in rounds]
        skews = [r.skew_ms for r in rounds]
        figures[mode] = {"rounds": len(rounds), "moment_error_ms": spread(errors, 1),
                         "skew_ms": spread(skews, 1),
                         "verification_attempts": max(r.verification_attempts for r in rounds)}
        met = met and figures[mode]["moment_error_ms"]["p99"] < LIMIT_MS
        met = met and figures[mode]["skew_ms"]["p99"] < LIMIT_MS
    figures["loadavg_before_after"] = loads
    figures["startup_s"] = round(bench.startup_s, 1)
    baseline = {"rq_enqueue_at_start_error_ms": spread(baseline_errors, 1),
                "method": "RQ's scheduler: enqueue_at(T), |job start - T|, rqworker "
                          "--with-scheduler"}
    targets = {"moment_error_ms p99": f"< {LIMIT_MS} (atomic and synchronized)",
               "skew_ms p99": f"< {LIMIT_MS} (synchronized; atomic is 0 by construction)"}
    report(NAME, figures, baseline, targets, met)


if __name__ == "__main__":
    main()
