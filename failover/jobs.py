"""RQ entry points: thin shells over the failover's modules."""

from failover import running


def run_switchover(switchover_id: int) -> None:
    running.run_switchover(switchover_id)
