"""The dry run: what the next round of a service needs, checked without copying.

Each check names its fix. Run before a policy's first round and from the service
page's "dry run" button.
"""

import posixpath
import uuid
from dataclasses import dataclass

from django.conf import settings

from adapters.webhdfs import WebHdfs, WebHdfsError
from adapters.zookeeper import ZooKeeperError
from backups.models import Consistency, RoundState, Service
from backups.replication import relative_entries, relative_to
from console import units
from console.clusters import measure_skew, webhdfs_of
from console.models import Pairing
from console.paths import is_within


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _roots(service: Service, pairing: Pairing, client: WebHdfs) -> list[str]:
    paths = list(service.data_sets.values_list("storage_path", flat=True))
    if service.policy.consistency == Consistency.ATOMIC:
        return [pairing.primary.snapshot_root]
    snapshottable = [d.path for d in client.snapshottable_dirs()]
    return sorted({next((r for r in snapshottable if is_within(p, r)), p) for p in paths})


def _snapshottable(client: WebHdfs, cluster: str, roots: list[str]) -> Check:
    found = {d.path for d in client.snapshottable_dirs()}
    missing = [root for root in roots if root not in found]
    if not missing:
        return Check(f"snapshot roots on {cluster}", True, ", ".join(roots) + " snapshottable")
    return Check(f"snapshot roots on {cluster}", False,
                 f"not snapshottable: {', '.join(missing)}",
                 "an HDFS administrator runs `hdfs dfsadmin -allowSnapshot "
                 f"{missing[0]}` on {cluster}")


def _skew(pairing: Pairing) -> list[Check]:
    checks = []
    limit = settings.LOCKSTEP_MAX_CLOCK_SKEW
    for cluster in (pairing.primary, pairing.secondary):
        try:
            skew = measure_skew(cluster)
        except ZooKeeperError as error:
            checks.append(Check(f"clock of {cluster}", False, str(error),
                                f"start ZooKeeper on {cluster} or fix its connect string"))
            continue
        checks.append(Check(
            f"clock of {cluster}", skew.magnitude <= limit,
            f"{skew.offset * 1000:+.1f} ms from the console (limit {limit:g} s)",
            "" if skew.magnitude <= limit else f"synchronise {cluster}'s clock with NTP"))
    return checks


def _secondary_unchanged(service: Service, secondary: WebHdfs) -> Check:
    point = service.restore_points.filter(round__state=RoundState.CONSISTENT).first()
    if point is None:
        return Check("secondary unchanged since its restore point", True,
                     "no restore point yet: the first round copies everything")
    changed = []
    for root in point.snapshot_roots:
        entries = secondary.snapshot_diff(root, point.name, "").entries
        for path in service.data_sets.values_list("storage_path", flat=True):
            if is_within(path, root):
                changed += [f"{path}: {e.kind} {e.source}" for e in
                            relative_entries(entries, relative_to(root, path))
                            if e.source or e.kind != "MODIFY"]
    if not changed:
        return Check("secondary unchanged since its restore point", True, point.name)
    return Check("secondary unchanged since its restore point", False,
                 f"{len(changed)} change(s): {'; '.join(changed[:5])}",
                 "nothing to do: the next round rolls these back to the restore point and "
                 "lists them; stop whatever writes to the secondary")


def _access(primary: WebHdfs, secondary: WebHdfs, service: Service, pairing: Pairing
            ) -> list[Check]:
    checks = []
    unreadable = []
    for path in service.data_sets.values_list("storage_path", flat=True):
        try:
            primary.list_dir(path)
        except WebHdfsError as error:
            unreadable.append(f"{path} ({error.exception})")
    checks.append(Check("console may read the data sets on the primary", not unreadable,
                        ", ".join(unreadable) or "every data set listed",
                        f"grant {primary.user} read access" if unreadable else ""))
    root = pairing.secondary.snapshot_root
    probe = posixpath.join(root, f".lockstep-preflight-{uuid.uuid4().hex}")
    try:
        secondary.write(probe, b"")
        secondary.delete(probe)
        checks.append(Check("console may write on the secondary", True, f"wrote under {root}"))
    except WebHdfsError as error:
        checks.append(Check("console may write on the secondary", False, str(error),
                            f"grant {secondary.user} write access to {root}"))
    return checks


def estimate(service: Service, primary: WebHdfs) -> tuple[int, int, bool]:
    """(files, bytes, full) the next round would move if it started now."""
    base = service.rounds.filter(state=RoundState.CONSISTENT).first()
    files = size = 0
    paths = list(service.data_sets.values_list("storage_path", flat=True))
    if base is None:
        for path in paths:
            summary = primary.content(path)
            files, size = files + summary["fileCount"], size + summary["length"]
        return files, size, True
    for root in base.snapshot_times:
        entries = primary.snapshot_diff(root, base.snapshot_name, "").entries
        for path in (p for p in paths if is_within(p, root)):
            for entry in relative_entries(entries, relative_to(root, path)):
                if entry.kind in ("CREATE", "MODIFY"):
                    status = primary.status(posixpath.join(path, entry.source), strict=False)
                    if status is not None and status["type"] == "FILE":
                        files, size = files + 1, size + status["length"]
                    elif status is not None and entry.kind == "CREATE":
                        summary = primary.content(posixpath.join(path, entry.source))
                        files, size = files + summary["fileCount"], size + summary["length"]
    return files, size, False


def preflight(service: Service, pairing: Pairing) -> list[Check]:
    """The checks for the next round of `service` over its pairing, `pairing`."""
    primary, secondary = webhdfs_of(pairing.primary), webhdfs_of(pairing.secondary)
    try:
        roots = _roots(service, pairing, primary)
        checks = [_snapshottable(primary, str(pairing.primary), roots),
                  _snapshottable(secondary, str(pairing.secondary), roots),
                  _secondary_unchanged(service, secondary), *_skew(pairing),
                  *_access(primary, secondary, service, pairing)]
        files, size, full = estimate(service, primary)
        room = secondary.fs_status()["remaining"]
    except WebHdfsError as error:
        return [Check("clusters answer", False, str(error),
                      "start the cluster's WebHDFS or fix its URL in the cluster registry")]
    checks.append(Check("next round would move", True,
                        f"{files:,} file{'' if files == 1 else 's'}, {units.size(size)} "
                        f"({'a full copy' if full else 'changes only'})"))
    checks.append(Check("secondary has room", room > size,
                        f"{units.size(room)} free on {pairing.secondary} for "
                        f"{units.size(size)}",
                        "" if room > size else f"free space on {pairing.secondary}"))
    return checks
