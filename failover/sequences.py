"""Which steps each kind of switchover takes, in order (failover/steps.py says what each
step does, failover/planned.py the planned switchover's own)."""

from collections.abc import Callable

from failover import planned, release, steps
from failover.models import Switchover, SwitchoverKind

Step = Callable[[Switchover], None]
FAILOVER_STEPS: list[tuple[str, Step]] = [
    ("rounds_stopped", steps.stop_rounds_in_flight),
    ("rolled_back", steps.revert_services),
    ("user_data_synced", steps.sync_user_data),
    ("primary_written", steps.write_new_primary),
    ("discovery_moved", steps.move_discovery),
    ("old_primary_written", steps.write_old_primary),
    ("pairing_swapped", steps.swap_pairing),
]
# The old primary was left as the failover found it: there is nothing to revert.
ROLLBACK_STEPS = [step for step in FAILOVER_STEPS if step[0] != "rolled_back"]
# Nothing to revert either: the final rounds bring the secondary up to the fence.
PLANNED_STEPS: list[tuple[str, Step]] = [
    ("writes_fenced", planned.fence_writes),
    ("rounds_stopped", steps.stop_rounds_in_flight),
    ("final_rounds", planned.run_final_rounds),
    ("verified", planned.verify_copies),
    *[step for step in FAILOVER_STEPS if step[0] not in ("rounds_stopped", "rolled_back")],
    # Done means committed: nothing holds the old direction's snapshots any longer.
    ("old_direction_released", release.release_old_direction),
]


def steps_of(switchover: Switchover) -> list[tuple[str, Step]]:
    return {SwitchoverKind.ROLLBACK: ROLLBACK_STEPS,
            SwitchoverKind.PLANNED: PLANNED_STEPS}.get(SwitchoverKind(switchover.kind),
                                                       FAILOVER_STEPS)
