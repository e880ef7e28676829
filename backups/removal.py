"""Deleting a service: by default its snapshots go with it, on both clusters.

Snapshots are deleted before the rows that name them, one restore point at a time, so
that what the console lists always exists: a cluster that stops answering half-way
refuses the deletion with its name, and what is left is still listed and can be
deleted again. While a failover of the pairing waits for its decision, no snapshot is
deleted on either cluster (failover/holds.py): the service goes only with all of them kept.
"""

from dataclasses import dataclass, field

from adapters.webhdfs import WebHdfsError
from backups.models import Service
from console.clusters import webhdfs_of
from console.errors import Refused
from console.models import Cluster
from failover.holds import hold_reason


class RemovalRefused(Refused):
    """A service that cannot be deleted now; the message says why and what to do."""


@dataclass
class Removal:
    service: str
    snapshots: list[str] = field(default_factory=list)  # "cluster: root/.snapshot/name"
    kept_restore_points: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What was removed and kept, in one sentence for the page and the audit log."""
        removed = (f"{len(self.snapshots)} snapshot{'s' if len(self.snapshots) != 1 else ''}"
                   f" deleted ({', '.join(self.snapshots)})" if self.snapshots
                   else "no snapshot to delete")
        kept = (f"; restore points kept on the clusters: {', '.join(self.kept_restore_points)}"
                if self.kept_restore_points else "")
        return f"Service {self.service} deleted, {removed}{kept}."


def delete_service(service: Service, keep_restore_points: bool = False) -> Removal:
    """Delete `service`, its source snapshots and (unless kept) its restore points."""
    holder = Service.objects.values_list("active_round", flat=True).get(pk=service.pk)
    if holder is not None:
        raise RemovalRefused(f"A round of {service} is running: cancel it on its page, or "
                             "wait for it to end, then delete the service.")
    held = hold_reason(service.pairing_id)
    if held and not keep_restore_points:
        raise RemovalRefused(f"{held} Delete the service keeping its restore points (then no "
                             "snapshot is deleted on either cluster), or once it is decided.")
    removal = Removal(service=str(service))
    snapshots = _Snapshots()
    try:
        for point in service.restore_points.select_related("cluster"):
            if keep_restore_points:
                removal.kept_restore_points.append(f"{point.cluster}: {point.name}")
                continue
            removal.snapshots += snapshots.delete(point.cluster, point.snapshot_roots,
                                                  point.name)
            point.delete()
        rounds = service.rounds.exclude(source=None).select_related("source")
        # While a failover holds them, the old primary's snapshots of its rounds stay too.
        for round_ in rounds.none() if held else rounds:
            removal.snapshots += snapshots.delete(round_.source, list(round_.snapshot_times),
                                                  round_.snapshot_name)
    except WebHdfsError as error:
        raise RemovalRefused(
            f"A cluster did not answer while {service}'s snapshots were deleted ({error}): "
            "the service and what is left of them stay listed. Try again when it answers, "
            "or delete the service keeping its restore points.") from error
    service.delete()
    return removal


class _Snapshots:
    """Each (cluster, root)'s snapshot names, listed once however many rounds ask."""

    def __init__(self) -> None:
        self._names: dict[tuple[int, str], set[str]] = {}

    def delete(self, cluster: Cluster, roots: list[str], name: str) -> list[str]:
        client = webhdfs_of(cluster)
        deleted = []
        for root in roots:
            names = self._names.setdefault(
                (cluster.pk, root), {s.name for s in client.snapshots(root)})
            if name in names:
                client.delete_snapshot(root, name)
                names.discard(name)
                deleted.append(f"{cluster}: {root.rstrip('/')}/.snapshot/{name}")
        return deleted
