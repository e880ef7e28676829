"""HDFS paths as users type them: normalised, and refused when they play tricks."""

import posixpath
import re

# Markup and control characters have no business in a path a tenant names.
_FORBIDDEN = re.compile(r"[<>\"'`\x00-\x1f\x7f]")


class PathRefused(ValueError):
    """A path that is not acceptable; the message says why."""


def normalize_hdfs_path(path: str) -> str:
    """An absolute, normalised HDFS path, refusing `..`, `.snapshot` and markup."""
    path = path.strip()
    if not path.startswith("/"):
        raise PathRefused(f"{path!r} is not absolute: an HDFS path starts with /.")
    if _FORBIDDEN.search(path):
        raise PathRefused(f"{path!r} contains quotes, angle brackets or control characters.")
    parts = [part for part in path.split("/") if part]
    if any(part in {".", ".."} for part in parts):
        raise PathRefused(f"{path!r} contains . or .. components: name the directory itself.")
    if ".snapshot" in parts:
        raise PathRefused(f"{path!r} points into a read-only .snapshot directory.")
    return posixpath.join("/", *parts)


def is_within(path: str, root: str) -> bool:
    """True when `path` is `root` or lies below it (both normalised)."""
    return root == "/" or path == root or path.startswith(root.rstrip("/") + "/")
