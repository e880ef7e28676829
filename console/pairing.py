"""Pairing a primary cluster with a secondary, and undoing it.

A pairing is refused, with the measured figure, when either cluster does not answer
or its clock is too far from the console's: a round's moment T means the same instant
on both sides only when their clocks agree.
"""

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from adapters.zookeeper import ABSENT, VersionConflict, ZooKeeperError
from backups.models import BackupPolicy
from console.clusters import check_endpoints, measure_skew, zookeeper_of
from console.errors import Refused
from console.models import Cluster, Pairing
from failover import discovery
from failover.identity import (
    ClusterRole,
    Identity,
    Recorded,
    clear_identity,
    load_identity,
    write_identity,
)

log = logging.getLogger(__name__)
FIRST_EPOCH = 1


class PairingRefused(Refused):
    """A pairing or unpairing that may not happen."""


def _check_ready(cluster: Cluster, skew_limit: float) -> None:
    failures = [f"{c.endpoint}: {c.detail}" for c in check_endpoints(cluster) if not c.ok]
    if failures:
        raise PairingRefused(f"{cluster} is unreachable ({'; '.join(failures)}).")
    skew = measure_skew(cluster)
    if skew.magnitude > skew_limit:
        raise PairingRefused(
            f"{cluster}'s clock is {skew.offset:+.3f} s (± {skew.uncertainty:.3f} s) from the "
            f"console's, over the {skew_limit:g} s limit: synchronise it (NTP) and try again."
        )


def _check_free(primary: Cluster, secondary: Cluster) -> None:
    if primary.pk == secondary.pk:
        raise PairingRefused("Choose two different clusters: a cluster cannot back up to itself.")
    for cluster in (primary, secondary):
        existing = cluster.pairing
        if existing is not None:
            raise PairingRefused(
                f"{cluster} is already in the pairing {existing}: unpair it first."
            )


def pair(primary: Cluster, secondary: Cluster, by: str,
         skew_limit: float | None = None) -> Pairing:
    """Check both clusters, write each one's identity into its own ZooKeeper, save."""
    limit = settings.LOCKSTEP_MAX_CLOCK_SKEW if skew_limit is None else skew_limit
    _check_free(primary, secondary)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(_check_ready, c, limit) for c in (primary, secondary)]:
            future.result()
    since = timezone.now()
    written: list[tuple[Cluster, Recorded]] = []
    try:
        for cluster, role, peer in ((primary, ClusterRole.PRIMARY, secondary),
                                    (secondary, ClusterRole.SECONDARY, primary)):
            identity = Identity(role, FIRST_EPOCH, since, by, cluster.name, peer.name)
            written.append((cluster, _claim_identity(cluster, identity)))
        with transaction.atomic():
            _check_free(primary, secondary)
            pairing = Pairing.objects.create(primary=primary, secondary=secondary,
                                             epoch=FIRST_EPOCH, created_by=by)
    except (ZooKeeperError, PairingRefused) as error:
        # Leave no cluster claiming a role in a pairing that does not exist.
        _clear_identities(written)
        if isinstance(error, PairingRefused):
            raise
        raise PairingRefused(f"Writing the identities failed: {error}") from error
    # Both ZooKeepers answered just now; one that stops meanwhile is repaired by the monitor.
    for warning in discovery.point_at(primary, [primary, secondary]):
        log.warning("%s", warning)
    return pairing


def _claim_identity(cluster: Cluster, identity: Identity) -> Recorded:
    """Write `identity` into the cluster's ZooKeeper with compare-and-set.

    Refused when the cluster already carries an identity of another pairing (another
    console's, or one written a moment ago): only a record left by these same two
    clusters, from a pairing since undone, is replaced.
    """
    with zookeeper_of(cluster) as zookeeper:
        recorded = load_identity(zookeeper)
        found = recorded.identity
        if found is not None and (found.cluster, found.peer) != (identity.cluster,
                                                                 identity.peer):
            raise PairingRefused(
                f"{cluster}'s ZooKeeper records it as the {found.role} of a pairing with "
                f"{found.peer} (epoch {found.epoch}, written by {found.by} at "
                f"{found.since:%Y-%m-%d %H:%M:%S %Z}). Unpair it where it was paired; a "
                f"record left by a pairing that no longer exists is removed by deleting "
                f"/lockstep/identity in that ZooKeeper.")
        try:
            return write_identity(zookeeper, identity, recorded)
        except VersionConflict as error:
            raise PairingRefused(f"{cluster}'s identity was written by someone else while "
                                 "this pairing was being made: reload and try again.") from error


def _clear_identities(written: list[tuple[Cluster, Recorded]]) -> list[str]:
    """Remove identity records, each only if it is still the one recorded; return a
    warning per cluster that could not be reached or carries another record now."""
    warnings = []
    for cluster, recorded in written:
        try:
            with zookeeper_of(cluster) as zookeeper:
                clear_identity(zookeeper, recorded)
        except VersionConflict:
            warnings.append(f"{cluster}: identity left in place (another pairing rewrote it)")
        except ZooKeeperError as error:
            warnings.append(f"{cluster}: identity left in place ({error})")
    return warnings


def _current_identities(pairing: Pairing) -> tuple[list[tuple[Cluster, Recorded]], list[str]]:
    """Each cluster's identity record as it stands, when it is this pairing's (a cluster
    that does not answer is cleared blindly later, and warned about then), and a warning
    for each record another pairing has written since."""
    found, warnings = [], []
    for cluster, peer in ((pairing.primary, pairing.secondary),
                          (pairing.secondary, pairing.primary)):
        try:
            with zookeeper_of(cluster) as zookeeper:
                recorded = load_identity(zookeeper)
        except ZooKeeperError:
            recorded = Recorded(None, ABSENT)
        identity = recorded.identity
        if identity is None or (identity.cluster, identity.peer) == (cluster.name, peer.name):
            found.append((cluster, recorded))
        else:
            warnings.append(f"{cluster}: identity left in place (it names {identity.peer} "
                            "now, another pairing's)")
    return found, warnings


def unpair(pairing: Pairing) -> list[str]:
    """Delete the pairing and clear both identities; return warnings for unreachable ones.

    The pairing's services stay, with their disabled policies, detached until a tenant
    points them at a new pairing.
    """
    enabled = enabled_policies(pairing)
    if enabled:
        raise PairingRefused(
            f"{len(enabled)} enabled backup polic{'y uses' if len(enabled) == 1 else 'ies use'} "
            f"this pairing ({', '.join(enabled)}): disable them first."
        )
    ours, warnings = _current_identities(pairing)
    clusters = [pairing.primary, pairing.secondary]
    pairing.delete()
    return warnings + _clear_identities(ours) + discovery.clear(clusters)


def enabled_policies(pairing: Pairing) -> list[str]:
    """Names of the enabled backup policies that replicate over `pairing`."""
    return [str(policy) for policy in
            BackupPolicy.objects.filter(service__pairing=pairing, enabled=True)]
