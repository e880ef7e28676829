"""RQ entry points: thin shells over the failover's modules."""

from failover import release, running
from failover.models import Switchover


def run_switchover(switchover_id: int) -> None:
    running.run_switchover(switchover_id)


def release_old_direction(switchover_id: int) -> None:
    release.release_old_direction(Switchover.objects.select_related(
        "old_primary", "new_primary").get(pk=switchover_id))
