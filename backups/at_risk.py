"""What a service would lose if its primary were given up now: its last consistent
restore point on the secondary, and what the primary changed in its data sets since.

A failover lands each service on its own last consistent restore point (restore points
snapshot a shared root, so one service's point says nothing about another's paths).
What its data sets gained on the primary after that point's snapshot at T is what the
failover gives up: the snapshot diff from that snapshot to the live tree names it.
"""

import posixpath
from collections import Counter
from dataclasses import dataclass

from django.db.models import QuerySet

from adapters.webhdfs import DiffEntry, WebHdfs
from backups.models import RestorePoint, Round, RoundState, Service
from backups.replication import relative_entries, relative_to
from console.models import Cluster
from console.paths import is_within

# Entries whose size is asked for, at most: past this many a diff's files are counted
# but not weighed, so that a primary with a huge backlog still gets its prompt's figures
# in seconds (one status call per entry).
WEIGHED_ENTRIES = 1000


@dataclass(frozen=True)
class Changes:
    """What changed in a group's data sets since a snapshot."""

    files: int  # files created or modified, those inside created directories included
    bytes: int  # their size now
    deleted: int  # paths deleted (a directory counts once)
    renamed: int
    weighed: bool = True  # False: some files' bytes were not asked for (WEIGHED_ENTRIES)


def consistent_points(service: Service, cluster: Cluster) -> QuerySet[RestorePoint]:
    """The restore points of `service` on `cluster` whose rounds were consistent, newest
    first."""
    return service.restore_points.filter(
        cluster=cluster, round__state=RoundState.CONSISTENT).select_related("round")


def last_consistent_point(service: Service, cluster: Cluster) -> RestorePoint | None:
    """The newest restore point of `service` on `cluster` whose round was consistent."""
    return consistent_points(service, cluster).first()


def changes_since(round_: Round, client: WebHdfs) -> Changes:
    """What changed in `round_`'s data sets on its source (reached through `client`)
    since the round's snapshot; raises WebHdfsError when the source does not answer or
    the snapshot is gone."""
    paths = list(round_.tasks.values_list("storage_path", flat=True))
    entries: list[tuple[str, DiffEntry]] = []
    for root in round_.snapshot_times:
        diff = client.snapshot_diff(root, round_.snapshot_name, "")
        for path in paths:
            if is_within(path, root):
                entries += [(path, entry) for entry in
                            relative_entries(diff.entries, relative_to(root, path))]
    return _weigh(client, entries)


def _weigh(client: WebHdfs, entries: list[tuple[str, DiffEntry]]) -> Changes:
    kinds = Counter(entry.kind for _, entry in entries)
    written = [(path, entry) for path, entry in entries if entry.kind in ("CREATE", "MODIFY")]
    weights = [_weight(client, posixpath.join(path, entry.source), entry.kind == "CREATE")
               for path, entry in written[:WEIGHED_ENTRIES]]
    unweighed = len(written) - len(weights)
    return Changes(files=sum(files for files, _ in weights) + unweighed,
                   bytes=sum(size for _, size in weights), deleted=kinds["DELETE"],
                   renamed=kinds["RENAME"], weighed=not unweighed)


def _weight(client: WebHdfs, path: str, created: bool) -> tuple[int, int]:
    """(files, bytes) that one created or modified path holds now. A modified directory
    holds none of its own: its changed children are entries of the diff too."""
    status = client.status(path, strict=False)
    if status is None:  # changed, then deleted: a later entry says so
        return 0, 0
    if status["type"] != "DIRECTORY":
        return 1, status["length"]
    if not created:
        return 0, 0
    summary = client.content(path)
    return summary["fileCount"], summary["length"]
