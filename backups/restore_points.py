"""The end of a round: once every data set is verified, table metadata is applied on the
target and the target snapshots the group (the restore point, S909); then retention.
A round is consistent only here."""

import logging

from backups import fencing
from backups.events import publish_round
from backups.metadata import apply_table
from backups.models import Component, RestorePoint, Round, RoundState, TaskState
from backups.retention import (
    RetentionHeld,
    apply_retention,
    drop_retry_snapshots,
    drop_round_snapshot,
)
from backups.transitions import move_round
from backups.verification import verify_round
from console.clusters import hiveserver2_of, webhdfs_of
from userdata.syncing import request_after_round

log = logging.getLogger(__name__)


def finish_round(round_id: int) -> None:
    """After every task: apply metadata, take the restore point, apply retention."""
    round_ = Round.objects.select_related("service", "source", "target").get(pk=round_id)
    if round_.state != RoundState.REPLICATING:
        return
    # Before any fencing: these are failed rounds' snapshots, no restore point's and no
    # diff's base, and stale once this round started, whatever its epoch.
    drop_retry_snapshots(round_)
    tasks = list(round_.tasks.all())
    files, bytes_ = sum(t.files_done for t in tasks), sum(t.bytes_done for t in tasks)
    failed = [t for t in tasks if t.state != TaskState.VERIFIED]
    if failed:
        reasons = "; ".join(f"{t.locator}: {t.error or 'did not finish'}" for t in failed)
        # Its snapshot stays on the source: the failed copies may be retried from it
        # (backups/retrying.py) until a newer round starts, whose finish drops it.
        move_round(round_, RoundState.FAILED, reasons, files=files, bytes=bytes_)
        return
    if not fencing.may_write(round_) or not move_round(round_, RoundState.FINALIZING,
                                                        files=files, bytes=bytes_):
        return
    try:
        verify_round(round_)
        if not fencing.may_write(round_):
            return
        apply_metadata(round_)
        if not fencing.may_write(round_):
            return
        _take_restore_point(round_)
    except Exception as error:
        drop_round_snapshot(round_)
        move_round(round_, RoundState.FAILED, f"restore point not taken: {error}")
        raise
    crash = round_.crash_reason
    if move_round(round_, RoundState.CRASH_CONSISTENT if crash else RoundState.CONSISTENT,
                  crash):
        _sync_user_data(round_)
        _retain(round_)


def _sync_user_data(round_: Round) -> None:
    """Queue the pairing's user-data sync. The round's verdict and its retention stand
    whatever becomes of it: its run, shown on the round page, says how it went."""
    try:
        request_after_round(round_)
    except Exception:
        log.exception("the user-data sync after round %s was not queued", round_.pk)


def _retain(round_: Round) -> None:
    """Apply retention, unless the epoch moved since the restore point was taken or a
    failover of the pairing holds every snapshot."""
    why = fencing.epoch_mismatch(round_)
    if not why:
        try:
            apply_retention(round_)
            return
        except RetentionHeld as held:
            why = str(held)
        except Exception as error:
            _note_retention_error(round_, f"retention failed, old snapshots kept: {error}")
            raise
    _note_retention_error(round_, f"retention skipped, old snapshots kept: {why}")


def _note_retention_error(round_: Round, error: str) -> None:
    # The restore point stands; old snapshots stay until a later round's retention.
    Round.objects.filter(pk=round_.pk).update(retention_error=error)
    round_.refresh_from_db()
    publish_round(round_)


def apply_metadata(round_: Round) -> None:
    """Create the round's tables on its target over the data copied there, as captured at
    its moment (also what a failover applies again after reverting to the round's point)."""
    assert round_.target is not None  # frozen when it was prepared
    prefix = round_.target.table_location_prefix
    tables = list(round_.tasks.exclude(component=Component.HDFS))
    if not tables:
        return
    with hiveserver2_of(round_.target).session() as hive:
        for task in tables:
            apply_table(hive, round_.metadata[task.locator], prefix + task.storage_path)


def _take_restore_point(round_: Round) -> None:
    assert round_.target is not None  # frozen when it was prepared
    client = webhdfs_of(round_.target)
    snapshottable = {d.path for d in client.snapshottable_dirs()}
    for root in round_.snapshot_times:
        if root not in snapshottable:
            client.allow_snapshot(root)
        client.create_snapshot(root, round_.snapshot_name)
    RestorePoint.objects.create(
        service=round_.service, round=round_, cluster=round_.target,
        snapshot_roots=list(round_.snapshot_times), name=round_.snapshot_name,
        moment=round_.moment)
