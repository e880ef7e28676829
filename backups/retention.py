"""Which snapshots stay: the policy's count of restore points on the target, and on the
source only the snapshot that the next diff starts from; all of them while a failover of
the pairing waits for its decision (failover/holds.py)."""

import logging

from adapters.webhdfs import WebHdfs
from backups.models import Round, RoundState
from console.clusters import webhdfs_of
from failover.holds import hold_reason

log = logging.getLogger(__name__)


class RetentionHeld(Exception):
    """Retention deletes nothing now: a failover of the pairing holds every snapshot."""


def drop_snapshots(client: WebHdfs, roots: list[str], names: set[str]) -> None:
    """Delete the snapshots `names` of each root that has them; best effort, logged."""
    for root in roots:
        try:
            for name in names & {snapshot.name for snapshot in client.snapshots(root)}:
                client.delete_snapshot(root, name)
        except Exception:
            log.warning("could not delete snapshots %s of %s", sorted(names), root)


def drop_round_snapshot(round_: Round) -> None:
    """The source's snapshot of a round that will be no restore point's base."""
    if round_.source is not None and round_.snapshot_times:
        drop_snapshots(webhdfs_of(round_.source), list(round_.snapshot_times),
                       {round_.snapshot_name})


def drop_retry_snapshots(round_: Round) -> None:
    """The source's snapshots that failed rounds before `round_` kept for a retry: once
    `round_` has started, none of them can be retried. Each root is listed once."""
    assert round_.source is not None  # frozen when it was prepared
    failed = round_.service.rounds.filter(state=RoundState.FAILED, moment__lt=round_.moment,
                                          source=round_.source).exclude(snapshot_times={})
    names = {old.snapshot_name for old in failed}
    if names:
        roots = {root for old in failed for root in old.snapshot_times}
        drop_snapshots(webhdfs_of(round_.source), sorted(roots), names)


def apply_retention(round_: Round) -> list[str]:
    """Delete restore points on the round's target beyond its retention, and snapshots on
    its source that no future diff needs (all but the newest consistent round's).
    Raises RetentionHeld, deleting nothing, while a failover of the pairing is undecided."""
    service = round_.service
    held = hold_reason(service.pairing_id)
    if held:
        raise RetentionHeld(held)
    removed = []
    assert round_.source is not None and round_.target is not None  # frozen when it was prepared
    target = webhdfs_of(round_.target)
    for point in service.restore_points.filter(cluster=round_.target)[round_.retention:]:
        for root in point.snapshot_roots:
            target.delete_snapshot(root, point.name)
        removed.append(point.name)
        point.delete()
    newest = service.rounds.filter(state=RoundState.CONSISTENT, source=round_.source).first()
    stale = service.rounds.filter(source=round_.source, state__in=[
        RoundState.CONSISTENT, RoundState.CRASH_CONSISTENT])
    if newest is not None:
        stale = stale.filter(moment__lt=newest.moment)
    source = webhdfs_of(round_.source)
    for old in stale:
        for root in old.snapshot_times:
            if old.snapshot_name in {s.name for s in source.snapshots(root)}:
                source.delete_snapshot(root, old.snapshot_name)
    return removed
