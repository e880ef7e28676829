"""RQ entry points: thin shells over notifications/delivering.py."""

from rq import get_current_job

from notifications import delivering


def deliver(delivery_id: int) -> None:
    job = get_current_job()
    # Run outside a worker (a test, a shell): no retry follows.
    retries_left = job.retries_left or 0 if job is not None else 0
    delivering.run_delivery(delivery_id, retries_left)
