"""Verified before consistent: before the restore point is taken, each data set's whole
tree on the target is compared with the source's snapshot (type, path, length, owner,
group, permission, ACL), and the files this round copied by their checksums too. A file
changed on the target after its copy, or one the copy missed, fails the round by name.
"""

import posixpath
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from adapters.webhdfs import Status, WebHdfs
from backups.models import DataSetTask, Round
from backups.replication import PARALLEL_FILES, Tree, relative_entries, relative_to, walk
from console.clusters import webhdfs_of
from console.paths import is_within

# How many differing paths a failed round names (and how many more it counts).
NAMED = 5
COMPARED = ("type", "owner", "group", "permission", "aclBit")


class TreeMismatch(Exception):
    """The target's tree differs from the source's snapshot; the message names where."""


def verify_round(round_: Round) -> None:
    assert round_.source is not None and round_.target is not None  # frozen when it was prepared
    source, target = webhdfs_of(round_.source), webhdfs_of(round_.target)
    problems = []
    for task in round_.tasks.all():
        problems += [f"{task.locator}: {problem}"
                     for problem in _verify_task(round_, task, source, target)]
    if problems:
        raise TreeMismatch(f"the target differs from the source's snapshot: {named(problems)}")


def named(problems: list[str]) -> str:
    """The first few problems, and how many more there are."""
    more = f" (and {len(problems) - NAMED} more)" if len(problems) > NAMED else ""
    return "; ".join(problems[:NAMED]) + more


def _verify_task(round_: Round, task: DataSetTask, source: WebHdfs,
                 target: WebHdfs) -> list[str]:
    root = next(r for r in round_.snapshot_times if is_within(task.storage_path, r))
    relative = relative_to(root, task.storage_path)
    snapshot = Tree(source, posixpath.join(root, ".snapshot", round_.snapshot_name, relative))
    copy = Tree(target, task.storage_path)
    return compare_trees(snapshot, copy, _copied_by(round_, source, root, relative))


def _copied_by(round_: Round, source: WebHdfs, root: str,
               relative: str) -> Callable[[str], bool]:
    """Whether this round copied the file at a path (relative to the data set): every
    file in a full copy, else the files the diff since the base created or modified."""
    if round_.base is None:
        return lambda path: True
    diff = source.snapshot_diff(root, round_.base.snapshot_name, round_.snapshot_name)
    entries = relative_entries(diff.entries, relative)
    modified = {e.source for e in entries if e.kind == "MODIFY"}
    created = [e.source for e in entries if e.kind == "CREATE"]
    return lambda path: path in modified or any(
        path == c or path.startswith(c + "/") or not c for c in created)


def compare_trees(source: Tree, target: Tree, checksummed: Callable[[str], bool]) -> list[str]:
    """Every difference between two trees, one sentence each, in path order."""
    wanted, found = _listing(source), _listing(target)
    problems: list[tuple[str, str]] = []
    alike: list[str] = []
    for path in sorted(wanted.keys() | found.keys()):
        name = path or "."
        mine, theirs = wanted.get(path), found.get(path)
        if theirs is None:
            problems.append((path, f"{name} is missing on the target"))
        elif mine is None:
            problems.append((path, f"{name} is on the target only"))
        elif differences := _differences(source, target, path, mine, theirs):
            problems += [(path, f"{name}: {difference}") for difference in differences]
        elif mine["type"] != "DIRECTORY" and checksummed(path):
            alike.append(path)
    problems += [(path, f"{path}: its checksum differs from the source's")
                 for path in _checksums_differ(source, target, alike)]
    return [sentence for _, sentence in sorted(problems, key=lambda problem: problem[0])]


def _listing(tree: Tree) -> dict[str, Status]:
    directories, files = walk(tree, "")
    return {"": tree.client.status(tree.path), **dict(directories), **dict(files)}


def _differences(source: Tree, target: Tree, path: str, mine: Status,
                 theirs: Status) -> list[str]:
    found = [f"{key} is {theirs.get(key)!r}, not {mine.get(key)!r}"
             for key in COMPARED if mine.get(key) != theirs.get(key)]
    if mine["type"] != "DIRECTORY" and mine["length"] != theirs["length"]:
        found.append(f"{theirs['length']} bytes, not {mine['length']}")
    if not found and mine.get("aclBit") and (
            source.client.acl_status(source.at(path))["entries"]
            != target.client.acl_status(target.at(path))["entries"]):
        found.append("its ACL differs")
    return found


def _checksums_differ(source: Tree, target: Tree, paths: list[str]) -> list[str]:
    """The paths whose file checksum differs between the trees, asked as many files at a
    time as a copy moves: a full round checks every file it copied, one request each."""
    def differs(path: str) -> bool:
        return source.client.checksum(source.at(path)) != target.client.checksum(target.at(path))

    with ThreadPoolExecutor(max_workers=PARALLEL_FILES) as pool:
        verdicts = pool.map(differs, paths)
        return [path for path, different in zip(paths, verdicts, strict=True) if different]
