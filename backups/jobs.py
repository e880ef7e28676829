"""RQ entry points: thin shells over the round's modules, named by the patent's steps."""

from datetime import datetime

from backups import copying, dispatching, restore_points, snapshotting
from backups.models import Round
from backups.retention import drop_round_snapshot


def dispatch_moment(source_id: int, moment: datetime) -> None:
    dispatching.dispatch_moment(source_id, moment)


def snapshot_round(round_id: int) -> None:
    """One round's snapshot as a job of its own, as before moments were dispatched (the
    baseline of benchmarks/shared_moment.py); its claim keeps it from a dispatch's way."""
    snapshotting.snapshot_round(round_id)


def replicate_data_set(task_id: int) -> None:
    copying.replicate_data_set(task_id)


def finish_round(round_id: int) -> None:
    restore_points.finish_round(round_id)


def drop_snapshots_of_round(round_id: int) -> None:
    round_ = Round.objects.select_related("source").get(pk=round_id)
    drop_round_snapshot(round_)
