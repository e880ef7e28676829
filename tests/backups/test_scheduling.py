"""Rounds are prepared ahead of T, never overlap, and missed moments show as gaps."""

from datetime import UTC, datetime, timedelta

import django_rq
import pytest
from django.utils import timezone

from backups.models import BackupPolicy, Round, RoundState
from backups.preparing import prepare_round, schedule_due_rounds
from backups.scheduling import moments_between, next_moment, next_whole_minute
from tests.backups.conftest import make_service

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)


def test_next_moment_steps_by_the_period():
    assert next_moment(T0, FIVE, T0 - timedelta(hours=1)) == T0
    assert next_moment(T0, FIVE, T0 + timedelta(minutes=7)) == T0 + 2 * FIVE
    assert next_moment(T0, FIVE, T0 + FIVE) == T0 + FIVE
    assert next_moment(T0, None, T0 + timedelta(seconds=1)) is None


def test_moments_between_lists_each_moment_once():
    assert moments_between(T0, FIVE, T0, T0 + 3 * FIVE) == [T0 + FIVE, T0 + 2 * FIVE,
                                                            T0 + 3 * FIVE]
    assert moments_between(T0, None, T0 - FIVE, T0 + FIVE) == [T0]


def test_next_whole_minute():
    assert next_whole_minute(T0 + timedelta(seconds=1)) == T0 + timedelta(minutes=1)


@pytest.fixture
def service(pairing, tenant_data, queues):
    return make_service(pairing, [("hdfs", tenant_data.bills)])


def primary_jobs() -> int:
    return django_rq.get_queue("site-a").count


@pytest.mark.django_db(transaction=True)
def test_round_is_prepared_within_the_lead_and_only_once(service, settings):
    moment = service.policy.first_moment
    assert schedule_due_rounds(moment - timedelta(seconds=settings.LOCKSTEP_ROUND_LEAD + 5)) \
        == []
    prepared = schedule_due_rounds(moment - timedelta(seconds=10))
    assert [r.moment for r in prepared] == [moment]
    assert prepared[0].state == RoundState.SCHEDULED
    assert primary_jobs() == 1
    assert schedule_due_rounds(moment - timedelta(seconds=5)) == []
    assert Round.objects.count() == 1 and primary_jobs() == 1


@pytest.mark.django_db(transaction=True)
def test_round_is_skipped_while_the_previous_one_runs(service):
    first = prepare_round(service, timezone.now() + timedelta(seconds=5))
    Round.objects.filter(pk=first.pk).update(state=RoundState.REPLICATING)
    second = prepare_round(service, timezone.now() + timedelta(minutes=5))
    assert second.state == RoundState.SKIPPED
    assert "had not finished (replicating)" in second.reason
    assert primary_jobs() == 1


@pytest.mark.django_db(transaction=True)
def test_moments_missed_while_nothing_ran_are_recorded_as_gaps(service):
    now = timezone.now()
    BackupPolicy.objects.filter(pk=service.policy.pk).update(
        first_moment=now - timedelta(minutes=17), updated_at=now - timedelta(minutes=20))
    schedule_due_rounds(now)
    missed = Round.objects.filter(state=RoundState.MISSED).order_by("moment")
    assert [r.moment for r in missed] == [now - timedelta(minutes=m) for m in (17, 12, 7, 2)]
    assert all("were down" in r.reason for r in missed)
    schedule_due_rounds(now + timedelta(seconds=1))
    assert Round.objects.filter(state=RoundState.MISSED).count() == 4


@pytest.mark.django_db(transaction=True)
def test_disabled_policy_prepares_nothing(service):
    BackupPolicy.objects.filter(pk=service.policy.pk).update(enabled=False)
    assert schedule_due_rounds(service.policy.first_moment - timedelta(seconds=1)) == []
