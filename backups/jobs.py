"""RQ entry points: thin shells over the round's modules, named by the patent's steps."""

from backups import copying, restore_points, snapshotting
from backups.models import Round
from backups.retention import drop_round_snapshot


def snapshot_round(round_id: int) -> None:
    snapshotting.snapshot_round(round_id)


def replicate_data_set(task_id: int) -> None:
    copying.replicate_data_set(task_id)


def finish_round(round_id: int) -> None:
    restore_points.finish_round(round_id)


def drop_snapshots_of_round(round_id: int) -> None:
    round_ = Round.objects.select_related("source").get(pk=round_id)
    drop_round_snapshot(round_)
