"""Directory quotas as HDFS enforces them: a namespace quota on the number of files and
directories in a subtree (the directory counts itself), a space quota on its bytes times
their replication, and space quotas per storage type (what the subtree's storage policy
puts on that type).

Usage is counted by walking the subtree when a change is checked against it: quotas
are set on a few directories, and only changes beneath them pay for it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from minicluster.webhdfs import policies
from minicluster.webhdfs.errors import (
    DSQuotaExceeded,
    IllegalArgument,
    NSQuotaExceeded,
    TypeQuotaExceeded,
)
from minicluster.webhdfs.inodes import Node

DONT_SET = 2**63 - 1  # HdfsConstants.QUOTA_DONT_SET: leave this quota as it is
RESET = -1  # HdfsConstants.QUOTA_RESET: remove it


PREFIXES = ("K", "M", "G", "T", "P", "E")


def long2string(n: int) -> str:
    """Hadoop's TraditionalBinaryPrefix.long2String(n, "B", 2)."""
    if n < 1024:
        return f"{n} B"
    index = min((n.bit_length() - 1) // 10, len(PREFIXES))
    value = n / (1 << (10 * index))
    if n % (1 << (10 * index)) == 0:
        return f"{n >> (10 * index)} {PREFIXES[index - 1]}B"
    text = f"{value:.2f}"
    if text.startswith("1024") and index < len(PREFIXES):
        index += 1
        text = f"{n / (1 << (10 * index)):.2f}"
    return f"{text} {PREFIXES[index - 1]}B"


@dataclass(frozen=True)
class Quota:
    namespace: int = RESET
    space: int = RESET
    types: dict[str, int] = field(default_factory=dict)


@dataclass
class Usage:
    count: int = 0
    space: int = 0
    types: dict[str, int] = field(default_factory=dict)

    def add_file(self, length: int, replication: int, policy: int) -> None:
        self.count += 1
        self.space += length * replication
        for kind, replicas in policies.placement(policy, replication).items():
            self.types[kind] = self.types.get(kind, 0) + length * replicas

    def plus(self, other: "Usage", sign: int = 1) -> "Usage":
        kinds = set(self.types) | set(other.types)
        return Usage(self.count + sign * other.count, self.space + sign * other.space,
                     {kind: self.types.get(kind, 0) + sign * other.types.get(kind, 0)
                      for kind in kinds})


def usage(entries: Iterable[tuple[Node, int]]) -> Usage:
    """What a subtree uses, from its (node, effective storage policy) entries."""
    used = Usage()
    for node, policy in entries:
        if node.is_dir:
            used.count += 1
        else:
            used.add_file(node.length, node.replication, policy)
    return used


def check(path: str, quota: Quota, now: Usage, after: Usage) -> None:
    """Refuse a change that takes a subtree from `now` beyond one of its quotas; a
    change that does not grow what is over its quota is allowed, as in HDFS."""
    if 0 <= quota.namespace < after.count and after.count > now.count:
        raise NSQuotaExceeded(
            f"The NameSpace quota (directories and files) of directory {path} is exceeded: "
            f"quota={quota.namespace} file count={after.count}")
    if 0 <= quota.space < after.space and after.space > now.space:
        raise DSQuotaExceeded(
            f"The DiskSpace quota of {path} is exceeded: quota = {quota.space} B = "
            f"{long2string(quota.space)} but diskspace consumed = {after.space} B = "
            f"{long2string(after.space)}")
    for kind, limit in quota.types.items():
        used, before = after.types.get(kind, 0), now.types.get(kind, 0)
        if 0 <= limit < used and used > before:
            raise TypeQuotaExceeded(
                f"Quota by storage type : {kind} on path : {path} is exceeded. "
                f"quota = {long2string(limit)} but space consumed = {long2string(used)}")


def parse_new(namespace: int, space: int, kind: str | None, current: Quota) -> Quota:
    """SETQUOTA / SETQUOTABYSTORAGETYPE's values applied to a directory's quota."""
    if namespace < RESET or space < RESET:
        raise IllegalArgument(f"Illegal value for nsQuota or ssQuota : {namespace} and {space}")
    if kind is not None:
        types = dict(current.types)
        if space == RESET:
            types.pop(kind, None)
        elif space != DONT_SET:
            types[kind] = space
        return Quota(current.namespace, current.space, types)
    return Quota(current.namespace if namespace == DONT_SET else namespace,
                 current.space if space == DONT_SET else space, current.types)


def as_json(quota: Quota, used: Usage) -> dict[str, Any]:
    """The quota keys of ContentSummary and QuotaUsage."""
    return {
        "quota": quota.namespace,
        "spaceConsumed": used.space,
        "spaceQuota": quota.space,
        "typeQuota": {kind: {"consumed": used.types.get(kind, 0), "quota": limit}
                      for kind, limit in sorted(quota.types.items())},
    }
