"""Cancelling rounds: by hand, one at a time; or every round of a set of services, when
a failover must stop them before it reverts their target."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet

from backups import queueing
from backups.models import FINAL_STATES, Round, RoundState, Service
from backups.transitions import move_round
from console.errors import Refused


class CancelRefused(Refused):
    """A round that can no longer be cancelled; the message says why."""


def cancel_round(round_: Round, by: str) -> None:
    """Cancel `round_`: copies stop at their next progress report, the source's snapshot
    of the round is deleted (by a job: never call a cluster from a request), and the next
    round starts from the last consistent restore point as after any failed round."""
    if not _cancel(round_, f"cancelled by {by}"):
        raise CancelRefused(f"The round is {round_.get_state_display()} and can no longer be "
                            "cancelled.")


def _cancel(round_: Round, reason: str) -> bool:
    if not move_round(round_, RoundState.CANCELLED, reason):
        return False
    transaction.on_commit(lambda: queueing.enqueue_snapshot_cleanup(round_))
    return True


def stop_rounds(services: QuerySet[Service], reason: str, since: datetime) -> list[str]:
    """Cancel every round of `services` that has not ended, and say which rounds still
    write to their target: one taking its restore point (it cannot be stopped half-way:
    tables applied without their point), and one cancelled whose copy is between two
    progress reports (a file in flight is finished first). Rounds that ended after
    `since` are looked at too, for the same reason. Empty: nothing of theirs writes now,
    and nothing will (their queued jobs find their round ended and stop)."""
    rounds = Round.objects.filter(service__in=services).filter(
        ~Q(state__in=FINAL_STATES) | Q(finished_at__gte=since))
    writing = []
    for round_ in rounds.select_related("service"):
        if round_.state not in FINAL_STATES and round_.state != RoundState.FINALIZING:
            _cancel(round_, reason)
        jobs = queueing.writing_jobs(round_)
        if jobs:
            writing.append(f"{round_} ({round_.get_state_display()}): {', '.join(jobs)}")
    return writing
