"""The snapshot at T (the patent's third and fifth instructions), on the source's queue.

A round's snapshot runs on its own thread of its moment's dispatch (backups/dispatching.py),
once it is claimed: it checks clocks and storage areas, captures table metadata, waits
for T on the monotonic clock, snapshots the group (one snapshot of the shared root in
atomic mode, one per root in parallel in synchronized mode, verified by a second
snapshot and a diff), then hands every data set to replication.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db.models import QuerySet

from adapters.hiveserver2 import Queries
from adapters.webhdfs import WebHdfs
from backups import fencing, queueing
from backups.discovery import check_storage, storage_areas
from backups.metadata import capture_table, hdfs_path_of_location, split_table_name
from backups.models import Component, Consistency, DataSetTask, Round, RoundState
from backups.replication import relative_entries, relative_to
from backups.retention import drop_snapshots
from backups.transitions import move_round
from console import clock
from console.clusters import hiveserver2_of, measure_skew, webhdfs_of
from console.models import Cluster
from console.paths import is_within


def snapshot_round(round_id: int) -> None:
    """One round's own snapshot job: claim the round, then snapshot it at T. A round that
    another job claimed or that moved on (cancelled, this job re-run) is left alone."""
    for round_ in claim(Round.objects.filter(pk=round_id)):
        snapshot_claimed(round_)


def claim(rounds: QuerySet[Round]) -> Iterator[Round]:
    """Each of `rounds` still scheduled that the caller now holds (moved to waiting for
    T), as soon as it holds it: a conditional update, so of two jobs that would snapshot
    a round, one does."""
    for round_ in rounds.filter(state=RoundState.SCHEDULED).select_related(
            "service__tenant", "source", "target"):
        if move_round(round_, RoundState.WAITING):
            yield round_


def snapshot_claimed(round_: Round) -> None:
    """Wait for T, snapshot the group of `round_` (claimed by the caller), then start
    replication; a round that moved on meanwhile (cancelled, fenced) is left alone."""
    assert round_.source is not None  # frozen when it was prepared
    client = webhdfs_of(round_.source)
    roots: dict[str, list[str]] = {}
    names = {round_.snapshot_name, check_name(round_.snapshot_name)}
    try:
        _check_clocks(round_)
        _check_storage(round_)
        if not fencing.may_write(round_):
            return
        roots = _snapshot_roots(round_, client)
        before = _capture_metadata(round_)
        with ThreadPoolExecutor(max_workers=len(roots)) as pool:
            _warm_up(client, list(roots), pool)
            clock.sleep_until(round_.moment)
            times = _take(client, list(roots), round_.snapshot_name, pool)
        # The round's duration runs from T: waiting for it is not work.
        if not move_round(round_, RoundState.SNAPSHOTTING, started_at=clock.now()):
            drop_snapshots(client, list(roots), names)
            return
        metadata = _capture_metadata(round_)
        crash = "" if metadata == before else "table metadata changed around T"
        if round_.consistency == Consistency.SYNCHRONIZED:
            times, unverified = _verify_synchronized(round_, client, roots, times)
            # Either finding makes the point crash-consistent; neither hides the other.
            crash = "; ".join(found for found in (crash, unverified) if found)
    except Exception as error:
        # A snapshot taken before the failure is no restore point's base: drop it.
        drop_snapshots(client, list(roots), names)
        move_round(round_, RoundState.FAILED, f"snapshot at T failed: {error}")
        raise
    base = _base_round(round_, client, list(roots))
    moment_ms = round_.moment.timestamp() * 1000
    # Only from snapshotting: a failed round moves to replicating when it is retried.
    if not move_round(
        round_, RoundState.REPLICATING, crash, only_from={RoundState.SNAPSHOTTING},
        crash_reason=crash, snapshot_times=times, metadata=metadata,
        skew_ms=max(times.values()) - min(times.values()),
        moment_error_ms=max(abs(t - moment_ms) for t in times.values()),
        base=base, full_copy=base is None,
        verification_attempts=round_.verification_attempts,
    ):
        drop_snapshots(client, list(roots), names)
        return
    queueing.enqueue_replication(round_, list(round_.tasks.all()))


def check_name(name: str) -> str:
    """The synchronized mode's verification snapshot of the snapshot `name`."""
    return f"{name}-check"


def _check_clocks(round_: Round) -> None:
    """T means one instant on both sides only while their clocks agree with ours."""
    limit = settings.LOCKSTEP_MAX_CLOCK_SKEW
    for cluster in (round_.source, round_.target):
        assert cluster is not None  # frozen when it was prepared
        skew = measure_skew(cluster)
        if skew.magnitude > limit:
            raise RuntimeError(f"{cluster}'s clock is {skew.offset:+.3f} s from the console's, "
                               f"over the {limit:g} s limit: synchronise it (NTP)")


def _check_storage(round_: Round) -> None:
    """Every data set still lies in its tenant's storage areas: roots and table
    warehouses change, and a group saved before a check existed is checked here too."""
    tenant = round_.service.tenant
    assert round_.source is not None  # frozen when it was prepared
    areas = storage_areas(round_.source, tenant)
    for task in round_.tasks.all():
        check_storage(round_.source, tenant, task.locator, task.storage_path, areas)


def _snapshot_roots(round_: Round, client: WebHdfs) -> dict[str, list[str]]:
    """Snapshottable root → storage paths under it: one root in atomic mode."""
    paths = list(round_.tasks.values_list("storage_path", flat=True))
    assert round_.source is not None  # frozen when it was prepared
    if round_.consistency == Consistency.ATOMIC:
        return {round_.source.snapshot_root: paths}
    snapshottable = [d.path for d in client.snapshottable_dirs()]
    roots: dict[str, list[str]] = {}
    for path in paths:
        root = next((r for r in snapshottable if is_within(path, r)), None)
        if root is None:
            raise RuntimeError(f"{path} lies under no snapshottable directory on "
                               f"{round_.source}: an administrator must allow snapshots on "
                               "one of its parents")
        roots.setdefault(root, []).append(path)
    return roots


def _capture_metadata(round_: Round) -> dict:
    cluster = round_.source
    assert cluster is not None  # frozen when it was prepared
    captured: dict[str, dict] = {}
    tables = list(round_.tasks.exclude(component=Component.HDFS))
    if not tables:
        return captured
    with hiveserver2_of(cluster).session() as hive:
        for task in tables:
            captured[task.locator] = _captured(cluster, hive, task)
    return captured


def _captured(cluster: Cluster, hive: Queries, task: DataSetTask) -> dict:
    """The task's table as it is now, refused when it moved since it was protected."""
    table = capture_table(hive, *split_table_name(task.locator))
    moved_to = hdfs_path_of_location(table["location"], cluster.table_location_prefix)
    if moved_to != task.storage_path:
        # Copying the old directory would restore files the table no longer reads.
        raise RuntimeError(
            f"table {task.locator} moved from {task.storage_path} to {moved_to} "
            "since it was protected: save the service again to protect its new location"
        )
    return table


def _take(client: WebHdfs, roots: list[str], name: str,
          pool: ThreadPoolExecutor | None = None) -> dict[str, int]:
    """Snapshot every root at once (on `pool`'s threads when given); return each
    snapshot's creation time (server, ms)."""
    if len(roots) == 1:
        client.create_snapshot(roots[0], name)
    elif pool is not None:
        list(pool.map(lambda root: client.create_snapshot(root, name), roots))
    else:
        with ThreadPoolExecutor(max_workers=len(roots)) as threads:
            list(threads.map(lambda root: client.create_snapshot(root, name), roots))
    return {root: next(s.created for s in client.snapshots(root) if s.name == name)
            for root in roots}


def _warm_up(client: WebHdfs, roots: list[str], pool: ThreadPoolExecutor) -> None:
    """Open a kept-alive connection per root and start the threads before T, so that
    at T only the snapshot requests themselves remain."""
    list(pool.map(lambda root: client.status(root), roots))


def _changed_between(client: WebHdfs, roots: dict[str, list[str]], first: str,
                     second: str) -> list[str]:
    changed = []
    for root, paths in roots.items():
        entries = client.snapshot_diff(root, first, second).entries
        for path in paths:
            changed += [f"{path}: {e.kind} {e.source}" for e in
                        relative_entries(entries, relative_to(root, path))
                        if e.source or e.kind != "MODIFY"]
    return changed


def _verify_synchronized(round_: Round, client: WebHdfs, roots: dict[str, list[str]],
                         times: dict[str, int]) -> tuple[dict[str, int], str]:
    """Snapshot again and diff: a point is consistent only if nothing changed between.
    Returns the snapshot times and, when never verified, why."""
    name = round_.snapshot_name
    for attempt in range(1, settings.LOCKSTEP_VERIFY_ATTEMPTS + 1):
        round_.verification_attempts = attempt
        check = check_name(name)
        _take(client, list(roots), check)
        changed = _changed_between(client, roots, name, check)
        over_limit = max(times.values()) - min(times.values()) > (
            round_.skew_limit.total_seconds() * 1000)
        for root in roots:
            client.delete_snapshot(root, check)
        if not changed and not over_limit:
            return times, ""
        if attempt < settings.LOCKSTEP_VERIFY_ATTEMPTS:
            for root in roots:
                client.delete_snapshot(root, name)
            times = _take(client, list(roots), name)
    why = "the group changed between its snapshots" if changed else "skew over the limit"
    return times, f"not verified after {settings.LOCKSTEP_VERIFY_ATTEMPTS} attempts: {why}"


def _base_round(round_: Round, source: WebHdfs, roots: list[str]) -> Round | None:
    """The newest consistent round whose restore point exists on this round's target and
    whose snapshot still exists on its source: diffs start there. None: copy in full."""
    candidates = round_.service.rounds.filter(
        state=RoundState.CONSISTENT, moment__lt=round_.moment, source=round_.source,
        restore_point__cluster=round_.target)
    on_source = [{s.name for s in source.snapshots(root)} for root in roots]
    return next((c for c in candidates if all(c.snapshot_name in names for names in on_source)),
                None)
