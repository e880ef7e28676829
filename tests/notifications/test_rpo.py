"""The scheduler's RPO watch: a breach notifies once when it begins, and once more when
the service is back within its target; passes in between say nothing."""

import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from backups.dashboard import AT_RISK, BREACH, SAFE, UNPROTECTED
from backups.models import RestorePoint, Round, RoundState
from notifications.models import Kind, Notification, RpoWatch
from notifications.rpo import transition, watch_rpo
from tests.conftest import ROOT, console_env


@pytest.mark.parametrize(("breached", "verdict", "expected"), [
    (False, BREACH, (Kind.RPO_BREACH, True)),
    (True, BREACH, (None, True)),
    (True, AT_RISK, (None, True)),  # on the way back, not back yet
    (True, SAFE, (Kind.RPO_RECOVERED, False)),
    (False, SAFE, (None, False)),
    (False, AT_RISK, (None, False)),
    (True, UNPROTECTED, (None, False)),  # switched off: nothing left to recover
])
def test_transition(breached, verdict, expected):
    assert transition(breached, verdict) == expected


@pytest.fixture
def service(offline_pairing, make_service, redis):
    return make_service(offline_pairing)


def consistent_point(service, moment) -> None:
    round_ = Round.objects.create(service=service, moment=moment, state=RoundState.CONSISTENT)
    RestorePoint.objects.create(service=service, round=round_,
                                cluster=service.pairing.secondary, name="p", moment=moment)


@pytest.mark.django_db
def test_a_breach_notifies_once_and_its_recovery_once(service):
    # No restore point two breach limits after the first moment: in breach.
    late = service.policy.first_moment + timedelta(minutes=25)

    assert watch_rpo(late) == [(service, Kind.RPO_BREACH)]
    assert watch_rpo(late + timedelta(seconds=15)) == []

    breach = Notification.objects.get()
    assert breach.kind == Kind.RPO_BREACH
    assert breach.tenant == service.tenant
    assert breach.subject == "acme/bill clearing: recovery point in breach"
    assert breach.body == ("The recovery point of acme/bill clearing is in breach: "
                           "no consistent restore point yet.")
    assert breach.link == f"/services/{service.pk}/"

    consistent_point(service, late + timedelta(seconds=20))
    assert watch_rpo(late + timedelta(seconds=30)) == [(service, Kind.RPO_RECOVERED)]
    assert watch_rpo(late + timedelta(seconds=45)) == []

    recovered = Notification.objects.exclude(pk=breach.pk).get()
    assert recovered.subject == "acme/bill clearing: recovery point back within its target"
    assert RpoWatch.objects.get(service=service).verdict == SAFE


@pytest.mark.django_db
def test_a_safe_service_never_notifies(service):
    now = timezone.now()
    consistent_point(service, now - timedelta(minutes=1))
    assert watch_rpo(now) == []
    assert watch_rpo(now + timedelta(seconds=15)) == []
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_notifies_a_breach_in_its_pass(offline_pairing, make_service, redis):
    service = make_service(offline_pairing)
    # Its first moment long past, and not one restore point.
    type(service.policy).objects.filter(pk=service.policy.pk).update(
        first_moment=timezone.now() - timedelta(hours=1))

    done = subprocess.run([sys.executable, "manage.py", "run_scheduler", "--once"], cwd=ROOT,
                          env=console_env(), capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert "notified: acme/bill clearing a service's recovery point is in breach" in done.stdout
    assert Notification.objects.get().kind == Kind.RPO_BREACH
