"""Benchmark failover: a primary's fault reaches the operators as a prompt, and one
confirmation puts the secondary in charge on each service's last consistent restore point.

A mini cluster of its own (roundkit.Bench), the monitor as the demo runs it (`manage.py
monitor`, production settings: probes every 2 s, a 10 s grace, 30 s to recover), and the
demo's kind of services: bill clearing (a directory of 200 bills and a SparkSQL table) and
archive (a directory of 100 files), each with a consistent round on site-b. Each of RUNS
runs:

1. a round's half-finished copy is left on site-b (files rewritten, created, deleted);
2. site-a's WebHDFS is stopped; the fault prompt is timed to its event on the operators'
   Channels group (what every operator's page receives), from the stop and from the
   first probe that saw the fault;
3. the failover is confirmed and run here; each step's time is printed;
4. site-a's WebHDFS is started again and the failover rolled back, and the next run waits
   until the monitor has seen site-a recover.

Baseline, in the same run on the same data: putting site-b back on the restore points by
copying each data set out of its snapshot over the live tree (no snapshot diff).
"""

import asyncio
import subprocess
import sys
import time
from datetime import datetime

from benchmarks.roundkit import ROOT, Bench, load, report, spread

NAME = "failover"
OFFSET = 5500
RUNS = 5
BILLS, ARCHIVE, TABLE = "/data/acme/bills", "/data/acme/archive", "acme.settlements"
PROMPT_TARGET_S = 11.0  # grace + 1 s
SWITCH_TARGET_S = 5.0


def seed(bench: Bench) -> None:
    primary = bench.client("site-a")
    for number in range(200):
        primary.write(f"{BILLS}/bill-{number:04d}.csv", f"bill,{number}\n".encode() * 4096,
                      overwrite=True)
    for number in range(100):
        primary.write(f"{ARCHIVE}/old-{number:04d}.csv", b"old\n" * 8192, overwrite=True)
    hive = bench.hive("site-a")
    hive.query("CREATE DATABASE IF NOT EXISTS acme")
    hive.query(f"CREATE TABLE IF NOT EXISTS {TABLE} (bill INT, amount DOUBLE) USING parquet")
    hive.query(f"INSERT INTO {TABLE} VALUES (1, 9.5), (2, 12.0)")  # noqa: S608 (constants)


def half_copied(bench: Bench) -> None:
    """What a round stopped mid-copy leaves on the secondary."""
    secondary = bench.client("site-b")
    for number in range(0, 200, 10):
        secondary.write(f"{BILLS}/bill-{number:04d}.csv", b"half-copied\n", overwrite=True)
    for number in range(20):
        secondary.write(f"{BILLS}/new-{number:04d}.csv", b"new\n", overwrite=True)
    for number in range(0, 100, 20):
        secondary.delete(f"{ARCHIVE}/old-{number:04d}.csv")


async def _prompted(stop) -> tuple[float, dict]:
    """Stop the fault's cause; seconds until an open prompt's event reaches the operators'
    group, and the event."""
    from channels.layers import get_channel_layer

    from failover.events import AUDIENCE

    layer = get_channel_layer()
    assert layer is not None, "CHANNEL_LAYERS names no layer"
    channel = await layer.new_channel()
    await layer.group_add(AUDIENCE, channel)
    try:
        stopped = time.time()
        await asyncio.to_thread(stop)
        while True:
            message = await asyncio.wait_for(layer.receive(channel), timeout=60)
            if message.get("kind") == "fault_prompt" and message["data"]["state"] == "open":
                return time.time() - stopped, message["data"]
    finally:
        await layer.group_discard(AUDIENCE, channel)


def step_seconds(switchover) -> dict[str, float]:
    """Seconds from confirmation to each step's end."""
    confirmed = datetime.fromisoformat(switchover.steps["confirmed"])
    return {step: round((datetime.fromisoformat(at) - confirmed).total_seconds(), 3)
            for step, at in switchover.steps.items()
            if step not in {"fault_seen", "prompted", "confirmed", "backups_paused"}}


def copy_back(bench: Bench, points) -> float:
    """The baseline: each data set copied out of its restore point's snapshot over the
    live tree on site-b, through WebHDFS."""
    secondary = bench.client("site-b")
    started = time.perf_counter()
    for point in points:
        for path in point.service.data_sets.values_list("storage_path", flat=True):
            snapshot = f"/data/.snapshot/{point.name}{path.removeprefix('/data')}"
            secondary.delete(path, recursive=True)
            secondary.makedirs(path)
            for name, status in secondary.list_dir(snapshot):
                if status["type"] == "FILE":
                    with secondary.read(f"{snapshot}/{name}") as chunks:
                        secondary.write(f"{path}/{name}", chunks, overwrite=True)
    return time.perf_counter() - started


def one_run(bench: Bench) -> dict[str, float]:
    """A fault, its prompt, the failover it confirms; then the way back."""
    from failover.models import FaultPrompt
    from failover.running import run_here
    from failover.switching import confirm_failover, rollback_failover
    from minicluster import services

    half_copied(bench)
    webhdfs = services.webhdfs_service(bench.layout, "site-a")
    prompt_s, event = asyncio.run(_prompted(lambda: services.stop(bench.layout, webhdfs)))
    prompt = FaultPrompt.objects.get(pk=event["id"])
    seen_s = (prompt.opened_at - prompt.fault_since).total_seconds()
    confirming = time.perf_counter()
    switchover = confirm_failover(prompt, "benchmark", "site-b", "benchmark", run=run_here)
    switch_s = time.perf_counter() - confirming
    switchover.refresh_from_db()
    assert switchover.state == "done", switchover.error
    steps = step_seconds(switchover)
    print(f"prompt {prompt_s:.2f} s after the stop ({seen_s:.2f} s after the fault was "
          f"seen); failover {switch_s:.2f} s: {steps}", flush=True)
    services.start(bench.layout, [webhdfs])
    rollback_failover(switchover, "benchmark", "site-a", "benchmark", run=run_here)
    wait_recovered()
    return {"prompt_s": prompt_s, "seen_s": seen_s, "switch_s": switch_s,
            "identity_s": steps["primary_written"], "rolled_back_s": steps["rolled_back"]}


def wait_recovered() -> None:
    """Until the monitor has ended site-a's fault: site-a answered for the recovery
    period (the next run's fault is a new one)."""
    from django.conf import settings

    from failover.models import ClusterStatus

    deadline = time.monotonic() + settings.LOCKSTEP_FAULT_RECOVERY + 30
    while time.monotonic() < deadline and not ClusterStatus.objects.filter(
            cluster__name="site-a", unhealthy_since__isnull=True, healthy=True).exists():
        time.sleep(1)
    time.sleep(settings.LOCKSTEP_MONITOR_INTERVAL * 2)


def protected(bench: Bench) -> list:
    """The two services, each with a consistent round; their restore points."""
    from backups.models import RoundState

    pairing = bench.pair()
    seed(bench)
    services = [bench.service(pairing, [BILLS], "bill clearing", tables=(TABLE,)),
                bench.service(pairing, [ARCHIVE], "archive")]
    for service in services:
        round_ = bench.run_round(service)
        assert round_.state == RoundState.CONSISTENT, round_.reason
    return [service.restore_points.get() for service in services]


def main() -> None:
    with Bench(NAME, OFFSET) as bench:
        points = protected(bench)
        monitor = subprocess.Popen([sys.executable, "manage.py", "monitor"], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            runs = [one_run(bench) for _ in range(RUNS)]
        finally:
            monitor.terminate()
            monitor.wait(timeout=60)
        half_copied(bench)
        copy_s = copy_back(bench, points)
        figures = {
            "prompt_after_stop_s": spread([r["prompt_s"] for r in runs], 2),
            "prompt_after_fault_seen_s": spread([r["seen_s"] for r in runs], 2),
            "confirm_to_identity_written_s": spread([r["identity_s"] for r in runs], 2),
            "confirm_to_rolled_back_s": spread([r["rolled_back_s"] for r in runs], 2),
            "failover_total_s": spread([r["switch_s"] for r in runs], 2),
            "runs": len(runs), "load": load()}
        baseline = {"copy_restore_points_back_s": round(copy_s, 2)}
        targets = {"prompt_after_fault_seen_s_max": PROMPT_TARGET_S,
                   "confirm_to_identity_written_s_max": SWITCH_TARGET_S}
        met = (max(r["seen_s"] for r in runs) <= PROMPT_TARGET_S
               and max(r["identity_s"] for r in runs) < SWITCH_TARGET_S)
        report(NAME, figures, baseline, targets, met)


if __name__ == "__main__":
    main()
