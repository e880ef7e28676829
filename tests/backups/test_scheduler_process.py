"""The scheduler as the demo runs it: one process that outlives a locked database and a
failing policy, writes its heartbeat, and whose silence every operator sees."""

import os
import re
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from backups import preparing
from backups.models import BackupPolicy, Round, RoundState
from backups.preparing import schedule_due_rounds
from console.heartbeats import SCHEDULER, beat
from console.models import Heartbeat
from console.roles import Role
from tests.backups.conftest import make_service, wait_for, work
from tests.backups.test_failures import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


def start_scheduler() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_scheduler", "--interval", "0.5"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
                       "LOCKSTEP_TEST_WORKER": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def beat_after(moment) -> bool:
    found = Heartbeat.objects.filter(name=SCHEDULER).first()
    return found is not None and found.beat_at > moment


def test_the_scheduler_outlives_a_database_locked_past_its_busy_timeout(
    pairing, tenant_data, queues
):
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    lead = settings.LOCKSTEP_ROUND_LEAD
    # Due (inside the lead) while the database is locked.
    BackupPolicy.objects.filter(pk=service.policy.pk).update(
        first_moment=timezone.now() + timedelta(seconds=lead + 5))
    scheduler = start_scheduler()
    try:
        wait_for(lambda: beat_after(timezone.now() - timedelta(seconds=5)), 60,
                 "the first heartbeat")
        # Longer than the 20 s that each connection waits for a lock.
        lock = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=60)
        lock.execute("BEGIN EXCLUSIVE")
        time.sleep(25)
        lock.rollback()
        lock.close()
        released = timezone.now()
        wait_for(lambda: beat_after(released), 60, "a heartbeat after the lock")
        assert scheduler.poll() is None, scheduler.stderr.read()
        wait_for(lambda: Round.objects.filter(service=service).exists(), 30,
                 "the round that fell due during the lock")
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
    assert Round.objects.filter(service=service, state=RoundState.SCHEDULED).count() == 1


def test_a_policy_that_fails_to_schedule_stops_no_other_and_says_why(
    pairing, tenant_data, queues, monkeypatch, client, make_user
):
    broken = make_service(pairing, [("hdfs", tenant_data.bills)], name="broken")
    healthy = make_service(pairing, [("hdfs", tenant_data.archive)], name="healthy")
    now = timezone.now()
    BackupPolicy.objects.update(first_moment=now + timedelta(seconds=10))
    record = preparing._record

    def failing_for_broken(service, moment):
        if service.pk == broken.pk:
            raise RuntimeError("the pairing's primary vanished")
        return record(service, moment)

    monkeypatch.setattr(preparing, "_record", failing_for_broken)
    prepared = schedule_due_rounds(now)
    assert [r.service_id for r in prepared] == [healthy.pk]
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    page = client.get(f"/services/{broken.pk}/").content.decode()
    assert "preparing its round failed: the pairing&#x27;s primary vanished" in page
    monkeypatch.setattr(preparing, "_record", record)
    schedule_due_rounds(now + timedelta(seconds=1))
    assert BackupPolicy.objects.get(service=broken).schedule_error == ""


def warnings_on(client) -> str:
    """The warnings every page shows above its content (the dashboard lists the
    processes besides)."""
    page = client.get("/").content.decode()
    found = re.search(r'<ul class="process-warnings" id="process-warnings">(.*?)</ul>', page)
    return found.group(1) if found else ""


def test_operators_see_a_scheduler_that_stopped_beating(client, make_user, db):
    client.force_login(make_user("olga", Role.OPERATOR))
    assert "The scheduler has never run" in warnings_on(client)
    beat(SCHEDULER)
    assert "The scheduler" not in warnings_on(client)
    Heartbeat.objects.update(beat_at=timezone.now() - timedelta(minutes=3))
    assert "The scheduler has not run for 3 min" in warnings_on(client)
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    assert "The scheduler" not in client.get("/").content.decode()


def test_a_scheduler_killed_after_preparing_a_round_is_restarted_without_doubling_it(
    pairing, tenant_data, queues
):
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    lead = settings.LOCKSTEP_ROUND_LEAD
    BackupPolicy.objects.filter(pk=service.policy.pk).update(
        first_moment=timezone.now() + timedelta(seconds=lead - 10))
    scheduler = start_scheduler()
    try:
        prepared = wait_for(lambda: Round.objects.filter(service=service).first(), 60,
                            "the round to be prepared")
        scheduler.kill()
        scheduler.wait(timeout=30)
        killed = timezone.now()
        scheduler = start_scheduler()
        wait_for(lambda: beat_after(killed), 60, "the restarted scheduler's heartbeat")
        time.sleep(2)  # a few passes of the restarted scheduler
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
    work()
    rounds = list(Round.objects.filter(service=service))
    assert [r.pk for r in rounds] == [prepared.pk]
    assert rounds[0].state == RoundState.CONSISTENT, rounds[0].reason
