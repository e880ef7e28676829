"""No round stays stuck: the reaper resumes a round whose copy job is gone or whose retry
no RQ scheduler enqueued, and fails the rounds whose moment's dispatch died with its
worker."""

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from backups import queueing
from backups.models import Round, RoundState, TaskState
from backups.preparing import prepare_round, run_now
from backups.reaping import reap
from tests.backups.conftest import make_service, site, tree, wait_for, work
from tests.backups.test_failures import ROOT, children

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def service(pairing, tenant_data, queues):
    return make_service(pairing, [("hdfs", tenant_data.bills)])


def later(round_: Round, minutes: int = 2):
    return round_.moment + timedelta(minutes=minutes)


def test_a_round_whose_copy_and_finish_jobs_were_lost_is_resumed_and_ends_consistent(
    service, tenant_data, minicluster
):
    round_ = run_now(service)
    work("site-a")
    task = round_.tasks.get()
    for job_id in (queueing.copy_job_id(task), queueing.finish_job_id(round_)):
        Job.fetch(job_id, connection=queueing.connection()).delete()
    assert reap(later(round_)) == [f"{task}: resumed"]
    work()
    round_.refresh_from_db()
    assert round_.state == RoundState.CONSISTENT, round_.reason
    assert tree(site(minicluster, "site-b"), tenant_data.bills) == tree(
        site(minicluster, "site-a"), tenant_data.bills)


def test_a_retry_that_no_scheduler_enqueued_is_enqueued_by_the_reaper(service, minicluster):
    """The wedge users met: a failed copy's retry sat in RQ's scheduled registry of a
    queue whose workers ran no scheduler, and the round stayed replicating for good."""
    round_ = run_now(service)
    work("site-a")
    task = round_.tasks.get()
    copies = queueing.queue("site-b")
    job = Job.fetch(queueing.copy_job_id(task), connection=queueing.connection())
    copies.remove(job)
    job.set_status(JobStatus.SCHEDULED)
    ScheduledJobRegistry(queue=copies).schedule(job, timezone.now() - timedelta(minutes=1))
    assert reap(later(round_)) == []  # alive: enqueued now, nothing else to do
    assert job.id in copies.job_ids
    work()
    round_.refresh_from_db()
    assert round_.state == RoundState.CONSISTENT, round_.reason


def test_rounds_whose_dispatch_was_killed_while_they_waited_for_t_fail_and_free_services(
    service, pairing, minicluster
):
    site(minicluster, "site-a").write("/data/acme/reaped/entry.csv", b"1\n", overwrite=True)
    other = make_service(pairing, [("hdfs", "/data/acme/reaped")], name="reaped")
    moment = timezone.now() + timedelta(seconds=20)
    rounds = [prepare_round(s, moment) for s in (service, other)]
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "site-a"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
                       "LOCKSTEP_TEST_WORKER": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: {r.state for r in Round.objects.filter(pk__in=[r.pk for r in rounds])}
             == {RoundState.WAITING}, 60, "the moment's dispatch to claim both rounds")
    horse = children(worker.pid)[0]
    # The whole worker dies, its work horse (and the dispatch's threads) with it.
    worker.kill()
    worker.wait(timeout=30)
    os.kill(horse, signal.SIGKILL)
    # The dead worker's heartbeat goes stale within LOCKSTEP_HEARTBEAT_STALE (60 s);
    # until then the job looks alive.
    wait_for(lambda: reap(later(rounds[0])), 180, "the reaper to fail the rounds")
    for round_ in rounds:
        round_.refresh_from_db()
        assert round_.state == RoundState.FAILED
        assert round_.reason.startswith("its snapshot job was lost")
        assert {t.state for t in round_.tasks.all()} == {TaskState.FAILED}
    assert run_now(service).state == RoundState.SCHEDULED
    assert run_now(other).state == RoundState.SCHEDULED


def test_a_prepared_round_whose_dispatch_was_never_enqueued_gets_it_before_t(
    service, tenant_data, minicluster
):
    """The scheduler killed between committing a round and enqueueing its moment's
    dispatch: the restarted one's reaper enqueues it, and the round runs at T."""
    round_ = prepare_round(service, timezone.now() + timedelta(seconds=20))
    Job.fetch(queueing.snapshot_job_id(round_), connection=queueing.connection()).delete()
    assert reap() == [f"{round_}: its dispatch enqueued again"]
    assert reap() == []  # enqueued once
    work()
    round_.refresh_from_db()
    assert round_.state == RoundState.CONSISTENT, round_.reason
    assert tree(site(minicluster, "site-b"), tenant_data.bills) == tree(
        site(minicluster, "site-a"), tenant_data.bills)
