"""Where a round's jobs go and what they are called.

Queues are per site, named after the cluster (settings.LOCKSTEP_SITES), and chosen by
the round's frozen roles: its snapshot on its source's queue, its copies on its
target's (pull) or source's (push), its finish on `control`. Nothing assumes which
cluster is primary: after a failover the same code sends the snapshot to the other site.

Each job's id is derived from its round or task, so that the reaper (backups/reaping.py)
finds it again without bookkeeping; a job enqueued again under the same id replaces the
lost one.
"""

import contextlib

import django_rq
from django.conf import settings
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Dependency, Job

from backups.models import DataSetTask, Direction, Round, TaskState
from console.errors import Refused
from console.models import Cluster

CONTROL_QUEUE = settings.CONTROL_QUEUE


class NoWorkerQueue(Refused):
    """A cluster no site queue (and so no worker) serves."""


def connection() -> Redis:
    return django_rq.get_connection(CONTROL_QUEUE)


def queue(name: str) -> Queue:
    return django_rq.get_queue(name)


def site_queue_name(cluster: Cluster) -> str:
    """The queue of the cluster's site; refused when no worker is configured for it."""
    if cluster.name not in settings.LOCKSTEP_SITES:
        raise NoWorkerQueue(
            f"No worker queue serves {cluster}: add {cluster.name} to LOCKSTEP_SITES and "
            f"run a worker on it (manage.py rqworker {cluster.name} {CONTROL_QUEUE} "
            "--with-scheduler; see the README's Processes).")
    return cluster.name


def copy_queue_name(round_: Round) -> str:
    """Pull: the target's workers copy; push: the source's."""
    cluster = round_.target if round_.direction == Direction.PULL else round_.source
    assert cluster is not None  # frozen when it was prepared
    return site_queue_name(cluster)


def snapshot_job_id(round_: Round) -> str:
    return f"lockstep-snapshot-{round_.pk}"


def finish_job_id(round_: Round) -> str:
    return f"lockstep-finish-{round_.pk}"


def copy_job_id(task: DataSetTask) -> str:
    return f"lockstep-copy-{task.pk}"


def _discard(job_id: str) -> None:
    with contextlib.suppress(NoSuchJobError):
        Job.fetch(job_id, connection=connection()).delete()


def enqueue_snapshot(round_: Round) -> None:
    assert round_.source is not None  # frozen when it was prepared
    queue(site_queue_name(round_.source)).enqueue("backups.jobs.snapshot_round", round_.pk,
                                  job_id=snapshot_job_id(round_), job_timeout=3600)


def enqueue_replication(round_: Round, tasks: list[DataSetTask]) -> None:
    """Enqueue the copies of `tasks` (pull: on the target's queue; push: on the source's),
    then the round's finish after every open copy, whatever their outcome."""
    copies = queue(copy_queue_name(round_))
    intervals = settings.LOCKSTEP_TASK_RETRY_INTERVALS
    for task in tasks:
        _discard(copy_job_id(task))
        copies.enqueue("backups.jobs.replicate_data_set", task.pk, job_id=copy_job_id(task),
                       retry=Retry(max=len(intervals), interval=intervals),
                       job_timeout=3 * 3600)
    open_copies = [copy_job_id(task) for task in round_.tasks.filter(
        state__in=[TaskState.PENDING, TaskState.COPYING])]
    _discard(finish_job_id(round_))
    queue(CONTROL_QUEUE).enqueue(
        "backups.jobs.finish_round", round_.pk, job_id=finish_job_id(round_),
        depends_on=Dependency(jobs=open_copies, allow_failure=True) if open_copies else None,
        job_timeout=3600)


def enqueue_snapshot_cleanup(round_: Round) -> None:
    """Delete the source's snapshot of a round that ended without a restore point."""
    queue(CONTROL_QUEUE).enqueue("backups.jobs.drop_snapshots_of_round", round_.pk)
