"""The fault timer's rules, on a clock the test moves (pure logic: the monitor's tests
show the same against the mini cluster)."""

from datetime import UTC, datetime, timedelta

from failover.faults import Change, FaultTimer, Moment

GRACE, RECOVERY = 10.0, 30.0
START = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


def at(seconds: float) -> Moment:
    return Moment(seconds, START + timedelta(seconds=seconds))


def probes(timer: FaultTimer, outcomes: dict[float, bool]) -> list[tuple[float, Change]]:
    """Feed probes at the given seconds; the changes they made."""
    changes = []
    for seconds, healthy in sorted(outcomes.items()):
        if change := timer.observe(healthy, at(seconds)):
            changes.append((seconds, change))
    return changes


def test_a_fault_is_due_once_the_grace_is_over_and_not_before():
    timer = FaultTimer(GRACE, RECOVERY)
    assert probes(timer, {0: True, 2: False, 4: False}) == [(2, Change.BEGAN)]
    assert timer.began.wall == START + timedelta(seconds=2)
    assert timer.due_at() == 2 + GRACE
    assert not timer.due(11.9)
    assert timer.due(12.0)


def test_a_cluster_back_within_the_grace_is_never_due():
    timer = FaultTimer(GRACE, RECOVERY)
    probes(timer, {0: False, 2: False, 4: True})
    assert timer.due_at() is None
    assert not timer.due(100)


def test_a_fault_ends_only_after_the_recovery_period_without_a_break():
    timer = FaultTimer(GRACE, RECOVERY)
    probes(timer, {0: False, 12: True, 40: True})
    assert timer.began is not None  # healthy for 28 s: not yet
    assert probes(timer, {42: True}) == [(42, Change.ENDED)]
    assert timer.recovered_from.wall == START + timedelta(seconds=12)
    assert timer.began is None


def test_a_flapping_cluster_is_one_fault_whose_grace_is_not_restarted():
    timer = FaultTimer(GRACE, RECOVERY)
    # Down 4 s, back 2 s, down again: never back long enough to end the fault.
    changes = probes(timer, {0: False, 4: True, 6: False, 10: True, 12: False})
    assert changes == [(0, Change.BEGAN)]
    assert timer.due(12)  # 12 s after the fault began, down now


def test_a_new_fault_after_a_recovery_has_its_own_grace():
    timer = FaultTimer(GRACE, RECOVERY)
    probes(timer, {0: False, 20: True, 50: True})
    assert probes(timer, {60: False}) == [(60, Change.BEGAN)]
    assert timer.due_at() == 60 + GRACE


def test_a_resumed_fault_keeps_its_name_and_counts_its_grace_from_the_restart():
    timer = FaultTimer(GRACE, RECOVERY)
    recorded = START - timedelta(minutes=5)
    timer.resume(recorded, at(100))
    assert probes(timer, {100: False}) == []
    assert timer.began.wall == recorded
    assert timer.due_at() == 100 + GRACE
