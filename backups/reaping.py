"""No round stays stuck: the scheduler's reaper finds rounds whose jobs are gone (a worker
killed, Redis restarted, a retry that no RQ scheduler enqueued) or that passed their
deadline, and resumes them where a step can run again or fails them with the reason.

A job is found by its id, which is derived from the round or task (backups/queueing.py).
Copying is idempotent (a re-run continues where the last left off), so a lost copy job is
enqueued again; a lost snapshot or finishing job cannot be redone after T, so its round
fails and the next round starts from the last restore point. Before T, a prepared
round whose dispatch was never enqueued gets it.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from backups import queueing
from backups.models import FINAL_STATES, Round, RoundState, Service, TaskState
from backups.transitions import move_round, move_task
from console import clock

log = logging.getLogger(__name__)

ALIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}
# A job this long past its scheduled time was not enqueued by any RQ scheduler.
OVERDUE = timedelta(seconds=30)


def reap(now: datetime | None = None) -> list[str]:
    """Check every unfinished round whose moment has passed, and every prepared round
    whose moment is to come; return what was done."""
    now = now or clock.now()
    done = _enqueue_lost_dispatches(now)
    for round_ in Round.objects.exclude(state__in=FINAL_STATES).filter(
            moment__lt=now - timedelta(seconds=settings.LOCKSTEP_REAPER_GRACE)):
        try:
            done += _reap_round(round_, now)
        except Exception:
            log.exception("reaping %s failed", round_)
    return done


def _enqueue_lost_dispatches(now: datetime) -> list[str]:
    """A process killed between recording a round and enqueueing its moment's dispatch
    (the scheduler, or the console for a run-now round) left a round that T would
    fail: before T, its dispatch can still be enqueued."""
    done = []
    claims = Service.objects.values("active_round")
    for round_ in Round.objects.filter(state=RoundState.SCHEDULED, moment__gt=now,
                                       pk__in=claims):
        if not _alive(queueing.snapshot_job_id(round_)):
            queueing.enqueue_snapshot(round_)
            done.append(f"{round_}: its dispatch enqueued again")
    return done


def _reap_round(round_: Round, now: datetime) -> list[str]:
    # From its start at T, or from its retry: a round retried hours after T has its time.
    deadline = (round_.started_at or round_.moment) + timedelta(
        seconds=settings.LOCKSTEP_ROUND_DEADLINE)
    if now > deadline:
        return _fail(round_, f"no end by its deadline ({deadline:%Y-%m-%d %H:%M:%S %Z}): "
                             "raise LOCKSTEP_ROUND_DEADLINE if rounds of this size need longer")
    if round_.state in (RoundState.SCHEDULED, RoundState.WAITING, RoundState.SNAPSHOTTING):
        if _alive(queueing.snapshot_job_id(round_)):
            return []
        return _fail(round_, "its snapshot job was lost (its worker died or Redis lost its "
                             "queues) and T has passed: the next round takes over")
    if round_.state == RoundState.FINALIZING:
        if _alive(queueing.finish_job_id(round_)):
            return []
        return _fail(round_, "its finishing job was lost while the restore point was taken")
    return _resume_replication(round_)


def _resume_replication(round_: Round) -> list[str]:
    """Enqueue again each open task whose copy job is gone, and the finish if it is."""
    done = []
    open_tasks = round_.tasks.filter(state__in=[TaskState.PENDING, TaskState.COPYING])
    lost = [task for task in open_tasks if not _alive(queueing.copy_job_id(task))]
    for task in lost:
        if task.attempts > settings.LOCKSTEP_REAPER_MAX_RESUMES:
            move_task(task, TaskState.FAILED,
                      error=f"its copy job was lost {task.attempts} times: giving up")
            done.append(f"{task}: failed")
    resumed = [task for task in lost if task.state != TaskState.FAILED]
    if resumed or not _alive(queueing.finish_job_id(round_)):
        queueing.enqueue_replication(round_, resumed)
        done += [f"{task}: resumed" for task in resumed] or [f"{round_}: finish enqueued"]
    return done


def _fail(round_: Round, reason: str) -> list[str]:
    # Only from the state this decision was made on: the job may have moved it since.
    if move_round(round_, RoundState.FAILED, reason, only_from={round_.state}):
        queueing.enqueue_snapshot_cleanup(round_)
        return [f"{round_}: failed, {reason}"]
    return []


def _alive(job_id: str) -> bool:
    """The job is queued, running, waiting for its dependencies or scheduled (and not
    overdue: an overdue one is enqueued now, as a scheduler would have)."""
    connection = queueing.connection()
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return False
    status = job.get_status()
    if status == JobStatus.STARTED:
        return queueing.worker_alive(job)
    if status == JobStatus.SCHEDULED:
        registry = ScheduledJobRegistry(job.origin, connection=connection)
        scheduled = registry.get_scheduled_time(job)
        if scheduled is not None and clock.now() - scheduled > OVERDUE:
            registry.remove(job)
            queueing.queue(job.origin).enqueue_job(job)
            log.warning("enqueued overdue retry %s: no RQ scheduler serves %s",
                        job_id, job.origin)
    return status in ALIVE

