"""The restore-point browser: what a restore point holds, read from its snapshot on the
secondary (`ROOT/.snapshot/NAME/...`), one file of it as a stream, and what changed
between two restore points of a service (the snapshot diff).

Paths are named as the data sets' own paths (`/data/acme/bills/2026-11`), never as
snapshot paths, and must lie inside one of the restore point's data sets: a snapshot
root such as `/data` is shared by every tenant's services, and a path that leaves the
point's data sets would read another tenant's files from the same snapshot.
"""

import posixpath
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import QuerySet

from adapters import failures
from adapters.webhdfs import WebHdfs, WebHdfsError
from backups.models import Component, RestorePoint
from backups.replication import relative_entries, relative_to
from console.clusters import webhdfs_of
from console.errors import Refused
from console.paths import PathRefused, is_within, normalize_hdfs_path

# A download moves through the console this much at a time, whatever the file's size.
DOWNLOAD_CHUNK = 1024 * 1024
CHANGE_KINDS = {"CREATE": "created", "DELETE": "deleted", "MODIFY": "modified",
                "RENAME": "renamed"}


class BrowseRefused(Refused):
    """A path, file or comparison the user asked for that the restore point cannot give."""


class PointUnavailable(Exception):
    """The restore point's cluster did not answer, or answered with an error: the message
    names the cluster and its endpoint, the technical detail after failures.DETAIL."""


@dataclass(frozen=True)
class PointDataSet:
    """One data set as its restore point holds it: the round's frozen task, not the
    service's data sets of today (a data set added since is in no older point)."""

    component: str
    locator: str
    path: str  # where its files are, on the cluster as in the snapshot
    root: str  # the snapshot root it lies under
    snapshot_path: str  # `path` in the point's snapshot: ROOT/.snapshot/NAME/...

    @property
    def is_table(self) -> bool:
        return self.component != Component.HDFS

    @property
    def component_label(self) -> str:
        return Component(self.component).label


@dataclass(frozen=True)
class Entry:
    name: str
    path: str
    directory: bool
    length: int
    modified: datetime
    owner: str
    group: str
    permission: str


@dataclass(frozen=True)
class Listing:
    data_set: PointDataSet
    path: str
    # From the data set's top down to `path`: (what to show, the path it opens).
    crumbs: list[tuple[str, str]]
    entries: list[Entry]


@dataclass(frozen=True)
class Download:
    name: str
    path: str  # normalised
    length: int
    chunks: Generator[bytes, None, None]


@dataclass(frozen=True)
class Change:
    root: str
    data_set: PointDataSet
    kind: str  # created, deleted, modified, renamed
    path: str
    target: str | None = None  # renamed only


@dataclass(frozen=True)
class Comparison:
    older: RestorePoint
    newer: RestorePoint
    changes: list[Change]
    # Data sets of only one point's roots (the consistency mode changed between them):
    # two snapshots of different roots have no diff.
    not_compared: list[PointDataSet]


def data_sets_of(point: RestorePoint) -> list[PointDataSet]:
    """The point's data sets, each with the snapshot root that holds it."""
    found = []
    for task in point.round.tasks.all():
        root = next((r for r in point.snapshot_roots if is_within(task.storage_path, r)), None)
        if root is not None:
            found.append(PointDataSet(
                task.component, task.locator, task.storage_path, root,
                posixpath.join(root, ".snapshot", point.name,
                               relative_to(root, task.storage_path)).rstrip("/")))
    return found


@dataclass(frozen=True)
class Located:
    data_set: PointDataSet
    path: str  # normalised
    in_snapshot: str  # the same path in the point's snapshot


def locate(point: RestorePoint, path: str) -> Located:
    """The data set that holds `path` and the path's place in the point's snapshot;
    refused for `..`, `.snapshot` and anything outside the point's data sets."""
    try:
        normal = normalize_hdfs_path(path)
    except PathRefused as refused:
        raise BrowseRefused(str(refused)) from refused
    data_set = next((d for d in data_sets_of(point) if is_within(normal, d.path)), None)
    if data_set is None:
        raise BrowseRefused(f"{normal} lies outside restore point {point.name}'s data sets: "
                            "open one of the data sets listed on its page.")
    # `normal` is the data set's path or lies below it: the rest is "" or "/...".
    return Located(data_set, normal, data_set.snapshot_path + normal[len(data_set.path):])


@contextmanager
def _asking(client: WebHdfs, point: RestorePoint, path: str) -> Iterator[None]:
    """WebHDFS failures as people read them: a path the snapshot lacks is the user's to
    fix; anything else is the cluster's, named with its endpoint."""
    try:
        yield
    except WebHdfsError as error:
        if error.exception == "FileNotFoundException":
            raise BrowseRefused(f"{path} is not in restore point {point.name} (or its "
                                "snapshot was deleted since).") from error
        if error.exception == "ConnectionError":  # the adapter's sentence names the endpoint
            raise PointUnavailable(error.message) from error
        raise PointUnavailable(f"{client.name} could not read restore point {point.name}"
                               f"{failures.DETAIL}{error.exception}: {error.message}") from error


def _entry(path: str, status: dict) -> Entry:
    return Entry(posixpath.basename(path), path, status["type"] == "DIRECTORY",
                 status["length"], datetime.fromtimestamp(status["modificationTime"] / 1000, UTC),
                 status["owner"], status["group"], status["permission"])


def list_path(point: RestorePoint, path: str) -> Listing:
    """A directory of the restore point (directories first), or a file as a listing of one."""
    located = locate(point, path)
    data_set, path = located.data_set, located.path
    client = webhdfs_of(point.cluster)
    with _asking(client, point, path):
        status = client.status(located.in_snapshot)
        if status["type"] == "DIRECTORY":
            entries = [_entry(posixpath.join(path, name), child)
                       for name, child in client.list_dir(located.in_snapshot)]
        else:
            entries = [_entry(path, status)]
    entries.sort(key=lambda entry: (not entry.directory, entry.name))
    crumbs = [(data_set.locator, data_set.path)]
    below = relative_to(data_set.path, path)
    if below:
        parts = below.split("/")
        crumbs += [(part, posixpath.join(data_set.path, *parts[:depth + 1]))
                   for depth, part in enumerate(parts)]
    return Listing(data_set, path, crumbs, entries)


def open_file(point: RestorePoint, path: str) -> Download:
    """One file of the restore point, read from the cluster as the download is sent."""
    located = locate(point, path)
    client = webhdfs_of(point.cluster)
    with _asking(client, point, located.path):
        status = client.status(located.in_snapshot)
    if status["type"] != "FILE":
        raise BrowseRefused(f"{located.path} is a directory: open it to list its files.")

    def chunks() -> Generator[bytes, None, None]:
        # Opened when the response starts sending and closed when it ends (or the
        # browser goes away): at most one chunk is ever held here.
        with client.read(located.in_snapshot, chunk_size=DOWNLOAD_CHUNK) as stream:
            yield from stream

    return Download(posixpath.basename(located.path), located.path, status["length"], chunks())


def other_point(point: RestorePoint, name: str, visible: QuerySet[RestorePoint]
                ) -> RestorePoint:
    """The restore point named `name` among those the user sees, if it can be compared
    with `point`: one of the same service, on the same cluster, not `point` itself."""
    other = visible.filter(name=name.strip()).select_related("service", "cluster").first()
    if other is None:
        raise BrowseRefused(f"No restore point you can see is named {name.strip()!r}: choose "
                            f"one of {point.service}'s restore points.")
    if other.service_id != point.service_id:
        raise BrowseRefused(f"{other.name} is a restore point of {other.service}, not of "
                            f"{point.service}: only two points of one service can be compared.")
    if other.pk == point.pk:
        raise BrowseRefused("That is this restore point: choose another to compare with.")
    if other.cluster_id != point.cluster_id:
        raise BrowseRefused(f"{other.name} is on {other.cluster} and {point.name} on "
                            f"{point.cluster}: a snapshot diff compares two snapshots of one "
                            "cluster.")
    return other


def compare(point: RestorePoint, other: RestorePoint) -> Comparison:
    """What changed in the service's data sets from the older point to the newer, per
    snapshot root, as the cluster's snapshot diff reports it (read in pages)."""
    older, newer = sorted((point, other), key=lambda p: p.moment)
    data_sets = list({d.path: d for d in data_sets_of(older) + data_sets_of(newer)}.values())
    common = set(older.snapshot_roots) & set(newer.snapshot_roots)
    client = webhdfs_of(newer.cluster)
    diffs = {}
    changes = []
    for data_set in sorted(data_sets, key=lambda d: (d.root, d.path)):
        if data_set.root not in common:
            continue
        if data_set.root not in diffs:
            with _asking(client, newer, data_set.root):
                diffs[data_set.root] = client.snapshot_diff(data_set.root, older.name,
                                                            newer.name).entries
        # Only the data set's own subtree: the root's diff covers every tenant under it.
        for entry in relative_entries(diffs[data_set.root],
                                      relative_to(data_set.root, data_set.path)):
            changes.append(Change(
                data_set.root, data_set, CHANGE_KINDS[entry.kind],
                posixpath.join(data_set.path, entry.source).rstrip("/"),
                posixpath.join(data_set.path, entry.target) if entry.target else None))
    return Comparison(older, newer, changes,
                      [d for d in data_sets if d.root not in common])
