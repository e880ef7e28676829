"""The round and data-set task state machines: which moves are allowed, and the one
function each that makes a move.

A move is a conditional UPDATE (allowed from-states only): of two processes that try to
move one round — a retried job, a second worker, the reaper, an operator's cancel —
exactly one wins, and the loser learns it and stops. Nothing else writes `state`.
"""

from django.db import transaction
from django.db.models import F

from backups.events import publish_round, publish_task
from backups.models import FINAL_STATES, DataSetTask, Round, RoundState, Service, TaskState
from console import clock
from notifications import reports

R, T = RoundState, TaskState

# A round that has not ended may always be fenced (a failover moved the epoch) or
# superseded (a newer round started): see backups/fencing.py.
STOPS = {R.FENCED, R.SUPERSEDED}
ROUND_MOVES: dict[str, set[str]] = {
    # Waiting for T is the claim on a round's snapshot: of two jobs that would take it
    # (a moment's dispatch run twice, a per-round job), exactly one moves it there.
    R.SCHEDULED: {R.WAITING, R.FAILED, R.CANCELLED, *STOPS},
    R.WAITING: {R.SNAPSHOTTING, R.FAILED, R.CANCELLED, *STOPS},
    R.SNAPSHOTTING: {R.REPLICATING, R.FAILED, R.CANCELLED, *STOPS},
    R.REPLICATING: {R.FINALIZING, R.FAILED, R.CANCELLED, *STOPS},
    # Not cancellable: the restore point is being taken, and stopping half-way would
    # leave tables applied without their point.
    R.FINALIZING: {R.CONSISTENT, R.CRASH_CONSISTENT, R.FAILED, *STOPS},
    # A retry of the failed copies (backups/retrying.py), from the round's own snapshot.
    R.FAILED: {R.REPLICATING},
}

TASK_MOVES: dict[str, set[str]] = {
    T.PENDING: {T.COPYING, T.FAILED, T.CANCELLED},
    # COPYING → COPYING: the job is re-run after its worker died mid-copy.
    T.COPYING: {T.COPYING, T.VERIFIED, T.FAILED, T.CANCELLED},
    # FAILED → COPYING: RQ retries the copy job; → PENDING: its round is retried.
    T.FAILED: {T.PENDING, T.COPYING, T.CANCELLED},
}


def _sources(moves: dict[str, set[str]], to: str) -> list[str]:
    return [state for state, targets in moves.items() if to in targets]


def move_round(round_: Round, to: str, reason: str | None = None, *,
               only_from: set[str] | None = None, **fields) -> bool:
    """Move `round_` to state `to` if it is in a state that may move there (and in
    `only_from`, when the caller decided on what it saw); save `fields` with it,
    release the service's claim on a final state, publish.

    False (and `round_` refreshed) when another process moved it first.
    """
    sources = _sources(ROUND_MOVES, to)
    if only_from is not None:
        sources = [state for state in sources if state in only_from]
    values = {"state": to, **fields}
    if reason is not None:
        values["reason"] = reason
    if to in FINAL_STATES:
        values["finished_at"] = clock.now()
    with transaction.atomic():
        won = Round.objects.filter(pk=round_.pk, state__in=sources).update(**values)
        if won and to in FINAL_STATES:
            Service.objects.filter(pk=round_.service_id, active_round=round_.pk).update(
                active_round=None)
    if not won:
        round_.refresh_from_db()
        return False
    for name, value in values.items():
        setattr(round_, name, value)
    if to in FINAL_STATES:
        # A final round has no open task: its tasks end with it.
        end_open_tasks(round_, T.FAILED if to == R.FAILED else T.CANCELLED, reason or "")
    publish_round(round_)
    if to in (R.FAILED, R.CRASH_CONSISTENT):
        reports.round_ended(round_)
    return True


def move_task(task: DataSetTask, to: str, *, round_state: str = R.REPLICATING,
              **fields) -> bool:
    """Move `task` to `to` while its round is in `round_state`; False when the task or its
    round moved elsewhere first (a cancelled or failed round's task never restarts)."""
    values = {"state": to, **fields}
    if to == T.COPYING:
        values["attempts"] = F("attempts") + 1
    won = DataSetTask.objects.filter(
        pk=task.pk, state__in=_sources(TASK_MOVES, to), round__state=round_state,
    ).update(**values)
    task.refresh_from_db()
    if won:
        publish_task(task, task.round.service.tenant_id)
    return bool(won)


def end_open_tasks(round_: Round, to: str, error: str) -> None:
    """Every task of `round_` not yet verified or failed ends in `to`, saying why."""
    for task in round_.tasks.exclude(state__in=[T.VERIFIED, T.FAILED, T.CANCELLED]):
        DataSetTask.objects.filter(pk=task.pk, state__in=_sources(TASK_MOVES, to)).update(
            state=to, error=error)
        task.refresh_from_db()
        publish_task(task, round_.service.tenant_id)
