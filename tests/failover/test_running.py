"""A switchover whose process dies between two steps is resumed from the first step not
recorded, and completes: in this process (a step that never returns) and as a real
`manage.py failover confirm` killed with SIGKILL."""

import os
import signal
import subprocess
import sys
from datetime import timedelta

import django_rq
import pytest
from django.utils import timezone
from rq.job import JobStatus

from console.models import Cluster, Pairing
from console.roles import Role
from failover import sequences
from failover.models import Switchover, SwitchoverState
from failover.running import enqueue_switchover, job_id, resume_switchovers, run_here
from failover.switching import failover
from tests.backups.conftest import site, tree, wait_for, work
from tests.backups.test_failures import ROOT
from tests.failover.conftest import consistent_round, identity_of

pytestmark = pytest.mark.django_db(transaction=True)


class Killed(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs."""


def killing_after(step_name: str) -> list:
    def killed(switchover):
        raise Killed

    names = [name for name, _ in sequences.FAILOVER_STEPS]
    following = names[names.index(step_name) + 1]
    return [(name, killed if name == following else step)
            for name, step in sequences.FAILOVER_STEPS]


def assert_failed_over(clusters, pairing) -> None:
    assert identity_of(clusters["site-b"]) == ("primary", 2, "site-a")
    assert identity_of(clusters["site-a"]) == ("secondary", 2, "site-b")
    pairing.refresh_from_db()
    assert (pairing.primary.name, pairing.epoch) == ("site-b", 2)


@pytest.mark.parametrize("last_done", ["rolled_back", "user_data_synced", "primary_written",
                                       "old_primary_written"])
def test_a_failover_killed_between_two_steps_is_resumed_and_completes(
    last_done, bills_only, pairing, clusters, tenant_data, minicluster, monkeypatch
):
    point = consistent_round(bills_only).restore_point
    secondary = site(minicluster, "site-b")
    secondary.write(f"{tenant_data.bills}/half-copied.csv", b"half\n", overwrite=True)
    monkeypatch.setattr(sequences, "FAILOVER_STEPS", killing_after(last_done))
    with pytest.raises(Killed):
        failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    monkeypatch.undo()
    switchover = Switchover.objects.get()
    assert switchover.state == SwitchoverState.RUNNING
    assert list(switchover.steps)[-1] == last_done
    # Its claim holds while its lease runs: nobody else takes it over.
    assert resume_switchovers(run=run_here) == []
    # The dead process renews it no more.
    Switchover.objects.update(runner_until=timezone.now() - timedelta(seconds=1))

    assert resume_switchovers(run=run_here) == [switchover]

    switchover.refresh_from_db()
    assert switchover.state == SwitchoverState.DONE, switchover.error
    assert list(switchover.steps) == ["confirmed", "backups_paused", "rounds_stopped",
                                      "rolled_back", "user_data_synced", "primary_written",
                                      "discovery_moved", "old_primary_written", "pairing_swapped"]
    assert_failed_over(clusters, pairing)
    bills = tenant_data.bills
    assert tree(secondary, bills) == tree(
        secondary, f"/data/.snapshot/{point.name}/{bills.removeprefix('/data/')}")


def test_a_failover_command_killed_mid_way_is_resumed_by_the_next_pass(
    pairing, clusters, make_user, silent_zookeeper
):
    make_user("olga", Role.OPERATOR)
    site_a = clusters["site-a"]
    real_hosts = site_a.zookeeper_hosts
    # The old primary's ZooKeeper hangs: the command is still waiting for it when killed.
    Cluster.objects.filter(pk=site_a.pk).update(zookeeper_hosts=silent_zookeeper)
    command = subprocess.Popen(
        [sys.executable, "manage.py", "failover", "confirm", "--pairing", str(pairing.pk),
         "--typed-name", "site-b", "--reason", "site-a lost power", "--as", "olga"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
                       "LOCKSTEP_TEST_WORKER": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Starting Django and syncing user data come first: slow on a loaded machine.
        wait_for(lambda: "primary_written" in getattr(Switchover.objects.first(), "steps", {}),
                 120, "the new primary's identity")
    finally:
        command.send_signal(signal.SIGKILL)
        command.communicate(timeout=30)
    switchover = Switchover.objects.get()
    assert switchover.state == SwitchoverState.RUNNING
    assert "old_primary_written" not in switchover.steps
    Cluster.objects.filter(pk=site_a.pk).update(zookeeper_hosts=real_hosts)

    # Its process is gone: the claim is free at once on this host.
    assert resume_switchovers(run=run_here) == [switchover]

    switchover.refresh_from_db()
    assert switchover.state == SwitchoverState.DONE, switchover.error
    assert [n for n in switchover.notes if not n.startswith("User data synced")] == []
    assert_failed_over(clusters, Pairing.objects.get())
    assert list(switchover.steps)[-2:] == ["old_primary_written", "pairing_swapped"]


def test_a_job_record_left_by_a_killed_worker_does_not_keep_a_switchover_from_running(
    pairing, clusters, queues
):
    switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=lambda _: None)
    queue = django_rq.get_queue("control")
    # A worker killed between taking the job and starting it leaves its record "queued",
    # listed in no queue.
    queue.create_job("failover.jobs.run_switchover", args=(switchover.pk,),
                     job_id=job_id(switchover), status=JobStatus.QUEUED).save()

    enqueue_switchover(switchover)
    enqueue_switchover(switchover)

    assert queue.get_job_ids() == [job_id(switchover)]
    work("control")
    switchover.refresh_from_db()
    assert switchover.state == SwitchoverState.DONE, switchover.error
