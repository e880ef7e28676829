"""What a fault prompt carries for the operator to decide on: the evidence of the fault,
and each service's data at risk.

The console's monitor is the vantage point: the evidence says what it sees of the
primary and of the secondary (each endpoint's probe, and the identity each cluster's own
ZooKeeper holds), not what the two clusters see of each other. A fault seen only from the
console (the console cut off from the primary) reads the same, and is for the operator
to judge.
"""

import logging
from datetime import datetime

from django.conf import settings

from adapters.webhdfs import WebHdfsError
from backups.at_risk import changes_since, last_consistent_point
from backups.models import Service
from console.clusters import webhdfs_of
from console.models import Cluster, Pairing
from failover.identity import Identity
from failover.models import ClusterStatus

log = logging.getLogger(__name__)

MEASURING = "measuring what changed on the primary since…"


def _identity_json(identity: Identity | None) -> dict | None:
    if identity is None:
        return None
    return {"role": identity.role.value, "epoch": identity.epoch, "peer": identity.peer,
            "since": identity.since.isoformat(), "by": identity.by}


def _seen(status: ClusterStatus | None, identity: Identity | None, readable: bool) -> dict:
    """One cluster as the monitor sees it now."""
    if status is None:
        return {"checked": False}
    return {
        "checked": True,
        "healthy": status.healthy,
        "endpoints": status.endpoints,
        "last_seen": status.last_seen.isoformat() if status.last_seen else None,
        "checked_at": status.checked_at.isoformat() if status.checked_at else None,
        # None with "identity_readable": its ZooKeeper answered and holds no identity.
        "identity_readable": readable,
        "identity": _identity_json(identity),
    }


def fault_evidence(pairing: Pairing, fault_since: datetime,
                   seen: dict[int, tuple[Identity | None, bool]]) -> dict:
    """The evidence of the primary's fault: which endpoints failed, how and since when,
    and both clusters as the monitor sees them. `seen` maps a cluster's id to the
    identity its ZooKeeper holds and whether that could be read."""
    statuses = {status.cluster_id: status for status in ClusterStatus.objects.filter(
        cluster__in=[pairing.primary_id, pairing.secondary_id])}
    primary = statuses.get(pairing.primary_id)
    failed = [{"endpoint": name, "detail": probe["detail"], "since": probe["since"]}
              for name, probe in sorted((primary.endpoints if primary else {}).items())
              if not probe["ok"]]
    return {
        "primary": pairing.primary.name,
        "secondary": pairing.secondary.name,
        "epoch": pairing.epoch,
        "fault_since": fault_since.isoformat(),
        "failed": failed,
        "seen_from": "the console's monitor",
        "primary_seen": _seen(primary, *seen.get(pairing.primary_id, (None, False))),
        "secondary_seen": _seen(statuses.get(pairing.secondary_id),
                                *seen.get(pairing.secondary_id, (None, False))),
    }


def services_at_risk(pairing: Pairing, now: datetime) -> list[dict]:
    """Per service of the pairing: its last consistent restore point on the secondary and
    that point's age; what changed since is measured afterwards (`measure_changes`), so
    that a slow or silent primary never holds up the prompt."""
    at_risk = []
    for service in Service.objects.filter(pairing=pairing).select_related("tenant"):
        point = last_consistent_point(service, pairing.secondary)
        entry = {"service_id": service.pk, "service": str(service), "restore_point": None,
                 "age_seconds": None, "changes": None,
                 "changes_note": MEASURING if point else
                 f"no consistent restore point on {pairing.secondary}: a failover would "
                 "find none of this service's data there"}
        if point is not None:
            entry["restore_point"] = {"name": point.name, "moment": point.moment.isoformat(),
                                      "cluster": pairing.secondary.name}
            entry["age_seconds"] = round((now - point.moment).total_seconds(), 1)
        at_risk.append(entry)
    return at_risk


def measure_changes(at_risk: list[dict], primary: Cluster) -> list[dict]:
    """`at_risk` with each service's changes on `primary` since its restore point's
    snapshot, or a note saying why they are not known."""
    measured = []
    for entry in at_risk:
        if entry["changes_note"] != MEASURING:
            measured.append(entry)
            continue
        measured.append({**entry, **_changes(entry["service_id"], primary)})
    return measured


def _changes(service_id: int, primary: Cluster) -> dict:
    service = Service.objects.select_related("pairing__secondary").filter(pk=service_id).first()
    point = None
    if service is not None and service.pairing is not None:
        point = last_consistent_point(service, service.pairing.secondary)
    if point is None:
        return {"changes_note": "the service or its restore point is gone"}
    if point.round.source_id != primary.pk:
        return {"changes_note": f"its restore point was copied from {point.round.source}, "
                                f"not from {primary}: no snapshot of it there to compare"}
    try:
        # A failing primary gets the health check's short timeout, not a round's.
        changes = changes_since(point.round,
                                webhdfs_of(primary, settings.LOCKSTEP_ENDPOINT_TIMEOUT))
    except WebHdfsError as error:
        log.info("could not measure changes of %s since %s: %s", service, point, error)
        return {"changes_note": f"not known: {primary}'s storage does not answer ({error})"}
    return {"changes": {"files": changes.files, "bytes": changes.bytes,
                        "deleted": changes.deleted, "renamed": changes.renamed,
                        "weighed": changes.weighed},
            "changes_note": ""}
