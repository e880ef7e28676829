"""The arbitration rule alone (pure logic): which cluster applications use, from what
each cluster's ZooKeeper says."""

import pytest

from failover.arbitration import View, arbitrate, highest

A, B = "site-a", "site-b"
PRIMARY, SECONDARY = "primary", "secondary"


@pytest.mark.parametrize(("current", "seen", "a", "b", "chosen"), [
    # The first choice: whoever claims primary.
    (None, 0, View(True, PRIMARY, 1), View(True, SECONDARY, 1), A),
    (None, 0, View(False), View(True, SECONDARY, 1), None),
    # A failover writes the new primary first: both claim it, the higher epoch wins.
    (A, 1, View(True, PRIMARY, 1), View(True, PRIMARY, 2), B),
    # ... then the old one, secondary.
    (A, 2, View(True, SECONDARY, 2), View(True, PRIMARY, 2), B),
    # Both claim primary in the same epoch (split brain): stay where you are.
    (A, 1, View(True, PRIMARY, 1), View(True, PRIMARY, 1), A),
    (B, 1, View(True, PRIMARY, 1), View(True, PRIMARY, 1), B),
    # The primary's ZooKeeper is down: the other's record alone decides.
    (A, 1, View(False, PRIMARY, 1), View(True, PRIMARY, 2), B),
    (A, 1, View(False, PRIMARY, 1), View(True, SECONDARY, 1), A),
    # A returning old primary that still claims its old epoch is never gone back to.
    (B, 2, View(True, PRIMARY, 1), View(False, PRIMARY, 2), B),
    (None, 2, View(True, PRIMARY, 1), View(False, PRIMARY, 2), None),
    # No one claims primary (mid-switch, or both down): stay.
    (A, 1, View(True, SECONDARY, 1), View(True, SECONDARY, 1), A),
])
def test_the_rule(current, seen, a, b, chosen):
    assert arbitrate(current, seen, {A: a, B: b}) == chosen


def test_the_highest_epoch_counts_only_what_reachable_clusters_say():
    assert highest(1, {A: View(True, SECONDARY, 2), B: View(False, PRIMARY, 5)}) == 2
    assert highest(3, {A: View(True, PRIMARY, 2), B: View(False)}) == 3
