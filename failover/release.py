"""What a switchover gives up once it is decided for good: the restore points the old
direction left on the new primary, and the old rounds' snapshots on the old primary.

A failover holds every snapshot until it is committed (failover/holds.py). Once it is, or
once a planned switchover is done, rounds run the other way, and their retention looks at
their own target, the old primary: nothing else would ever delete these. Each service
keeps its newest restore point on the new primary (the state the new primary started
from, on record; it is pruned when rounds run that way again), and the rest is deleted.
What cannot be deleted (a cluster that does not answer) is noted on the switchover, with
the command that deletes it by hand.
"""

import logging
from collections import defaultdict

import django_rq
from django.conf import settings

from adapters.webhdfs import WebHdfs
from backups.models import RestorePoint, Round
from console.clusters import webhdfs_of
from failover.models import Switchover
from failover.steps import note

log = logging.getLogger(__name__)


def enqueue_release(switchover: Switchover) -> None:
    django_rq.get_queue(settings.CONTROL_QUEUE).enqueue(
        "failover.jobs.release_old_direction", switchover.pk)


def release_old_direction(switchover: Switchover) -> None:
    released = _release_points(switchover)
    dropped = _drop_source_snapshots(switchover)
    note(switchover, f"Released the old direction's snapshots: {released} restore point"
                     f"{'s' if released != 1 else ''} on {switchover.new_primary} (each "
                     f"service keeps its newest), {dropped} round snapshot"
                     f"{'s' if dropped != 1 else ''} on {switchover.old_primary}.")


def _release_points(switchover: Switchover) -> int:
    points = RestorePoint.objects.filter(service__pairing=switchover.pairing_id,
                                         cluster=switchover.new_primary)
    client = webhdfs_of(switchover.new_primary)
    released = 0
    for service_id in sorted(set(points.values_list("service", flat=True))):
        for point in points.filter(service=service_id)[1:]:
            if _delete(switchover, client, point.snapshot_roots, {point.name}) is not None:
                point.delete()
                released += 1
    return released


def _drop_source_snapshots(switchover: Switchover) -> int:
    """The snapshots rounds of the old direction took on their source."""
    names: dict[str, set[str]] = defaultdict(set)
    for round_ in Round.objects.filter(service__pairing=switchover.pairing_id,
                                       source=switchover.old_primary).exclude(snapshot_times={}):
        for root in round_.snapshot_times:
            names[root].add(round_.snapshot_name)
    client = webhdfs_of(switchover.old_primary)
    return sum(_delete(switchover, client, [root], wanted) or 0
               for root, wanted in names.items())


def _delete(switchover: Switchover, client: WebHdfs, roots: list[str],
            names: set[str]) -> int | None:
    """Delete the snapshots `names` that each root still has; how many were deleted (None,
    and a note, when the cluster did not answer)."""
    deleted = 0
    for root in roots:
        try:
            for name in sorted(names & {snapshot.name for snapshot in client.snapshots(root)}):
                client.delete_snapshot(root, name)
                deleted += 1
        except Exception as error:
            log.exception("switchover %s: releasing snapshots of %s", switchover.pk, root)
            note(switchover, f"Snapshots of {root} were not released ({error}); delete them "
                             f"by hand: hdfs dfs -deleteSnapshot {root} NAME, for "
                             f"{', '.join(sorted(names))}.")
            return None
    return deleted
