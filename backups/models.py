from datetime import timedelta

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from console.models import Cluster, Pairing, Tenant


class Service(models.Model):
    """A tenant's business service: the unit that is backed up at one moment T."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(
        max_length=100,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$",
                "Use letters, digits, spaces, dots, hyphens and underscores.",
            )
        ],
    )
    description = models.TextField(blank=True)
    # None after an administrator unpaired the clusters: the policy stays disabled until
    # the service is pointed at a pairing again.
    pairing = models.ForeignKey(Pairing, on_delete=models.SET_NULL, null=True,
                                related_name="services")
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    # The claim that lets one round of the service run at a time: taken by a conditional
    # update when a round is prepared, released when that round reaches a final state.
    active_round = models.ForeignKey("Round", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["tenant__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="service_name_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.tenant.name}/{self.name}"


# A data set's identifier and the HDFS path of its data, as stored (discovery refuses
# longer ones: SQLite would keep them, PostgreSQL refuse them inside the save).
MAX_LOCATOR = 500
MAX_STORAGE_PATH = 1000


class Component(models.TextChoices):
    HDFS = "hdfs", "HDFS directory"
    HIVE = "hive", "Hive table"
    SPARKSQL = "sparksql", "SparkSQL table"


class DataSet(models.Model):
    """One member of a service's protection group, on the pairing's primary cluster."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="data_sets")
    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="+")
    component = models.CharField(max_length=10, choices=Component.choices)
    # An HDFS path, or `database.table` for Hive and SparkSQL.
    locator = models.CharField(max_length=MAX_LOCATOR)
    # Where the data lives in HDFS: the path itself, or the table's location.
    storage_path = models.CharField(max_length=MAX_STORAGE_PATH)

    class Meta:
        ordering = ["component", "locator"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "storage_path"], name="data_set_in_one_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_component_display()} {self.locator}"


class Consistency(models.TextChoices):
    ATOMIC = "atomic", "atomic (one snapshot of the shared root)"
    SYNCHRONIZED = "synchronized", "synchronized (parallel snapshots, skew measured)"


class Direction(models.TextChoices):
    PULL = "pull", "pull (the secondary's workers copy)"
    PUSH = "push", "push (the primary's workers copy)"


# Upper bounds that the API and the policy form enforce (beyond them a value is a typo
# or an attack, and a duration would overflow).
MAX_RETENTION = 10_000
MAX_SKEW_LIMIT_MS = 60_000


class BackupPolicy(models.Model):
    """When a service is backed up: first moment T0, period, retention, consistency."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="policy")
    first_moment = models.DateTimeField("first backup moment (T0)")
    # None: back up once, at T0.
    period = models.DurationField(
        null=True, blank=True, validators=[MinValueValidator(timedelta(minutes=1))]
    )
    retention = models.PositiveIntegerField(
        "restore points kept", default=24, validators=[MinValueValidator(1)]
    )
    consistency = models.CharField(max_length=12, choices=Consistency.choices)
    skew_limit = models.DurationField(
        "skew limit", default=timedelta(milliseconds=50),
        help_text="synchronized mode: the largest spread of snapshot times accepted",
    )
    direction = models.CharField(max_length=4, choices=Direction.choices,
                                 default=Direction.PULL)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Why the scheduler could not prepare this policy's round in its last pass (shown on
    # the service page; cleared by the next pass that succeeds).
    schedule_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "backup policies"

    def __str__(self) -> str:
        return str(self.service)


class RoundState(models.TextChoices):
    SCHEDULED = "scheduled", "scheduled"
    # Claimed by one snapshot thread, which checks the round and sleeps until T.
    WAITING = "waiting", "waiting for T"
    SNAPSHOTTING = "snapshotting", "snapshotting"
    REPLICATING = "replicating", "replicating"
    FINALIZING = "finalizing", "applying metadata"
    CONSISTENT = "consistent", "consistent"
    CRASH_CONSISTENT = "crash_consistent", "crash-consistent"
    FAILED = "failed", "failed"
    CANCELLED = "cancelled", "cancelled"
    # The clusters' identities moved to another epoch (a failover): it stopped untouched.
    FENCED = "fenced", "fenced"
    # A newer round of the service had started when this one's job ran.
    SUPERSEDED = "superseded", "superseded"
    SKIPPED = "skipped", "skipped"
    MISSED = "missed", "missed"


class Round(models.Model):
    """One backup of a service at moment T: snapshot, replication, restore point."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="rounds")
    moment = models.DateTimeField("moment T", db_index=True)
    state = models.CharField(max_length=16, choices=RoundState.choices,
                             default=RoundState.SCHEDULED)
    # Frozen when the round is prepared: later edits of the service or its pairing apply
    # from the next round, never to this one.
    source = models.ForeignKey(Cluster, null=True, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(Cluster, null=True, on_delete=models.PROTECT, related_name="+")
    # The pairing's epoch at preparation: both clusters' identities must still carry it
    # before each step that writes (backups/fencing.py).
    epoch = models.PositiveIntegerField(null=True, blank=True)
    direction = models.CharField(max_length=4, choices=Direction.choices,
                                 default=Direction.PULL)
    consistency = models.CharField(max_length=12, choices=Consistency.choices,
                                   default=Consistency.ATOMIC)
    skew_limit = models.DurationField(default=timedelta(milliseconds=50))
    retention = models.PositiveIntegerField(default=24)
    reason = models.TextField(blank=True, help_text="why it was skipped, missed or failed")
    # Found at T; kept apart from `reason`, which a failure overwrites, so that a retried
    # round still ends crash-consistent.
    crash_reason = models.TextField(
        blank=True, help_text="why its restore point can only be crash-consistent")
    snapshot_name = models.CharField(max_length=100, blank=True)
    # Each data set's (or the shared root's) snapshot time, epoch ms, as taken.
    snapshot_times = models.JSONField(default=dict)
    skew_ms = models.FloatField(null=True, blank=True)
    moment_error_ms = models.FloatField(null=True, blank=True)
    verification_attempts = models.PositiveIntegerField(default=0)
    metadata = models.JSONField(default=dict, help_text="table metadata captured at T")
    base = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", help_text="the consistent round diffed from")
    full_copy = models.BooleanField(default=False)
    rolled_back = models.JSONField(default=list, help_text="secondary changes undone first")
    restored_files = models.PositiveIntegerField(
        default=0, help_text="files copied back from the restore point to undo them")
    restored_bytes = models.PositiveBigIntegerField(default=0)
    retention_error = models.TextField(
        blank=True, help_text="why retention failed after the restore point was taken")
    files = models.PositiveIntegerField(default=0)
    bytes = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-moment"]
        constraints = [
            models.UniqueConstraint(fields=["service", "moment"], name="one_round_per_moment")
        ]

    def __str__(self) -> str:
        return f"{self.service} @ {self.moment:%Y-%m-%d %H:%M:%S}"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def throughput(self) -> float | None:
        """Bytes per second moved by the round."""
        duration = self.duration
        if duration is None or duration.total_seconds() <= 0:
            return None
        return self.bytes / duration.total_seconds()

    @property
    def finished(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def late(self) -> bool:
        """Its snapshot fired further from T than LOCKSTEP_MOMENT_BOUND allows."""
        return self.moment_error_ms is not None and (
            self.moment_error_ms > settings.LOCKSTEP_MOMENT_BOUND * 1000)


FINAL_STATES = {RoundState.CONSISTENT, RoundState.CRASH_CONSISTENT, RoundState.FAILED,
                RoundState.CANCELLED, RoundState.FENCED, RoundState.SUPERSEDED,
                RoundState.SKIPPED, RoundState.MISSED}


class TaskState(models.TextChoices):
    PENDING = "pending", "pending"
    COPYING = "copying", "copying"
    VERIFIED = "verified", "verified"
    FAILED = "failed", "failed"
    CANCELLED = "cancelled", "cancelled"


class DataSetTask(models.Model):
    """Replication of one data set within a round."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="tasks")
    component = models.CharField(max_length=10, choices=Component.choices)
    locator = models.CharField(max_length=MAX_LOCATOR)
    storage_path = models.CharField(max_length=MAX_STORAGE_PATH)
    state = models.CharField(max_length=10, choices=TaskState.choices,
                             default=TaskState.PENDING)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    changes = models.JSONField(default=list, help_text="what the diff applied")
    # The last attempt's copy: when it started and when it was verified or failed.
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["component", "locator"]

    def __str__(self) -> str:
        return f"{self.round} {self.locator}"

    @property
    def took_s(self) -> float | None:
        """Seconds the last attempt's copy took, once it ended."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class RestorePoint(models.Model):
    """The secondary's own snapshot of the whole protection group at a round's moment."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE,
                                related_name="restore_points")
    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="restore_point")
    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="+")
    # The snapshottable directories that hold the group (one in atomic mode).
    snapshot_roots = models.JSONField(default=list)
    name = models.CharField(max_length=100)
    moment = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-moment"]

    def __str__(self) -> str:
        return f"{self.service} {self.name}"
