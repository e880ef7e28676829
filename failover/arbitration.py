"""The patent's arbitration rule: which cluster of a pairing applications use, from what
each cluster's own ZooKeeper says about it (failover/client.py applies it).

- Use the cluster that claims to be primary; when the one in use reports secondary or
  cannot be reached and the other claims primary, move to the other.
- When both claim primary, stay unless the other's epoch is higher (a failover writes the
  new primary first, the old one after, when it answers).
- Never move to a cluster whose epoch is lower than one already seen (a returning old
  primary that still claims its old epoch).
- When no cluster claims primary, stay: the one in use refuses writes, and operations
  fail with a retryable error until a primary appears.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class View:
    """One cluster's identity as its ZooKeeper last said it; `reachable` False when its
    ZooKeeper does not answer (then role and epoch are what it said last, if anything)."""

    reachable: bool
    role: str | None = None
    epoch: int | None = None


def arbitrate(current: str | None, highest_epoch: int, views: dict[str, View]) -> str | None:
    """The cluster to use now: `current` is the one in use (None at first),
    `highest_epoch` the highest epoch seen so far."""
    claimants = {name: view.epoch for name, view in views.items()
                 if view.reachable and view.role == "primary" and view.epoch is not None
                 and view.epoch >= highest_epoch}
    if not claimants:
        return current
    best = max(claimants.values())
    if current is not None and claimants.get(current) == best:
        return current
    return min(name for name, epoch in claimants.items() if epoch == best)


def highest(highest_epoch: int, views: dict[str, View]) -> int:
    """The highest epoch seen, with what the reachable clusters say now."""
    return max([highest_epoch, *(view.epoch for view in views.values()
                                 if view.reachable and view.epoch is not None)])
