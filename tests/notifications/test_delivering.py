"""Deliveries through real receivers: a webhook on loopback that gets the JSON or Slack
payload, answers 500 once and gets the retry; a refusal that no retry can change; a
receiver that is not there; a private address refused; e-mail through Django's mail
backend (locmem in tests)."""

from datetime import timedelta

import django_rq
import pytest
from django.conf import settings
from django.core import mail
from rq.job import Job

from console import settings as production
from console.demo import seed_demo_channel
from console.models import Tenant
from notifications import delivering
from notifications.models import Delivery, DeliveryState, Kind
from notifications.notifying import notify
from tests.notifications.conftest import work_control

pytestmark = pytest.mark.django_db


def breach_of_acme() -> tuple:
    acme = Tenant.objects.get_or_create(name="acme")[0]
    return (Kind.RPO_BREACH, "acme/bill clearing: recovery point in breach",
            "The recovery point of acme/bill clearing is in breach.", "/services/7/", acme)


def test_a_webhook_receives_the_notification_as_json(receiver, make_channel, control_queue,
                                                     django_capture_on_commit_callbacks):
    channel = make_channel(receiver.url, [Kind.RPO_BREACH], tenant="acme")
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(*breach_of_acme())
    work_control()

    [body] = receiver.bodies()
    assert receiver.requests[0]["content_type"] == "application/json"
    assert body == {
        "kind": "rpo_breach", "kind_label": "a service's recovery point is in breach",
        "subject": "acme/bill clearing: recovery point in breach",
        "body": "The recovery point of acme/bill clearing is in breach.",
        "url": settings.LOCKSTEP_CONSOLE_URL + "/services/7/", "tenant": "acme",
        "created_at": notification.created_at.isoformat()}
    delivery = Delivery.objects.get(notification=notification, channel=channel)
    assert (delivery.state, delivery.attempts, delivery.error) == (DeliveryState.SENT, 1, "")


def test_a_slack_webhook_receives_text(receiver, make_channel, control_queue,
                                       django_capture_on_commit_callbacks):
    make_channel(receiver.url, [Kind.RPO_BREACH], transport="slack", role="operators")
    with django_capture_on_commit_callbacks(execute=True):
        notify(*breach_of_acme())
    work_control()

    assert receiver.bodies() == [{"text": (
        "*acme/bill clearing: recovery point in breach*\n"
        "The recovery point of acme/bill clearing is in breach.\n"
        f"<{settings.LOCKSTEP_CONSOLE_URL}/services/7/|Open in Lockstep>")}]


def test_a_webhook_that_answers_500_first_gets_the_same_payload_again(
        receiver, make_channel, control_queue, django_capture_on_commit_callbacks):
    receiver.answers = [500]
    channel = make_channel(receiver.url, [Kind.RPO_BREACH], tenant="acme")
    with django_capture_on_commit_callbacks(execute=True):
        notify(*breach_of_acme())
    work_control()

    assert len(receiver.requests) == 2
    assert receiver.bodies()[0] == receiver.bodies()[1]
    delivery = Delivery.objects.get(channel=channel)
    assert (delivery.state, delivery.attempts, delivery.error) == (DeliveryState.SENT, 2, "")


def test_each_delivery_job_retries_with_the_production_back_off(
        make_channel, control_queue, settings, django_capture_on_commit_callbacks):
    # The test settings retry at once; production waits 10, 60 and 300 s.
    assert production.LOCKSTEP_NOTIFY_RETRY_INTERVALS == [10, 60, 300]
    settings.LOCKSTEP_NOTIFY_RETRY_INTERVALS = production.LOCKSTEP_NOTIFY_RETRY_INTERVALS
    channel = make_channel("http://hooks.example/", [Kind.RPO_BREACH], tenant="acme")
    with django_capture_on_commit_callbacks(execute=True):
        notify(*breach_of_acme())

    delivery = Delivery.objects.get(channel=channel)
    job = Job.fetch(f"lockstep-delivery-{delivery.pk}",
                    connection=django_rq.get_connection(control_queue))
    assert (job.origin, job.retries_left, job.retry_intervals) == (
        control_queue, 3, [10, 60, 300])


def test_a_failed_attempt_is_recorded_with_the_url_the_answer_and_the_next_try(
        receiver, make_channel):
    receiver.answers = [503]
    channel = make_channel(receiver.url, [Kind.RPO_BREACH], tenant="acme")
    notification = notify(*breach_of_acme())
    delivery = delivering.attempt(Delivery.objects.get(notification=notification,
                                                       channel=channel), final=False)
    assert delivery.state == DeliveryState.PENDING
    assert delivery.error == (f"Attempt 1: The webhook {receiver.url} answered 503 Service "
                              "Unavailable: receiver broke. Tried again in "
                              f"{settings.LOCKSTEP_NOTIFY_RETRY_INTERVALS[0]} s.")


def test_a_refusal_is_not_retried(receiver, make_channel, control_queue,
                                  django_capture_on_commit_callbacks):
    receiver.answers = [404]
    channel = make_channel(receiver.url, [Kind.RPO_BREACH], tenant="acme")
    with django_capture_on_commit_callbacks(execute=True):
        notify(*breach_of_acme())
    work_control()

    assert len(receiver.requests) == 1
    delivery = Delivery.objects.get(channel=channel)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.error == (f"Attempt 1: The webhook {receiver.url} answered 404 Not "
                              "Found: no such hook. Not retried: another try cannot change "
                              "that.")


def test_a_receiver_that_is_not_there_fails_after_every_retry(
        make_channel, control_queue, django_capture_on_commit_callbacks):
    url = "http://127.0.0.1:9/hook"  # the discard port: nothing listens
    channel = make_channel(url, [Kind.RPO_BREACH], tenant="acme")
    with django_capture_on_commit_callbacks(execute=True):
        notify(*breach_of_acme())
    work_control()

    delivery = Delivery.objects.get(channel=channel)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == len(settings.LOCKSTEP_NOTIFY_RETRY_INTERVALS) + 1
    assert delivery.error == (f"Attempt 4: Could not connect to the webhook {url}: "
                              "Connection refused.")


def test_an_email_goes_to_every_address(make_channel, control_queue,
                                        django_capture_on_commit_callbacks):
    channel = make_channel("ops@example.com\noncall@example.com", [Kind.RPO_BREACH],
                           transport="email", tenant="acme")
    with django_capture_on_commit_callbacks(execute=True):
        notify(*breach_of_acme())
    work_control()

    [sent] = mail.outbox
    assert sent.to == ["ops@example.com", "oncall@example.com"]
    assert sent.from_email == settings.DEFAULT_FROM_EMAIL
    assert sent.subject == "[Lockstep] acme/bill clearing: recovery point in breach"
    assert sent.body == ("The recovery point of acme/bill clearing is in breach.\n\n"
                         f"{settings.LOCKSTEP_CONSOLE_URL}/services/7/")
    assert Delivery.objects.get(channel=channel).state == DeliveryState.SENT


def test_only_enabled_channels_of_the_kind_and_scope_get_a_delivery(make_channel):
    wanted = make_channel("http://a.example/", [Kind.RPO_BREACH], tenant="acme")
    operators = make_channel("http://b.example/", [Kind.RPO_BREACH], role="operators")
    make_channel("http://c.example/", [Kind.ROUND_FAILED], tenant="acme")  # another kind
    make_channel("http://d.example/", [Kind.RPO_BREACH], tenant="globex")  # another tenant
    disabled = make_channel("http://e.example/", [Kind.RPO_BREACH], tenant="acme")
    disabled.enabled = False
    disabled.save()

    notification = notify(*breach_of_acme())

    assert {delivery.channel for delivery in notification.deliveries.all()} == {
        wanted, operators}


def test_a_notification_without_a_tenant_reaches_role_channels_only(make_channel):
    operators = make_channel("http://b.example/", [Kind.CLUSTER_UNREACHABLE], role="operators")
    make_channel("http://a.example/", [Kind.CLUSTER_UNREACHABLE], tenant="acme")

    notification = notify(Kind.CLUSTER_UNREACHABLE, "east is unreachable")

    assert [delivery.channel for delivery in notification.deliveries.all()] == [operators]


def test_a_webhook_on_a_private_address_is_refused_unless_allowed(receiver, make_channel,
                                                                  settings):
    settings.LOCKSTEP_WEBHOOK_ALLOW_PRIVATE = False  # production's default
    channel = make_channel(receiver.url, [Kind.RPO_BREACH], tenant="acme")
    notification = notify(*breach_of_acme())

    delivery = delivering.attempt(Delivery.objects.get(notification=notification,
                                                       channel=channel), final=False)

    assert receiver.requests == []
    assert delivery.state == DeliveryState.FAILED
    assert delivery.error == (
        f"Attempt 1: The webhook {receiver.url} points to the private address 127.0.0.1: "
        "the console calls only public addresses unless LOCKSTEP_WEBHOOK_ALLOW_PRIVATE is "
        "set. Not retried: another try cannot change that.")


def test_the_delivery_of_a_channel_deleted_meanwhile_is_dropped(
        receiver, make_channel, control_queue, django_capture_on_commit_callbacks):
    channel = make_channel(receiver.url, [Kind.RPO_BREACH], tenant="acme")
    with django_capture_on_commit_callbacks(execute=True):
        notify(*breach_of_acme())
    channel.delete()

    work_control()

    assert receiver.requests == []
    assert django_rq.get_queue(control_queue).failed_job_registry.count == 0


def test_a_delivery_whose_job_was_lost_is_enqueued_again(
        receiver, make_channel, control_queue, django_capture_on_commit_callbacks):
    channel = make_channel(receiver.url, [Kind.RPO_BREACH], tenant="acme")
    # Recorded, but never enqueued: Redis was away at the commit.
    notification = notify(*breach_of_acme())
    delivery = Delivery.objects.get(notification=notification, channel=channel)
    now = delivery.created_at
    later = now + delivering.LOST_AFTER + timedelta(seconds=1)

    with django_capture_on_commit_callbacks(execute=True):  # django-rq enqueues on commit
        assert delivering.resume_lost_deliveries(now) == []  # just recorded: coming
        assert delivering.resume_lost_deliveries(later) == [delivery]
    assert delivering.resume_lost_deliveries(later) == []  # its job waits in the queue
    work_control()

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert len(receiver.requests) == 1


def test_the_demos_operators_channel_is_seeded_once_and_mails_through_the_backend(
        control_queue, django_capture_on_commit_callbacks):
    channel = seed_demo_channel()
    assert seed_demo_channel() == channel
    with django_capture_on_commit_callbacks(execute=True):
        notify(Kind.CLUSTER_UNREACHABLE, "east is unreachable")
    work_control()

    [sent] = mail.outbox
    assert (sent.to, sent.subject) == (["oncall@lockstep.invalid"],
                                       "[Lockstep] east is unreachable")
