"""A round, step by step: prepare ahead of T, snapshot at T, replicate each data set,
then apply table metadata and take the secondary's restore point.

Each step is an RQ job (backups/jobs.py) that calls one function here. A round is
reported consistent only after every data set was copied and verified and the
restore point exists; anything else ends failed or crash-consistent, with the reason.
"""

import logging
import posixpath
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import django_rq
from django.conf import settings
from django.db import IntegrityError, transaction
from rq import Retry
from rq.job import Dependency

from adapters.webhdfs import WebHdfs
from backups.discovery import check_storage, storage_areas
from backups.events import publish_round, publish_task
from backups.metadata import (
    apply_table,
    capture_table,
    hdfs_path_of_location,
    split_table_name,
)
from backups.models import (
    BackupPolicy,
    Component,
    Consistency,
    DataSetTask,
    Direction,
    RestorePoint,
    Round,
    RoundState,
    Service,
    TaskState,
)
from backups.replication import Progress, Tree, relative_entries, sync_data_set
from backups.scheduling import moments_between, next_moment
from console import clock
from console.clusters import hiveserver2_of, measure_skew, webhdfs_of
from console.models import Cluster
from console.paths import is_within

log = logging.getLogger(__name__)
MAX_MISSED_RECORDED = 100


def snapshot_name(service: Service, moment: datetime) -> str:
    return f"lockstep-s{service.pk}-{moment.astimezone(UTC):%Y%m%dT%H%M%S.%f}"[:-3] + "Z"


# --- preparing rounds ahead of their moment -------------------------------------------


def prepare_round(service: Service, moment: datetime) -> Round | None:
    """Record the round at `moment` and enqueue its snapshot job; None if it exists."""
    previous = service.rounds.filter(moment__lt=moment).first()
    try:
        with transaction.atomic():
            round_ = Round.objects.create(service=service, moment=moment)
    except IntegrityError:
        return None
    if previous is not None and not previous.finished:
        _end(round_, RoundState.SKIPPED,
             f"the round at {previous.moment:%H:%M:%S} had not finished ({previous.state})")
        return round_
    transaction.on_commit(lambda: django_rq.get_queue("primary-site").enqueue(
        "backups.jobs.snapshot_round", round_.pk, job_timeout=3600))
    publish_round(round_)
    return round_


def record_missed(policy: BackupPolicy, now: datetime) -> list[Round]:
    """Moments that passed with no round (console or workers down): shown as gaps."""
    last = policy.service.rounds.first()
    since = max(last.moment if last else policy.first_moment - timedelta(microseconds=1),
                policy.updated_at)
    missed = moments_between(policy.first_moment, policy.period, since,
                             now - timedelta(seconds=settings.LOCKSTEP_ROUND_LEAD))
    rounds = []
    for moment in missed[-MAX_MISSED_RECORDED:]:
        rounds.append(Round.objects.create(
            service=policy.service, moment=moment, state=RoundState.MISSED,
            reason="no round was prepared: the console's scheduler or its workers were down"))
    return rounds


def schedule_due_rounds(now: datetime | None = None) -> list[Round]:
    """Prepare every enabled policy's next round that falls within the lead time."""
    now = now or clock.now()
    lead = timedelta(seconds=settings.LOCKSTEP_ROUND_LEAD)
    prepared = []
    policies = BackupPolicy.objects.filter(enabled=True, service__pairing__isnull=False)
    for policy in policies.select_related("service"):
        record_missed(policy, now)
        moment = next_moment(policy.first_moment, policy.period, now)
        if moment is not None and moment - now <= lead:
            round_ = prepare_round(policy.service, moment)
            if round_ is not None:
                prepared.append(round_)
    return prepared


def run_now(service: Service) -> Round:
    """A round a few seconds from now, outside the policy's schedule."""
    moment = clock.now().replace(microsecond=0) + timedelta(seconds=3)
    round_ = prepare_round(service, moment)
    if round_ is None:
        raise ValueError("a round at that moment exists already")
    return round_


# --- the snapshot at T ------------------------------------------------------------------


def _end(round_: Round, state: str, reason: str = "") -> None:
    round_.state = state
    round_.reason = reason
    round_.finished_at = clock.now()
    round_.save()
    publish_round(round_)


def _snapshot_roots(service: Service, client: WebHdfs) -> dict[str, list[str]]:
    """Snapshottable root → storage paths under it: one root in atomic mode."""
    cluster = service.pairing.primary
    paths = list(service.data_sets.values_list("storage_path", flat=True))
    if service.policy.consistency == Consistency.ATOMIC:
        return {cluster.snapshot_root: paths}
    snapshottable = [d.path for d in client.snapshottable_dirs()]
    roots: dict[str, list[str]] = {}
    for path in paths:
        root = next((r for r in snapshottable if is_within(path, r)), None)
        if root is None:
            raise RuntimeError(f"{path} lies under no snapshottable directory on {cluster}: "
                               "an administrator must allow snapshots on one of its parents")
        roots.setdefault(root, []).append(path)
    return roots


def _check_clocks(service: Service) -> None:
    """T means one instant on both sides only while their clocks agree with ours."""
    limit = settings.LOCKSTEP_MAX_CLOCK_SKEW
    for cluster in (service.pairing.primary, service.pairing.secondary):
        skew = measure_skew(cluster)
        if skew.magnitude > limit:
            raise RuntimeError(f"{cluster}'s clock is {skew.offset:+.3f} s from the console's, "
                               f"over the {limit:g} s limit: synchronise it (NTP)")


def _check_storage(service: Service) -> None:
    """Every data set still lies in its tenant's storage areas: roots and table
    warehouses change, and a group saved before a check existed is checked here too."""
    cluster = service.pairing.primary
    areas = storage_areas(cluster, service.tenant)
    for data_set in service.data_sets.all():
        check_storage(cluster, service.tenant, data_set.locator, data_set.storage_path, areas)


def _capture_metadata(service: Service) -> dict:
    cluster = service.pairing.primary
    hive = hiveserver2_of(cluster)
    captured = {}
    for data_set in service.data_sets.exclude(component=Component.HDFS):
        table = capture_table(hive, *split_table_name(data_set.locator))
        moved_to = hdfs_path_of_location(table["location"], cluster.table_location_prefix)
        if moved_to != data_set.storage_path:
            # Copying the old directory would restore files the table no longer reads.
            raise RuntimeError(
                f"table {data_set.locator} moved from {data_set.storage_path} to {moved_to} "
                "since it was protected: save the service again to protect its new location"
            )
        captured[data_set.locator] = table
    return captured


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
            relative = posixpath.relpath(path, root) if path != root else ""
            changed += [f"{path}: {e.kind} {e.source}" for e in
                        relative_entries(entries, "" if relative == "." else relative)
                        if e.source or e.kind != "MODIFY"]
    return changed


def snapshot_round(round_id: int) -> None:
    """The primary-site job: wait for T, snapshot the group, then start replication."""
    round_ = Round.objects.select_related("service__pairing__primary", "service__tenant",
                                          "service__policy").get(pk=round_id)
    service = round_.service
    client = webhdfs_of(service.pairing.primary)
    round_.snapshot_name = snapshot_name(service, round_.moment)
    round_.save()
    roots: dict[str, list[str]] = {}
    try:
        _check_clocks(service)
        _check_storage(service)
        roots = _snapshot_roots(service, client)
        before = _capture_metadata(service)
        with ThreadPoolExecutor(max_workers=len(roots)) as pool:
            _warm_up(client, list(roots), pool)
            clock.sleep_until(round_.moment)
            times = _take(client, list(roots), round_.snapshot_name, pool)
        # The round's duration runs from T: waiting for it is not work.
        round_.state, round_.started_at = RoundState.SNAPSHOTTING, clock.now()
        publish_round(round_)
        round_.metadata = _capture_metadata(service)
        crash = "" if round_.metadata == before else "table metadata changed around T"
        if service.policy.consistency == Consistency.SYNCHRONIZED:
            times, crash = _verify_synchronized(round_, client, roots, times) or (times, crash)
    except Exception as error:
        # A snapshot taken before the failure is no restore point's base: drop it.
        _drop_snapshots(client, list(roots),
                        {round_.snapshot_name, _check_name(round_.snapshot_name)})
        _end(round_, RoundState.FAILED, f"snapshot at T failed: {error}")
        raise
    moment_ms = round_.moment.timestamp() * 1000
    round_.snapshot_times = times
    round_.skew_ms = max(times.values()) - min(times.values())
    round_.moment_error_ms = max(abs(t - moment_ms) for t in times.values())
    round_.base = _base_round(service, round_)
    round_.full_copy = round_.base is None
    round_.reason = crash
    round_.state = RoundState.REPLICATING
    round_.save()
    _start_replication(round_, roots)


def _verify_synchronized(round_: Round, client: WebHdfs, roots: dict[str, list[str]],
                         times: dict[str, int]) -> tuple[dict[str, int], str] | None:
    """Snapshot again and diff: a point is consistent only if nothing changed between."""
    name = round_.snapshot_name
    for attempt in range(1, settings.LOCKSTEP_VERIFY_ATTEMPTS + 1):
        round_.verification_attempts = attempt
        check = _check_name(name)
        _take(client, list(roots), check)
        changed = _changed_between(client, roots, name, check)
        over_limit = max(times.values()) - min(times.values()) > (
            round_.service.policy.skew_limit.total_seconds() * 1000)
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


def _check_name(name: str) -> str:
    return f"{name}-check"


def _base_round(service: Service, round_: Round) -> Round | None:
    """The newest consistent round whose restore point still exists: diffs start there."""
    return (service.rounds.filter(state=RoundState.CONSISTENT, moment__lt=round_.moment,
                                  restore_point__isnull=False).first())


def _start_replication(round_: Round, roots: dict[str, list[str]]) -> None:
    policy = round_.service.policy
    queue = django_rq.get_queue("secondary-site" if policy.direction == Direction.PULL
                                else "primary-site")
    tasks = [DataSetTask.objects.create(round=round_, component=d.component, locator=d.locator,
                                        storage_path=d.storage_path)
             for d in round_.service.data_sets.all()]
    intervals = settings.LOCKSTEP_TASK_RETRY_INTERVALS
    retry = Retry(max=len(intervals), interval=intervals)
    jobs = [queue.enqueue("backups.jobs.replicate_data_set", task.pk, retry=retry,
                          job_timeout=3 * 3600) for task in tasks]
    django_rq.get_queue("control").enqueue(
        "backups.jobs.finish_round", round_.pk,
        depends_on=Dependency(jobs=jobs, allow_failure=True), job_timeout=3600)
    publish_round(round_)


# --- replicating one data set -----------------------------------------------------------


def _root_of(round_: Round, path: str) -> str:
    return next(root for root in round_.snapshot_times if is_within(path, root))


def _relative(path: str, root: str) -> str:
    return "" if path == root else posixpath.relpath(path, root)


def replicate_data_set(task_id: int) -> None:
    """Make the secondary's copy of one data set equal to the primary's snapshot."""
    task = DataSetTask.objects.select_related(
        "round__service__pairing__primary", "round__service__pairing__secondary",
        "round__base").get(pk=task_id)
    round_ = task.round
    pairing = round_.service.pairing
    source_client, target_client = webhdfs_of(pairing.primary), webhdfs_of(pairing.secondary)
    root = _root_of(round_, task.storage_path)
    relative = _relative(task.storage_path, root)
    task.state, task.attempts, task.error = TaskState.COPYING, task.attempts + 1, ""
    task.files_done = task.bytes_done = task.files_total = task.bytes_total = 0
    task.save()
    progress = Progress(report=_reporter(task, round_.service.tenant_id))
    target = Tree(target_client, task.storage_path)
    try:
        entries = None
        if round_.base is not None:
            base = round_.base.snapshot_name
            _roll_back_target(round_, target, root, relative, base)
            diff = source_client.snapshot_diff(root, base, round_.snapshot_name)
            entries = relative_entries(diff.entries, relative)
        source = Tree(source_client,
                      posixpath.join(root, ".snapshot", round_.snapshot_name, relative))
        sync_data_set(source, target, entries, progress)
    except Exception as error:
        task.state, task.error = TaskState.FAILED, str(error)
        _save_progress(task, progress)
        publish_task(task, round_.service.tenant_id)
        raise
    task.state = TaskState.VERIFIED
    _save_progress(task, progress)
    publish_task(task, round_.service.tenant_id)


def _roll_back_target(round_: Round, target: Tree, root: str, relative: str,
                      base: str) -> None:
    """Undo what changed on the secondary since its restore point, and list it."""
    client = target.client
    changed = relative_entries(client.snapshot_diff(root, base, "").entries, relative)
    if not changed:
        return
    back = relative_entries(client.snapshot_diff(root, "", base).entries, relative)
    undo = Progress()
    sync_data_set(Tree(client, posixpath.join(root, ".snapshot", base, relative)), target,
                  back, undo)
    with transaction.atomic():
        fresh = Round.objects.select_for_update().get(pk=round_.pk)
        fresh.rolled_back = [*fresh.rolled_back,
                             *(f"{target.path}: {change}" for change in undo.changes)]
        fresh.save(update_fields=["rolled_back"])


def _reporter(task: DataSetTask, tenant_id: int):
    last = [0.0]

    def report(progress: Progress) -> None:
        # At most a few database writes and pushes a second, whatever the file count.
        if clock.monotonic() - last[0] < 0.5 and progress.files_done < progress.files_total:
            return
        last[0] = clock.monotonic()
        _save_progress(task, progress)
        publish_task(task, tenant_id)

    return report


def _save_progress(task: DataSetTask, progress: Progress) -> None:
    task.files_total, task.bytes_total = progress.files_total, progress.bytes_total
    task.files_done, task.bytes_done = progress.files_done, progress.bytes_done
    task.changes = progress.changes[-1000:]
    task.save()


# --- metadata, restore point, retention -------------------------------------------------


def finish_round(round_id: int) -> None:
    """After every task: apply metadata, take the restore point, apply retention."""
    round_ = Round.objects.select_related("service__pairing__secondary",
                                          "service__pairing__primary",
                                          "service__policy").get(pk=round_id)
    tasks = list(round_.tasks.all())
    round_.files = sum(t.files_done for t in tasks)
    round_.bytes = sum(t.bytes_done for t in tasks)
    failed = [t for t in tasks if t.state != TaskState.VERIFIED]
    primary = webhdfs_of(round_.service.pairing.primary)
    if failed:
        reasons = "; ".join(f"{t.locator}: {t.error or 'did not finish'}" for t in failed)
        _drop_snapshot(primary, round_)
        _end(round_, RoundState.FAILED, reasons)
        return
    secondary_cluster = round_.service.pairing.secondary
    round_.state = RoundState.FINALIZING
    round_.save()
    try:
        _apply_metadata(round_, secondary_cluster)
        _take_restore_point(round_, secondary_cluster)
    except Exception as error:
        _drop_snapshot(primary, round_)
        _end(round_, RoundState.FAILED, f"restore point not taken: {error}")
        raise
    crash = round_.reason
    _end(round_, RoundState.CRASH_CONSISTENT if crash else RoundState.CONSISTENT, crash)
    try:
        apply_retention(round_.service)
    except Exception as error:
        # The restore point stands; old snapshots stay until a later round's retention.
        round_.retention_error = f"retention failed, old snapshots kept: {error}"
        round_.save(update_fields=["retention_error"])
        publish_round(round_)
        raise


def _apply_metadata(round_: Round, secondary: Cluster) -> None:
    hive = hiveserver2_of(secondary)
    prefix = secondary.table_location_prefix
    for data_set in round_.tasks.exclude(component=Component.HDFS):
        apply_table(hive, round_.metadata[data_set.locator], prefix + data_set.storage_path)


def _take_restore_point(round_: Round, secondary: Cluster) -> None:
    client = webhdfs_of(secondary)
    snapshottable = {d.path for d in client.snapshottable_dirs()}
    for root in round_.snapshot_times:
        if root not in snapshottable:
            client.allow_snapshot(root)
        client.create_snapshot(root, round_.snapshot_name)
    RestorePoint.objects.create(
        service=round_.service, round=round_, cluster=secondary,
        snapshot_roots=list(round_.snapshot_times), name=round_.snapshot_name,
        moment=round_.moment)


def _drop_snapshot(client: WebHdfs, round_: Round) -> None:
    _drop_snapshots(client, list(round_.snapshot_times), {round_.snapshot_name})


def _drop_snapshots(client: WebHdfs, roots: list[str], names: set[str]) -> None:
    """Delete the snapshots `names` of each root that has them; best effort, logged."""
    for root in roots:
        try:
            for name in names & {snapshot.name for snapshot in client.snapshots(root)}:
                client.delete_snapshot(root, name)
        except Exception:
            log.warning("could not delete snapshots %s of %s", sorted(names), root)


def apply_retention(service: Service) -> list[str]:
    """Delete restore points beyond the policy's count (secondary) and primary snapshots
    that no future diff needs (all but the newest consistent round's)."""
    removed = []
    keep = service.policy.retention
    secondary = webhdfs_of(service.pairing.secondary)
    for point in service.restore_points.all()[keep:]:
        for root in point.snapshot_roots:
            secondary.delete_snapshot(root, point.name)
        removed.append(point.name)
        point.delete()
    newest = service.rounds.filter(state=RoundState.CONSISTENT).first()
    primary = webhdfs_of(service.pairing.primary)
    stale = service.rounds.exclude(pk=newest.pk if newest else None).filter(
        state__in=[RoundState.CONSISTENT, RoundState.CRASH_CONSISTENT],
        moment__lt=newest.moment if newest else clock.now()).exclude(snapshot_name="")
    for old in stale:
        for root in old.snapshot_times:
            existing = {s.name for s in primary.snapshots(root)}
            if old.snapshot_name in existing:
                primary.delete_snapshot(root, old.snapshot_name)
    return removed
