"""Retrying a failed round's data sets by hand: the copies that failed run again from
the round's own snapshot at T, and the round may still end in its restore point.

A retry may not contradict a newer round or a failover: it is offered only while no
later round of the service has started (it would be superseded: backups/fencing.py) and
while the pairing still has the round's roles and epoch, and it claims the service like
any round. The copies check the clusters' own identities again before they write.
"""

from django.conf import settings
from django.db import transaction

from adapters.webhdfs import WebHdfsError
from backups import fencing, queueing
from backups.events import publish_round
from backups.models import DataSetTask, Round, RoundState, Service, TaskState
from backups.preparing import claim_holder, holding
from backups.transitions import move_round, move_task
from console import clock
from console.clusters import webhdfs_of
from console.errors import Refused
from failover.holds import hold_reason

_STARTED_JUST_NOW = ("Another round of the service, or another retry of this one, started "
                     "just now: reload the page to see it.")


class RetryRefused(Refused):
    """A round that cannot be retried now; the message says why."""


def retry_refusal(round_: Round) -> str | None:
    """Why `round_` cannot be retried now, or None when it can. Asks the source cluster
    whether the round's snapshot is still there once everything else allows a retry."""
    return _recorded_refusal(round_) or _claim_refusal(round_) or _snapshot_refusal(round_)


def retry_round(round_: Round) -> list[DataSetTask]:
    """Claim the service, move `round_` back to replicating and copy its failed data sets
    again; the round's finish follows them as in any round. Returns the tasks retried."""
    if refusal := retry_refusal(round_):
        raise RetryRefused(refusal)
    with transaction.atomic():
        if not Service.objects.filter(pk=round_.service_id, active_round__isnull=True).update(
                active_round=round_):
            raise RetryRefused(_claim_refusal(round_) or _STARTED_JUST_NOW)
        # Read again under the claim: a newer round may have run since the first look.
        if refusal := _recorded_refusal(round_):
            raise RetryRefused(refusal)
        # Its duration and its deadline (backups/reaping.py) count from the retry.
        if not move_round(round_, RoundState.REPLICATING, round_.crash_reason,
                          only_from={RoundState.FAILED}, started_at=clock.now(),
                          finished_at=None):
            raise RetryRefused(_STARTED_JUST_NOW)
        tasks = [task for task in round_.tasks.filter(state=TaskState.FAILED)
                 if move_task(task, TaskState.PENDING, error="", files_done=0, bytes_done=0,
                              files_total=0, bytes_total=0)]

    def resume() -> None:
        # Pages told of the move inside the transaction may have read the round before
        # it was committed: tell them again.
        publish_round(round_)
        queueing.enqueue_replication(round_, tasks)

    transaction.on_commit(resume)
    return tasks


def _recorded_refusal(round_: Round) -> str | None:
    """What the console's own records rule out, without asking a cluster."""
    if round_.state != RoundState.FAILED:
        return f"Only a failed round can be retried; this one is {round_.get_state_display()}."
    if not round_.snapshot_times:
        return ("It failed before its snapshot at T was taken: there is nothing to copy "
                "again. The next round takes a new snapshot.")
    if not round_.tasks.filter(state=TaskState.FAILED).exists():
        return ("Every data set of it was copied; it failed while its restore point was "
                "taken. The next round starts afresh.")
    held = hold_reason(round_.service.pairing_id)
    if held:
        return held
    pairing = round_.service.pairing
    if pairing is None or (pairing.primary_id, pairing.secondary_id, pairing.epoch) != (
            round_.source_id, round_.target_id, round_.epoch):
        return (f"The pairing changed since this round ({round_.source} → {round_.target} "
                f"in epoch {round_.epoch}): its copies would go the old way. The next "
                "round follows the current pairing.")
    newer = fencing.newer_round(round_)
    if newer is not None:
        return (f"The round at {newer.moment:%H:%M:%S} has started since, with a newer "
                "snapshot: this one is stale and can no longer be retried.")
    return None


def _claim_refusal(round_: Round) -> str | None:
    holder = claim_holder(round_.service)
    if holder is None or holder.pk == round_.pk:
        return None
    return (f"{holding(holder)} Cancel it on its page to retry this one (once it has taken "
            "its snapshot, this one can no longer be retried).")


def _snapshot_refusal(round_: Round) -> str | None:
    """The copies read the round's snapshot on the source: it must still be there."""
    assert round_.source is not None  # frozen when it was prepared
    client = webhdfs_of(round_.source, settings.LOCKSTEP_ENDPOINT_TIMEOUT)
    try:
        missing = [root for root in round_.snapshot_times if round_.snapshot_name not in {
            snapshot.name for snapshot in client.snapshots(root)}]
    except WebHdfsError as error:
        return (f"{round_.source} did not say whether the round's snapshot is still there "
                f"({error}): try again when it answers.")
    if missing:
        return (f"Its snapshot {round_.snapshot_name} is gone from {round_.source} "
                f"({', '.join(missing)}): the data as it was at T can no longer be copied. "
                "The next round takes a new snapshot.")
    return None
