"""What a failover holds back on its pairing until an operator decides on it.

Until a failover is committed or rolled back, the old primary must stay as the failover
found it (a rollback promotes it again, and what it holds beyond the last restore point
may still be rescued from it), and every restore point on either cluster may still be
needed. So while a failover of a pairing runs, waits for its decision, or failed half-way,
the pairing's backups are paused: no round runs over it (the scheduler skips each moment
saying why, and "run now" and retries are refused), and retention and service deletion
delete no snapshot on either cluster.

This is the one question the backups side asks of failover, by pairing.
"""

from failover.models import Switchover, SwitchoverKind, SwitchoverState

HOLDING = [SwitchoverState.RUNNING, SwitchoverState.DONE, SwitchoverState.FAILED]

_WHY = {
    SwitchoverState.RUNNING: "is running",
    SwitchoverState.DONE: "waits for an operator to commit it or roll it back",
    SwitchoverState.FAILED: "failed half-way and waits for an operator",
}


def holding_failover(pairing_id: int | None) -> Switchover | None:
    """The failover of the pairing that holds its backups, if any."""
    if pairing_id is None:
        return None
    return Switchover.objects.filter(
        pairing_id=pairing_id, kind=SwitchoverKind.FAILOVER, state__in=HOLDING,
    ).select_related("old_primary", "new_primary").first()


def hold_reason(pairing_id: int | None) -> str:
    """Why the pairing's backups are paused, for pages and refusals; "" when they are not."""
    failover = holding_failover(pairing_id)
    if failover is None:
        return ""
    return (f"Backups over this pairing are paused: the failover from "
            f"{failover.old_primary} to {failover.new_primary} (switchover {failover.pk}, "
            f"confirmed by {failover.by}) {_WHY[SwitchoverState(failover.state)]}. Until it "
            "is committed or rolled back no round runs and no restore point is deleted.")
