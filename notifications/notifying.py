"""Recording a notification: the console's copy, pushed live to the pages of those who
may see it, and one delivery per channel that asked for its kind, each sent by a job.

What a notification reports (a round that failed, a cluster gone) has happened whatever
becomes of the notification: `notify` is called after the change, and the pushes and
jobs go after the commit, logged rather than raised when Redis is away.
"""

import logging

from channels.exceptions import ChannelFull
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from redis.exceptions import RedisError

from console import audit, events
from console.models import Tenant
from console.roles import Role
from notifications.delivering import attempt, enqueue_delivery
from notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    Kind,
    Notification,
)

log = logging.getLogger(__name__)


def audiences(notification: Notification) -> list[str]:
    """The live-event groups of those who may see it (access.visible_notifications)."""
    groups = [events.role_group(Role.OPERATOR)]  # administrators join it too
    if notification.tenant_id is not None:
        groups.append(events.tenant_group(notification.tenant_id))
    return groups


def notification_json(notification: Notification) -> dict:
    return {
        "id": notification.pk, "kind": notification.kind,
        "kind_label": notification.get_kind_display(), "subject": notification.subject,
        "body": notification.body, "link": notification.link,
        "tenant": notification.tenant.name if notification.tenant else None,
        "created_at": notification.created_at.isoformat(),
        "row": render_to_string("notifications/notification_row.html",
                                {"notification": notification}),
    }


def publish(notification: Notification) -> None:
    data = notification_json(notification)
    for group in audiences(notification):
        try:
            events.push(group, "notification", data)
        except (OSError, RedisError, ChannelFull) as error:
            log.warning("could not push notification %s: %s", notification.pk, error)


def channels_for(notification: Notification) -> list[Channel]:
    """The enabled channels that asked for its kind: its tenant's, and every role's
    (operators and administrators see every notification)."""
    candidates = Channel.objects.filter(enabled=True).exclude(role="")
    if notification.tenant_id is not None:
        candidates = candidates | Channel.objects.filter(enabled=True,
                                                         tenant=notification.tenant_id)
    # Kinds are a JSON list, which SQLite cannot search: there are few channels.
    return [channel for channel in candidates if notification.kind in channel.kinds]


def _send_after_commit(notification: Notification, deliveries: list[Delivery]) -> None:
    publish(notification)
    for delivery in deliveries:
        try:
            enqueue_delivery(delivery)
        except (OSError, RedisError) as error:
            log.error("could not enqueue delivery %s (notification %s through %s): %s",
                      delivery.pk, notification.pk, delivery.channel, error)


def notify(kind: Kind, subject: str, body: str = "", link: str = "",
           tenant: Tenant | int | None = None) -> Notification:
    """Record a notification and a delivery per channel that wants it; after the commit,
    push it to the live pages and enqueue its deliveries."""
    tenant_id = tenant.pk if isinstance(tenant, Tenant) else tenant
    with transaction.atomic():
        notification = Notification.objects.create(kind=kind, subject=subject[:200],
                                                   body=body, link=link, tenant_id=tenant_id)
        deliveries = [Delivery.objects.create(notification=notification, channel=channel)
                      for channel in channels_for(notification)]
        # Robust: when the caller's transaction commits (a switchover's end), a failure
        # here is logged and never reaches it.
        transaction.on_commit(lambda: _send_after_commit(notification, deliveries),
                              robust=True)
    return notification


def send_test(channel: Channel, request: HttpRequest) -> Delivery:
    """A test notification through `channel` alone, sent now (no retry: the person who
    asked waits for the outcome), shown in the console like any other, and audited."""
    by = request.user.get_username()
    with transaction.atomic():
        notification = Notification.objects.create(
            kind=Kind.TEST, subject=f"Test of the channel {channel.name}",
            body=f"{by} sent this test from the console. If you read it, the channel "
                 f"{channel.name} ({channel.get_transport_display()}) works.",
            link=reverse("notification-channel", args=[channel.pk]),
            tenant_id=channel.tenant_id)
        delivery = Delivery.objects.create(notification=notification, channel=channel)
    attempt(delivery, final=True)
    audit.record(request, "notifications.channel.test", channel,
                 outcome=(audit.Outcome.SUCCESS if delivery.state == DeliveryState.SENT
                          else audit.Outcome.FAILED), detail=delivery.error)
    publish(notification)
    return delivery
