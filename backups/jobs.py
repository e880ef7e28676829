"""RQ entry points: thin shells over backups.rounds, named by the patent's steps."""

from backups import rounds


def snapshot_round(round_id: int) -> None:
    rounds.snapshot_round(round_id)


def replicate_data_set(task_id: int) -> None:
    rounds.replicate_data_set(task_id)


def finish_round(round_id: int) -> None:
    rounds.finish_round(round_id)


def schedule() -> None:
    rounds.schedule_due_rounds()
