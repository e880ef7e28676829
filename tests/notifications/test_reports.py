"""Each event the console notifies, produced where it happens: a round's move to failed
or crash-consistent, a fault prompt, a switchover that starts, finishes or fails; each
with its deliveries to the channels that asked for its kind."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backups.models import Round, RoundState
from backups.transitions import move_round
from failover.models import Switchover, SwitchoverState
from failover.prompts import open_prompt
from failover.running import run_switchover
from failover.sequences import FAILOVER_STEPS
from failover.switching import failover
from notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(offline_pairing, make_service, redis):
    return make_service(offline_pairing)


def round_in(service, state: str) -> Round:
    return Round.objects.create(service=service, moment=timezone.now().replace(microsecond=0),
                                state=state, snapshot_name="r1", source=service.pairing.primary,
                                target=service.pairing.secondary)


def test_a_failed_round_notifies_its_tenant_with_the_reason(service, make_channel):
    channel = make_channel("http://hooks.example/", [Kind.ROUND_FAILED], tenant="acme")
    round_ = round_in(service, RoundState.REPLICATING)

    assert move_round(round_, RoundState.FAILED, "the copy of /data/acme/bills failed")

    notification = Notification.objects.get()
    assert notification.kind == Kind.ROUND_FAILED
    assert notification.tenant == service.tenant
    assert notification.subject == (f"acme/bill clearing: the round at "
                                     f"{round_.moment:%H:%M:%S} ended failed")
    assert "no restore point was taken" in notification.body
    assert "Why: the copy of /data/acme/bills failed" in notification.body
    assert notification.link == f"/rounds/{round_.pk}/"
    assert [delivery.channel for delivery in notification.deliveries.all()] == [channel]


def test_a_crash_consistent_round_notifies(service):
    round_ = round_in(service, RoundState.FINALIZING)

    assert move_round(round_, RoundState.CRASH_CONSISTENT)

    notification = Notification.objects.get()
    assert notification.kind == Kind.ROUND_CRASH_CONSISTENT
    assert notification.subject.endswith("ended crash-consistent")


def test_a_consistent_or_cancelled_round_notifies_nothing(service):
    assert move_round(round_in(service, RoundState.FINALIZING), RoundState.CONSISTENT)
    cancelled = Round.objects.create(service=service, state=RoundState.REPLICATING,
                                     moment=timezone.now() + timedelta(minutes=5))
    assert move_round(cancelled, RoundState.CANCELLED, "cancelled by tina")

    assert not Notification.objects.exists()


def test_a_round_moved_by_another_process_first_notifies_once(service):
    round_ = round_in(service, RoundState.REPLICATING)
    assert move_round(Round.objects.get(pk=round_.pk), RoundState.FAILED, "first")
    assert not move_round(round_, RoundState.FAILED, "second")

    assert Notification.objects.count() == 1


def test_a_fault_prompt_notifies_operators(offline_pairing, redis, make_channel):
    channel = make_channel("http://hooks.example/", [Kind.FAULT_PROMPT], role="operators")
    since = timezone.now() - timedelta(seconds=12)

    prompt = open_prompt(offline_pairing, since, {"failed": []}, [])

    assert prompt is not None
    notification = Notification.objects.get()
    assert (notification.kind, notification.tenant) == (Kind.FAULT_PROMPT, None)
    assert notification.subject == "Fault prompt: the primary east has failed"
    assert notification.link == "/failover/"
    assert [delivery.channel for delivery in notification.deliveries.all()] == [channel]
    # The same fault again opens nothing and notifies nothing.
    assert open_prompt(offline_pairing, since, {"failed": []}, []) is None
    assert Notification.objects.count() == 1


def test_a_switchover_notifies_when_it_starts_and_when_it_finishes(offline_pairing, redis):
    switchover = failover(offline_pairing, "otto", "west", "east burned down",
                          run=lambda started: None)

    started = Notification.objects.get()
    assert started.kind == Kind.SWITCHOVER_STARTED
    assert started.subject == "Failover (unplanned, confirmed by an operator) started"
    assert "by otto: east burned down" in started.body
    # Every step but the last done already: the last one is the database's own swap.
    Switchover.objects.filter(pk=switchover.pk).update(steps={
        **switchover.steps, **{name: "done" for name, _ in FAILOVER_STEPS[:-1]}})

    assert run_switchover(switchover.pk).state == SwitchoverState.DONE

    finished = Notification.objects.exclude(pk=started.pk).get()
    assert finished.kind == Kind.SWITCHOVER_FINISHED
    assert finished.body.endswith("is done, not committed.")


def test_a_switchover_that_fails_notifies_with_its_error(offline_pairing, redis):
    switchover = failover(offline_pairing, "otto", "west", "east burned down",
                          run=lambda started: None)
    Switchover.objects.filter(pk=switchover.pk).update(steps={
        **switchover.steps, **{name: "done" for name, _ in FAILOVER_STEPS[:-1]}})
    # Someone else moved the pairing meanwhile: the swap finds a conflict.
    type(offline_pairing).objects.filter(pk=offline_pairing.pk).update(epoch=7)

    assert run_switchover(switchover.pk).state == SwitchoverState.FAILED

    failed = Notification.objects.get(kind=Kind.SWITCHOVER_FAILED)
    assert "the pairing changed since the switchover began" in failed.body
    assert failed.tenant is None
