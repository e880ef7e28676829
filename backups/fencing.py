"""Whether a round may still write: the guard before each of its mutating steps.

A round acts for the pairing as it was when the round was prepared: its source primary
and its target secondary, in its epoch. Before a snapshot, a rollback or copy, table
metadata, the restore point or retention, the guard checks that this still holds,

- in both clusters' own ZooKeepers: once a failover wrote another epoch (or swapped the
  roles), the round ends *fenced* and writes nothing more, so a round of the old
  primary never lands on the new one;
- in the database: once a newer round of the service has started, this one is stale
  (its job ran late: a retry, a resumed job) and ends *superseded*, leaving the target
  to the newer round.

A ZooKeeper that does not answer fails the step (ZooKeeperError), to be retried: not
knowing the epoch is no licence to write.
"""

from backups import queueing
from backups.models import Round, RoundState
from backups.transitions import move_round
from console.clusters import zookeeper_of
from console.models import Cluster
from failover.identity import ClusterRole, read_identity


def may_write(round_: Round) -> bool:
    """True when `round_` may take its next step; otherwise it has been ended (fenced
    or superseded, with the reason) and the caller stops."""
    newer = newer_round(round_)
    if newer is not None:
        if move_round(round_, RoundState.SUPERSEDED,
                      f"the round at {newer.moment:%Y-%m-%d %H:%M:%S} started after it: this "
                      "round's late step was not run, and its target was left to that round"):
            queueing.enqueue_snapshot_cleanup(round_)
        return False
    mismatch = epoch_mismatch(round_)
    if mismatch:
        move_round(round_, RoundState.FENCED,
                   f"fenced: {mismatch}; nothing more was written. Its snapshot, if taken, "
                   "stays on its source for the failover to judge.")
        return False
    return True


def newer_round(round_: Round) -> Round | None:
    return round_.service.rounds.filter(
        moment__gt=round_.moment, started_at__isnull=False).order_by("moment").first()


def epoch_mismatch(round_: Round) -> str:
    """Why the clusters no longer carry the round's roles and epoch; empty when they do."""
    for cluster, role in ((round_.source, ClusterRole.PRIMARY),
                          (round_.target, ClusterRole.SECONDARY)):
        assert cluster is not None  # frozen when it was prepared
        found = _identity_of(cluster)
        if found != (role, round_.epoch):
            now = f"{found[0]} in epoch {found[1]}" if found else "no identity"
            return (f"{cluster} carries {now}, while the round was prepared with it as "
                    f"{role} in epoch {round_.epoch}")
    return ""


def _identity_of(cluster: Cluster) -> tuple[ClusterRole, int] | None:
    with zookeeper_of(cluster) as zookeeper:
        identity = read_identity(zookeeper)
    return None if identity is None else (identity.role, identity.epoch)
