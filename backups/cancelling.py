"""Cancelling a round by hand: it stops at once, its tasks with it, and its snapshots go."""

from django.db import transaction

from backups import queueing
from backups.models import Round, RoundState
from backups.transitions import move_round
from console.errors import Refused


class CancelRefused(Refused):
    """A round that can no longer be cancelled; the message says why."""


def cancel_round(round_: Round, by: str) -> None:
    """Cancel `round_`: copies stop at their next progress report, the source's snapshot
    of the round is deleted (by a job: never call a cluster from a request), and the next
    round starts from the last consistent restore point as after any failed round."""
    if not move_round(round_, RoundState.CANCELLED, f"cancelled by {by}"):
        raise CancelRefused(f"The round is {round_.get_state_display()} and can no longer be "
                            "cancelled.")
    transaction.on_commit(lambda: queueing.enqueue_snapshot_cleanup(round_))
