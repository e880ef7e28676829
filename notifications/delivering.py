"""Sending one delivery (a notification through one channel) and recording how it went.

Each delivery is an RQ job on the control queue (notifications/jobs.py) with RQ's own
retries after LOCKSTEP_NOTIFY_RETRY_INTERVALS: a failure that may pass leaves the delivery
pending with the error and when it is tried next; the last attempt, or a refusal that
no retry can change, fails it for good. A pending delivery whose job is gone (Redis was
away when it was enqueued, a worker died running it) is enqueued again by the
scheduler's pass.
"""

import logging
from datetime import datetime, timedelta

import django_rq
from django.conf import settings
from django.db.models import Q
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from console import clock
from notifications.models import Channel, Delivery, DeliveryState, Notification, Transport
from notifications.transports import Email, Message, Slack, TransportError, Webhook
from notifications.transports import Transport as Sender

log = logging.getLogger(__name__)

# A job waits in the queue, runs, or waits for its retry: alive.
ALIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
# How long a pending delivery stays quiet before its job is looked for: one just recorded
# is enqueued after its commit.
LOST_AFTER = timedelta(minutes=1)


class DeliveryFailed(Exception):
    """Raised by the job so that RQ schedules its retry."""


def message_of(notification: Notification) -> Message:
    return Message(
        kind=notification.kind, kind_label=notification.get_kind_display(),
        subject=notification.subject, body=notification.body,
        url=settings.LOCKSTEP_CONSOLE_URL + notification.link if notification.link else "",
        tenant=notification.tenant.name if notification.tenant else None,
        created_at=notification.created_at.isoformat())


def sender_for(channel: Channel) -> Sender:
    if channel.transport == Transport.EMAIL:
        return Email(channel.addresses())
    if channel.transport == Transport.SLACK:
        return Slack(channel.target.strip())
    return Webhook(channel.target.strip())


def attempt(delivery: Delivery, final: bool) -> Delivery:
    """Try to send `delivery` once and record the outcome; `final`: no retry follows, so
    a failure fails it. A delivery sent already is not sent again (a job run twice)."""
    if delivery.state != DeliveryState.PENDING:
        return delivery
    delivery.attempts += 1
    delivery.attempted_at = clock.now()
    try:
        sender_for(delivery.channel).send(message_of(delivery.notification))
    except TransportError as error:
        delivery.error = f"Attempt {delivery.attempts}: {error}"
        if final or error.permanent:
            delivery.state = DeliveryState.FAILED
            if error.permanent and not final:
                delivery.error += " Not retried: another try cannot change that."
        else:
            intervals = settings.LOCKSTEP_NOTIFY_RETRY_INTERVALS
            wait = intervals[min(delivery.attempts, len(intervals)) - 1]
            delivery.error += f" Tried again in {wait} s."
        log.warning("delivery %s of notification %s through %s: %s", delivery.pk,
                    delivery.notification_id, delivery.channel, delivery.error)
    else:
        delivery.state = DeliveryState.SENT
        delivery.sent_at = delivery.attempted_at
        delivery.error = ""
    delivery.save(update_fields=["state", "attempts", "attempted_at", "sent_at", "error"])
    return delivery


def run_delivery(delivery_id: int, retries_left: int) -> None:
    """The job's work: one attempt; DeliveryFailed while a retry should follow."""
    delivery = Delivery.objects.select_related("channel", "notification__tenant").filter(
        pk=delivery_id).first()
    if delivery is None:
        return  # its channel was deleted meanwhile, and its log with it
    attempt(delivery, final=retries_left == 0)
    if delivery.state == DeliveryState.PENDING:
        raise DeliveryFailed(delivery.error)


def job_id(delivery: Delivery) -> str:
    return f"lockstep-delivery-{delivery.pk}"


def enqueue_delivery(delivery: Delivery) -> None:
    intervals = settings.LOCKSTEP_NOTIFY_RETRY_INTERVALS
    django_rq.get_queue(settings.CONTROL_QUEUE).enqueue(
        "notifications.jobs.deliver", delivery.pk, job_id=job_id(delivery),
        retry=Retry(max=len(intervals), interval=intervals), job_timeout=120)


def _job_alive(delivery: Delivery) -> bool:
    try:
        job = Job.fetch(job_id(delivery),
                        connection=django_rq.get_connection(settings.CONTROL_QUEUE))
    except NoSuchJobError:
        return False
    return job.get_status() in ALIVE


def resume_lost_deliveries(now: datetime) -> list[Delivery]:
    """Enqueue again each pending delivery, quiet for LOST_AFTER, whose job is gone."""
    quiet = now - LOST_AFTER
    resumed = []
    for delivery in Delivery.objects.filter(state=DeliveryState.PENDING).filter(
            Q(attempted_at__lt=quiet) | Q(attempted_at__isnull=True, created_at__lt=quiet)):
        if not _job_alive(delivery):
            enqueue_delivery(delivery)
            resumed.append(delivery)
    return resumed
