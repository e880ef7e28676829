"""What the failover side of the console records: each cluster's status as the monitor
sees it, fault prompts put to operators, and switchovers with every step's time."""

from django.db import models

from console.models import Cluster, Pairing


class ClusterStatus(models.Model):
    """A cluster as the monitor (`manage.py monitor`) last saw it."""

    cluster = models.OneToOneField(Cluster, on_delete=models.CASCADE, related_name="status")
    # Every endpoint answered the last probe.
    healthy = models.BooleanField(default=False)
    # The identity in the cluster's own ZooKeeper; blank and null when none could be read.
    role = models.CharField(max_length=16, blank=True)
    epoch = models.PositiveIntegerField(null=True, blank=True)
    # Endpoint name → {"ok": bool, "detail": str, "latency_ms": float, "since": iso time}.
    endpoints = models.JSONField(default=dict)
    # When the current fault began: its first failed probe. A fault ends only after
    # LOCKSTEP_FAULT_RECOVERY seconds of healthy probes (failover/faults.py).
    unhealthy_since = models.DateTimeField(null=True, blank=True)
    # The last probe every endpoint answered.
    last_seen = models.DateTimeField(null=True, blank=True)
    # Applications' failover clients reporting in this cluster's ZooKeeper, as last read:
    # node name → {"application", "host", "pid", "cluster", "epoch", "since"}.
    clients = models.JSONField(default=dict)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "cluster statuses"

    def __str__(self) -> str:
        return f"{self.cluster}: {'healthy' if self.healthy else 'unhealthy'}"


class PromptState(models.TextChoices):
    OPEN = "open", "open"
    CONFIRMED = "confirmed", "confirmed: failover started"
    DISMISSED = "dismissed", "dismissed"
    RECOVERED = "recovered", "closed: the cluster recovered"


class FaultPrompt(models.Model):
    """A primary that stayed unreachable or unhealthy past the grace period, put to the
    operators, who confirm a failover or dismiss it. One fault opens one prompt."""

    pairing = models.ForeignKey(Pairing, null=True, on_delete=models.SET_NULL,
                                related_name="fault_prompts")
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    fault_since = models.DateTimeField()
    opened_at = models.DateTimeField(auto_now_add=True)
    # Which endpoints failed and how, since when, and what the secondary sees.
    evidence = models.JSONField(default=dict)
    # Per service: its last consistent restore point on the secondary, that point's age,
    # and what changed on the primary since (when its storage still answers).
    at_risk = models.JSONField(default=list)
    state = models.CharField(max_length=16, choices=PromptState.choices,
                             default=PromptState.OPEN)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="the confirmer's or dismisser's reason")
    note = models.TextField(blank=True, help_text="how the prompt closed by itself")

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["cluster"], condition=models.Q(state="open"),
                                    name="one_open_prompt_per_cluster"),
        ]

    def __str__(self) -> str:
        return f"fault of {self.cluster} since {self.fault_since:%Y-%m-%d %H:%M:%S}"


class SwitchoverKind(models.TextChoices):
    FAILOVER = "failover", "failover (unplanned, confirmed by an operator)"
    PLANNED = "planned", "planned switchover"
    ROLLBACK = "rollback", "rollback of a failover"


class SwitchoverState(models.TextChoices):
    RUNNING = "running", "running"
    # A failover that landed; within its window it may still be rolled back.
    DONE = "done", "done, not committed"
    COMMITTED = "committed", "committed"
    ROLLED_BACK = "rolled_back", "rolled back"
    FAILED = "failed", "failed"


class Switchover(models.Model):
    """One reversal of a pairing's roles, with each step's time as it was done; each step
    is idempotent, so a console killed mid-way resumes from the steps recorded."""

    pairing = models.ForeignKey(Pairing, on_delete=models.PROTECT, related_name="switchovers")
    kind = models.CharField(max_length=16, choices=SwitchoverKind.choices)
    state = models.CharField(max_length=16, choices=SwitchoverState.choices,
                             default=SwitchoverState.RUNNING)
    prompt = models.OneToOneField(FaultPrompt, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="switchover")
    old_primary = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="+")
    new_primary = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="+")
    epoch_before = models.PositiveIntegerField()
    epoch_after = models.PositiveIntegerField()
    by = models.CharField(max_length=150)
    reason = models.TextField()
    # Step name → ISO time it was done, in order (fault seen, prompted, confirmed, rounds
    # stopped, rolled back, identity written, ...).
    steps = models.JSONField(default=dict)
    # Per service: the restore point it was rolled back to, and what was undone.
    services = models.JSONField(default=list)
    # What the steps found that an operator should know (an old primary that did not
    # answer, a service with no restore point to return to).
    notes = models.JSONField(default=list)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Until then an unplanned failover may be rolled back, and no restore point is deleted.
    window_until = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # A rollback: the failover it undoes.
    rolls_back = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="rollbacks")
    # The process running its steps ("host:pid") and until when its claim holds unless
    # renewed: one process at a time, and another takes over once it died.
    runner = models.CharField(max_length=200, blank=True)
    runner_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["pairing"], condition=models.Q(state="running"),
                                    name="one_running_switchover_per_pairing"),
        ]

    def __str__(self) -> str:
        return (f"{self.get_kind_display()}: {self.old_primary} → {self.new_primary} "
                f"(epoch {self.epoch_after})")
