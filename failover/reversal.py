"""Identity reversal: a cluster's role and epoch, written into its own ZooKeeper with
compare-and-set over the record as read.

A write replaces only a record of the same two clusters in a lower epoch: a record that
already says what is to be written is left be (a resumed step), and anything else (another
pairing's record, an epoch as high in another role, a record changed between the read and
the write) is a conflict that no retry resolves: another console or switchover moved first.
"""

from dataclasses import replace

from adapters.zookeeper import VersionConflict
from console import audit, clock
from console.clusters import zookeeper_of
from console.models import Cluster
from failover.identity import (
    ClusterRole,
    Identity,
    load_identity,
    read_identity,
    write_identity,
)

SYSTEM = "lockstep"


class IdentityConflict(Exception):
    """An identity a switchover may not overwrite; the message says what was found."""


def write_role(cluster: Cluster, role: ClusterRole, epoch: int, peer: Cluster,
               by: str) -> bool:
    """Give `cluster` `role` in `epoch` with `peer`; False when it carried that already.
    Raises IdentityConflict, or ZooKeeperError when its ZooKeeper does not answer."""
    with zookeeper_of(cluster) as zookeeper:
        recorded = load_identity(zookeeper)
        found = recorded.identity
        if found is not None:
            if (found.role, found.epoch, found.peer) == (role, epoch, peer.name):
                return False
            if (found.cluster, found.peer) != (cluster.name, peer.name):
                raise IdentityConflict(
                    f"{cluster}'s ZooKeeper records it in a pairing with {found.peer}, not "
                    f"{peer}: another console or pairing owns it")
            if found.epoch >= epoch:
                raise IdentityConflict(
                    f"{cluster} carries {found.role} in epoch {found.epoch} (written by "
                    f"{found.by}), not an epoch below {epoch}: another switchover moved first")
        try:
            write_identity(zookeeper, Identity(role, epoch, clock.now(), by, cluster.name,
                                               peer.name), recorded)
        except VersionConflict as error:
            raise IdentityConflict(f"{cluster}'s identity changed while it was being "
                                   f"written: {error}") from error
    return True


def write_fence(cluster: Cluster, epoch: int, peer: Cluster, fenced: bool, by: str) -> bool:
    """Fence the primary `cluster` (its applications' writes refused), or lift its fence;
    its role and epoch stay. False when it carried that already. Raises IdentityConflict
    when it is not `peer`'s primary in `epoch`, or ZooKeeperError when it does not answer."""
    with zookeeper_of(cluster) as zookeeper:
        recorded = load_identity(zookeeper)
        found = recorded.identity
        if found is None or (found.role, found.epoch, found.cluster, found.peer) != (
                ClusterRole.PRIMARY, epoch, cluster.name, peer.name):
            now = f"{found.role} in epoch {found.epoch}" if found else "no identity"
            raise IdentityConflict(f"{cluster} carries {now}, not primary in epoch {epoch} "
                                   f"with {peer}: another console or switchover moved first")
        if found.fenced == fenced:
            return False
        try:
            write_identity(zookeeper, replace(found, fenced=fenced, since=clock.now(), by=by),
                           recorded)
        except VersionConflict as error:
            raise IdentityConflict(f"{cluster}'s identity changed while it was being "
                                   f"written: {error}") from error
    return True


def fence_returning(cluster: Cluster) -> str:
    """Make a returning old primary the secondary it has become.

    A failover that could not reach a cluster's ZooKeeper left its record as it was (a
    primary in the old epoch). When the monitor sees it answer again, this writes
    role=secondary in the pairing's epoch (compare-and-set). Nothing replicates from it
    meanwhile: every round checks both identities before it writes (backups/fencing.py).
    Returns what was done, "" when the cluster needed nothing.
    """
    pairing = cluster.pairing
    if pairing is None or pairing.secondary_id != cluster.pk:
        return ""
    with zookeeper_of(cluster) as zookeeper:
        found = read_identity(zookeeper)
    if found is None or found.epoch >= pairing.epoch:
        return ""
    write_role(cluster, ClusterRole.SECONDARY, pairing.epoch, pairing.primary, SYSTEM)
    done = (f"{cluster} returned carrying {found.role} in epoch {found.epoch}: now secondary "
            f"in epoch {pairing.epoch}, the pairing's")
    audit.record(None, "failover.fence", cluster, detail=done, actor_name=SYSTEM)
    return done
