"""Where a round's jobs go and what they are called.

Queues are per site, named after the cluster (settings.LOCKSTEP_SITES), and chosen by
the round's frozen roles: its snapshot on its source's queue, its copies on its
target's (pull) or source's (push), its finish on `control`. Nothing assumes which
cluster is primary: after a failover the same code sends the snapshot to the other site.

Each job's id is derived from its round or task (the snapshot's from the round's source
and moment: one dispatch serves every round of that moment), so that the reaper
(backups/reaping.py) finds it again without bookkeeping; a job enqueued again under the
same id replaces the lost one.
"""

import contextlib
from datetime import UTC, timedelta

import django_rq
from django.conf import settings
from redis import Redis
from rq import Queue, Retry, Worker
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Dependency, Job, JobStatus

from backups.models import DataSetTask, Direction, Round, TaskState
from console import clock
from console.errors import Refused
from console.models import Cluster

CONTROL_QUEUE = settings.CONTROL_QUEUE
PENDING_OR_RUNNING = {JobStatus.QUEUED, JobStatus.STARTED}


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
    """The job that snapshots the round: the dispatch of its source and moment, shared
    by every round of that source at that moment (backups/dispatching.py)."""
    return f"lockstep-moment-{round_.source_id}-{round_.moment.astimezone(UTC):%Y%m%dT%H%M%S%f}"


def finish_job_id(round_: Round) -> str:
    return f"lockstep-finish-{round_.pk}"


def copy_job_id(task: DataSetTask) -> str:
    return f"lockstep-copy-{task.pk}"


def worker_alive(job: Job) -> bool:
    """Whether the worker running `job` is alive. A worker killed mid-job leaves its job
    "started" until the job's timeout: it is alive only while its worker beats (every
    30 s while a job runs). Its key alone is no proof: a worker killed while it handled
    its horse's death keeps a key for 8 min."""
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name,
                                connection=connection()) if job.worker_name else None
    stale = timedelta(seconds=settings.LOCKSTEP_HEARTBEAT_STALE)
    return worker is not None and worker.last_heartbeat is not None and (
        clock.now() - worker.last_heartbeat <= stale)


def job_running(job_id: str) -> bool:
    """The job is being run now, by a worker that is alive."""
    try:
        job = Job.fetch(job_id, connection=connection())
    except NoSuchJobError:
        return False
    return job.get_status() == JobStatus.STARTED and worker_alive(job)


def writing_jobs(round_: Round) -> list[str]:
    """The jobs of `round_` that are writing to its target now: its copies and its finish
    (its snapshot job writes on the source only). A queued one writes nothing: once it
    runs it finds its round ended and stops."""
    ids = [finish_job_id(round_), *(copy_job_id(task) for task in round_.tasks.all())]
    return [job_id for job_id in ids if job_running(job_id)]


def _discard(job_id: str) -> None:
    with contextlib.suppress(NoSuchJobError):
        Job.fetch(job_id, connection=connection()).delete()


def _status(job_id: str) -> JobStatus | None:
    try:
        return Job.fetch(job_id, connection=connection()).get_status()
    except NoSuchJobError:
        return None


def enqueue_snapshot(round_: Round) -> None:
    """Enqueue the dispatch of the round's moment, unless one that will take the round
    already waits or runs: before T, a dispatch keeps looking for its moment's rounds."""
    assert round_.source is not None  # frozen when it was prepared
    job_id = snapshot_job_id(round_)
    sites = queue(site_queue_name(round_.source))
    arguments = ("backups.jobs.dispatch_moment", round_.source_id, round_.moment)
    try:
        # Atomic: of the rounds of one moment prepared at once, one enqueues the dispatch.
        sites.enqueue(*arguments, job_id=job_id, job_timeout=3600, unique=True)
        return
    except DuplicateJobError:
        if clock.now() < round_.moment and _status(job_id) in PENDING_OR_RUNNING:
            return
    # The moment's dispatch has ended (this round came after its last look, at T) or
    # failed: a new one takes the round. Should two run at once, one claims each round.
    _discard(job_id)
    sites.enqueue(*arguments, job_id=job_id, job_timeout=3600)


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
