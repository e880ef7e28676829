from django.db import models

from console.models import Pairing

DEFAULT_SERVICE_ACCOUNTS = "hdfs hive yarn hadoop supergroup"


class SyncSettings(models.Model):
    """How a pairing's user data follows its data; administrators change it."""

    pairing = models.OneToOneField(Pairing, on_delete=models.CASCADE, related_name="user_data")
    remove_missing = models.BooleanField(
        "remove what the primary no longer has", default=False,
        help_text="Users, tenants and groups found only on the secondary are removed there. "
                  "Off: they are listed and left alone.")
    service_accounts = models.TextField(
        blank=True, default=DEFAULT_SERVICE_ACCOUNTS,
        help_text="Owners and groups of HDFS paths that are service accounts rather than "
                  "entries of the directory (separated by spaces): never reported as unknown.")
    # The one sync of the pairing running now: claimed by a conditional update, released
    # when it ends, so two syncs never write one directory at once.
    active_run = models.ForeignKey("SyncRun", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name_plural = "sync settings"

    def __str__(self) -> str:
        return f"user data of {self.pairing}"

    @property
    def service_account_names(self) -> set[str]:
        return set(self.service_accounts.split())


class Trigger(models.TextChoices):
    ROUND = "round", "after a consistent round"
    DEMAND = "demand", "on demand"
    FAILOVER = "failover", "before a failover"


class RunState(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    SYNCED = "synced", "synced"
    # It ran, and left entries apart: conflicts, or writes the secondary refused.
    INCOMPLETE = "incomplete", "synced with problems"
    # A dry run that read and compared both directories, writing nothing.
    COMPARED = "compared", "compared (dry run)"
    FAILED = "failed", "failed"
    # Another sync of the pairing was running.
    SKIPPED = "skipped", "skipped"


FINAL_RUN_STATES = {RunState.SYNCED, RunState.INCOMPLETE, RunState.COMPARED, RunState.FAILED,
                    RunState.SKIPPED}
# The runs that compared both directories: the drift report is as of the newest.
COMPARING_STATES = {RunState.SYNCED, RunState.INCOMPLETE, RunState.COMPARED}


class SyncRun(models.Model):
    """One sync (or dry run) of a pairing's users, tenants and groups, primary to secondary."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE,
                                related_name="user_data_runs")
    # The consistent round that started it, if one did.
    round = models.ForeignKey("backups.Round", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="user_data_runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    by = models.CharField(max_length=150)
    dry_run = models.BooleanField(default=False)
    # Asked to compare every entry (a dry run always does); otherwise it reads what may
    # have changed since the last comparison when one is recent (userdata/reading.py).
    full = models.BooleanField(default=False)
    since = models.DateTimeField(null=True, blank=True,
                                 help_text="read what changed since then; empty: every entry")
    # The pairing's roles when it ran: they swap at a failover.
    source = models.CharField(max_length=63, blank=True)
    target = models.CharField(max_length=63, blank=True)
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    reason = models.TextField(blank=True, help_text="why it failed or was skipped")
    # How many differences of each action it found, and how many writes were refused.
    counts = models.JSONField(default=dict)
    # Each difference with its outcome, problems first (at most MAX_LISTED).
    differences = models.JSONField(default=list)
    table_owners = models.JSONField(default=list, help_text="tables whose owner differs")
    unknown_owners = models.JSONField(
        default=list, help_text="secondary paths whose owner or group its directory lacks")
    paths_checked = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"user-data {'dry run' if self.dry_run else 'sync'} #{self.pk} of {self.pairing}"

    @property
    def finished(self) -> bool:
        return self.state in FINAL_RUN_STATES

    @property
    def problems(self) -> int:
        return self.counts.get("conflict", 0) + self.counts.get("refused", 0)

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class DriftEntry(models.Model):
    """An entry that differed between the pairing's directories at the last comparison,
    and since when it has."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE,
                                related_name="user_data_drift")
    kind = models.CharField(max_length=10)
    key = models.CharField(max_length=255)
    action = models.CharField(max_length=10)
    summary = models.TextField()
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["first_seen", "kind", "key"]
        verbose_name_plural = "drift entries"
        constraints = [
            models.UniqueConstraint(fields=["pairing", "kind", "key"], name="one_drift_per_entry")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.summary}"
