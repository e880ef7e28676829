"""Reverting a secondary's live copy to a restore point.

A round does it to each data set before it copies (the secondary changed since its
restore point: a failed round's half copy, or a hand that wrote there), and a failover
does it to every service before the secondary becomes primary, so that the new primary
serves each service as its last consistent restore point holds it, never a half copy.

A restore point is a snapshot of a whole root (`/data` in atomic mode) that other
services' data sets share, and each service's point is of its own moment: a data set is
reverted by the snapshot diff of its own subtree only, to its own service's point.
"""

import posixpath
from dataclasses import dataclass, field

from adapters.webhdfs import WebHdfs
from backups.at_risk import consistent_points
from backups.models import Component, RestorePoint, Service
from backups.replication import Progress, Tree, relative_entries, relative_to, sync_data_set
from backups.restore_points import apply_metadata
from backups.verification import TreeMismatch, compare_trees
from console.clusters import webhdfs_of
from console.models import Cluster
from console.paths import is_within


@dataclass(frozen=True)
class Reversion:
    """What reverting one service did: the restore point (None when it has none), each
    change undone, and the tables whose metadata was applied again."""

    point: RestorePoint | None
    undone: list[str]
    tables: list[str]


@dataclass(frozen=True)
class Undone:
    """What reverting one data set did: each change undone, as `PATH: delete x`, and the
    files copied back from the restore point to do it."""

    changes: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0


def revert_data_set(client: WebHdfs, root: str, path: str, snapshot: str) -> Undone:
    """Undo what changed under `path` since the snapshot `snapshot` of `root`."""
    relative = relative_to(root, path)
    if not relative_entries(client.snapshot_diff(root, snapshot, "").entries, relative):
        return Undone()
    back = relative_entries(client.snapshot_diff(root, "", snapshot).entries, relative)
    undo = Progress()
    sync_data_set(Tree(client, posixpath.join(root, ".snapshot", snapshot, relative)),
                  Tree(client, path), back, undo)
    return Undone([f"{path}: {change}" for change in undo.changes], undo.files_done,
                  undo.bytes_done)


def landing_point(service: Service, cluster: Cluster) -> RestorePoint | None:
    """The newest consistent restore point of `service` on `cluster` whose snapshots are
    all still there: the last consistent point, unless its snapshot was deleted by hand
    (it cannot be returned to, and an older one serves)."""
    client = webhdfs_of(cluster)
    names: dict[str, set[str]] = {}
    for point in consistent_points(service, cluster).select_related("round__target"):
        for root in point.snapshot_roots:
            if root not in names:
                names[root] = {snapshot.name for snapshot in client.snapshots(root)}
        if all(point.name in names[root] for root in point.snapshot_roots):
            return point
    return None


def revert_service(service: Service, cluster: Cluster) -> Reversion:
    """Return every data set of `service` on `cluster` to the service's last consistent
    restore point there, check each against the point's snapshot, and apply the point's
    table metadata again. Idempotent: a data set already equal to its point is left be."""
    point = landing_point(service, cluster)
    if point is None:
        return Reversion(None, [], [])
    client = webhdfs_of(cluster)
    undone = []
    # The point's own data sets: one protected since then has nothing to return to.
    tasks = list(point.round.tasks.all())
    for task in tasks:
        root = next(r for r in point.snapshot_roots if is_within(task.storage_path, r))
        undone += revert_data_set(client, root, task.storage_path, point.name).changes
        snapshot = Tree(client, posixpath.join(root, ".snapshot", point.name,
                                               relative_to(root, task.storage_path)))
        problems = compare_trees(snapshot, Tree(client, task.storage_path), lambda _: False)
        if problems:
            raise TreeMismatch(f"{task.storage_path} on {cluster} still differs from restore "
                               f"point {point.name} after reverting: {'; '.join(problems[:5])}")
    apply_metadata(point.round)
    return Reversion(point, undone, [t.locator for t in tasks if t.component != Component.HDFS])
