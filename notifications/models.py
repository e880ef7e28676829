"""Notifications of what needs a person's attention, the channels (integrations) that
carry them out of the console, and each channel's delivery of each notification."""

from django.conf import settings
from django.db import models

from console.models import Tenant
from console.roles import Role


class Kind(models.TextChoices):
    ROUND_FAILED = "round_failed", "a round failed"
    ROUND_CRASH_CONSISTENT = "round_crash_consistent", "a round ended crash-consistent"
    RPO_BREACH = "rpo_breach", "a service's recovery point is in breach"
    RPO_RECOVERED = "rpo_recovered", "a service's recovery point is back within its target"
    CLUSTER_UNREACHABLE = "cluster_unreachable", "a cluster is unreachable"
    CLUSTER_BACK = "cluster_back", "a cluster is reachable again"
    FAULT_PROMPT = "fault_prompt", "a fault prompt opened"
    SWITCHOVER_STARTED = "switchover_started", "a switchover started"
    SWITCHOVER_FINISHED = "switchover_finished", "a switchover finished"
    SWITCHOVER_FAILED = "switchover_failed", "a switchover failed"
    TEST = "test", "a channel's test"


# What a tenant may hear of: its own services. Clusters, prompts and switchovers go to
# operators and administrators only, as their live events do (failover/events.py).
TENANT_KINDS = (Kind.ROUND_FAILED, Kind.ROUND_CRASH_CONSISTENT, Kind.RPO_BREACH,
                Kind.RPO_RECOVERED)
OPERATOR_KINDS = (Kind.CLUSTER_UNREACHABLE, Kind.CLUSTER_BACK, Kind.FAULT_PROMPT,
                  Kind.SWITCHOVER_STARTED, Kind.SWITCHOVER_FINISHED, Kind.SWITCHOVER_FAILED)
# A test is sent to the one channel tested, never chosen.
CHOSEN_KINDS = TENANT_KINDS + OPERATOR_KINDS


class Notification(models.Model):
    """One event worth telling people about. With a tenant, that tenant's members see it
    (and operators and administrators); without, operators and administrators only."""

    kind = models.CharField(max_length=32, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # The console page it is about, as a path (e-mails and webhooks make it absolute).
    link = models.CharField(max_length=300, blank=True)
    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.subject


class ReadMark(models.Model):
    """How far a user has read: notifications with a higher id are unread. One number per
    user, not a row per notification, so that the count in every page's header is one
    query however long the history."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    last_read = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user} read up to {self.last_read}"


class Transport(models.TextChoices):
    EMAIL = "email", "e-mail"
    WEBHOOK = "webhook", "webhook (JSON POST)"
    SLACK = "slack", "Slack-compatible webhook"


# Channels scoped to a role: a tenant's people are reached through its tenant's channels.
CHANNEL_ROLES = [(Role.OPERATOR.value, "operators"),
                 (Role.ADMINISTRATOR.value, "administrators")]


class Channel(models.Model):
    """Where notifications go out of the console: e-mail addresses or a webhook, for one
    tenant (its notifications) or one role (every notification), for chosen kinds."""

    name = models.CharField(max_length=100)
    transport = models.CharField(max_length=16, choices=Transport.choices)
    target = models.TextField(help_text="E-mail: one address a line. Webhook: its URL.")
    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="notification_channels")
    role = models.CharField(max_length=32, blank=True, choices=CHANNEL_ROLES)
    kinds = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                name="channel_scoped_to_tenant_or_role",
                condition=(models.Q(tenant__isnull=False, role="")
                           | models.Q(tenant__isnull=True) & ~models.Q(role=""))),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> str:
        return f"tenant {self.tenant}" if self.tenant_id else f"role {self.role}"

    @property
    def kind_labels(self) -> list[str]:
        return [str(Kind(kind).label) for kind in self.kinds if kind in Kind.values]

    def addresses(self) -> list[str]:
        return [line.strip() for line in self.target.splitlines() if line.strip()]


class DeliveryState(models.TextChoices):
    PENDING = "pending", "waiting to be sent"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class Delivery(models.Model):
    """One notification through one channel: its attempts and how the last one went."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE,
                                     related_name="deliveries")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=16, choices=DeliveryState.choices,
                             default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # The last failure in words a user can act on: which URL or server, what it answered.
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [models.UniqueConstraint(fields=["notification", "channel"],
                                               name="one_delivery_per_channel")]

    def __str__(self) -> str:
        return f"{self.notification} through {self.channel}"


class RpoWatch(models.Model):
    """The scheduler's last verdict on a service's recovery point, so that each change
    notifies once. `breached`: a breach was notified and its recovery not yet."""

    service = models.OneToOneField("backups.Service", on_delete=models.CASCADE,
                                   related_name="+")
    verdict = models.CharField(max_length=16)
    breached = models.BooleanField(default=False)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.service}: {self.verdict}"
