"""A snapshot diff report rebuilt from GETSNAPSHOTDIFFLISTING's pages, the way Hadoop's
client does it (SnapshotDiffReportGenerator): every modified directory that is a
reference entry brings the creations and deletions listed under its id, a deleted
reference with a target is a rename, and a diff asked from the later snapshot to the
earlier swaps creations and deletions."""

from collections.abc import Iterable
from typing import Any, Literal

DiffKind = Literal["CREATE", "MODIFY", "DELETE", "RENAME"]
Entry = tuple[DiffKind, str, str | None]  # (kind, source path, target path for a rename)


def unsupported(exception: str | None, message: str) -> bool:
    """Whether a server refused the listing as an operation it does not have."""
    return exception == "UnsupportedOperationException" or (
        exception == "IllegalArgumentException" and "GETSNAPSHOTDIFFLISTING" in message)


def _order(entry: dict[str, Any]) -> list[bytes]:
    path = entry["sourcePath"]
    return [part.encode() for part in path.split("/")] if path else []


def report(pages: Iterable[dict[str, Any]]) -> list[Entry]:
    modified: list[dict[str, Any]] = []
    created: dict[int, list[dict[str, Any]]] = {}
    deleted: dict[int, list[dict[str, Any]]] = {}
    renamed: dict[int, tuple[str, str]] = {}
    from_earlier = False
    for page in pages:
        modified += page.get("modifyList") or []
        for entry in page.get("createList") or []:
            created.setdefault(entry.get("dirId", 0), []).append(entry)
        for entry in page.get("deleteList") or []:
            deleted.setdefault(entry.get("dirId", 0), []).append(entry)
            if entry.get("isReference") and entry.get("targetPath") is not None:
                renamed[entry.get("fileId", 0)] = (entry["sourcePath"], entry["targetPath"])
        from_earlier = bool(page.get("isFromEarlier", False))
    out: list[Entry] = []
    for directory in sorted(modified, key=_order):
        out.append(("MODIFY", directory["sourcePath"], None))
        if not directory.get("isReference"):
            continue
        dir_id = directory.get("dirId", 0)
        for entry in created.get(dir_id, []):
            if entry.get("fileId", 0) not in renamed:
                out.append(("CREATE" if from_earlier else "DELETE", entry["sourcePath"], None))
        for entry in deleted.get(dir_id, []):
            rename = renamed.get(entry.get("fileId", 0))
            if rename is None:
                out.append(("DELETE" if from_earlier else "CREATE", entry["sourcePath"], None))
            else:
                source, target = rename if from_earlier else rename[::-1]
                out.append(("RENAME", source, target))
    return out
