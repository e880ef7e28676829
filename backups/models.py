from datetime import timedelta

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

    class Meta:
        ordering = ["tenant__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="service_name_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.tenant.name}/{self.name}"


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
    locator = models.CharField(max_length=500)
    # Where the data lives in HDFS: the path itself, or the table's location.
    storage_path = models.CharField(max_length=1000)

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
    PULL = "pull", "pull (secondary-site workers copy)"
    PUSH = "push", "push (primary-site workers copy)"


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

    class Meta:
        verbose_name_plural = "backup policies"

    def __str__(self) -> str:
        return str(self.service)
