"""What a switchover holds back on its pairing.

Until a failover is committed or rolled back, the old primary must stay as the failover
found it (a rollback promotes it again, and what it holds beyond the last restore point
may still be rescued from it), and every restore point on either cluster may still be
needed. So while a failover of a pairing runs, waits for its decision, or failed half-way,
the pairing's backups are paused: no round runs over it (the scheduler skips each moment
saying why, and "run now" and retries are refused), and retention and service deletion
delete no snapshot on either cluster.

A planned switchover holds them while it runs (its own final rounds aside), and when it
failed after an identity changed; one that failed before gave everything back.

This is the one question the backups side asks of failover, by pairing.
"""

from django.db.models import Q

from failover.models import Switchover, SwitchoverKind, SwitchoverState

HOLDING = [SwitchoverState.RUNNING, SwitchoverState.DONE, SwitchoverState.FAILED]

_WHY = {
    SwitchoverState.RUNNING: "is running",
    SwitchoverState.DONE: "waits for an operator to commit it or roll it back",
    SwitchoverState.FAILED: "failed half-way and waits for an operator",
}
_HOLDS = (
    Q(kind=SwitchoverKind.FAILOVER, state__in=HOLDING)
    | Q(kind=SwitchoverKind.PLANNED, state=SwitchoverState.RUNNING)
    | Q(kind=SwitchoverKind.PLANNED, state=SwitchoverState.FAILED,
        steps__has_key="primary_written")
)


def holding_failover(pairing_id: int | None) -> Switchover | None:
    """The failover or planned switchover of the pairing that holds its backups, if any."""
    if pairing_id is None:
        return None
    return Switchover.objects.filter(_HOLDS, pairing_id=pairing_id).select_related(
        "old_primary", "new_primary").first()


def hold_reason(pairing_id: int | None) -> str:
    """Why the pairing's backups are paused, for pages and refusals; "" when they are not."""
    holder = holding_failover(pairing_id)
    if holder is None:
        return ""
    if holder.kind == SwitchoverKind.FAILOVER:
        what, decided, until = "failover", "confirmed", "it is committed or rolled back"
    else:
        what, decided, until = "planned switchover", "started", "it is done"
    return (f"Backups over this pairing are paused: the {what} from {holder.old_primary} to "
            f"{holder.new_primary} (switchover {holder.pk}, {decided} by {holder.by}) "
            f"{_WHY[SwitchoverState(holder.state)]}. Until {until} no round runs and no "
            "restore point is deleted.")
