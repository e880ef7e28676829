import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from console.paths import PathRefused, is_within, normalize_hdfs_path

# Tenant and cluster names appear in paths, database names and ZooKeeper nodes.
SHORT_NAME = RegexValidator(
    r"^[a-z][a-z0-9-]*$", "Use lower-case letters, digits and hyphens, starting with a letter."
)


class Tenant(models.Model):
    """A tenant of the clusters: owns services; its members act for it."""

    name = models.CharField(
        max_length=63,
        unique=True,
        validators=[SHORT_NAME],
        help_text="Short name, also used for the tenant's HDFS roots and Hive database.",
    )
    display_name = models.CharField(max_length=200, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="tenants", blank=True)
    hdfs_roots = models.TextField(
        "HDFS roots", blank=True,
        help_text="One absolute path a line: the directories this tenant may back up "
                  "(default /data/NAME).",
    )
    databases = models.TextField(
        blank=True,
        help_text="One Hive/SparkSQL database a line that this tenant may back up "
                  "(default NAME).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name or self.name

    # The defaults follow the name; a tenant without one yet (a form whose name was
    # refused) has none, rather than a root "/data/" or "/data/None" overlapping others.
    @property
    def roots(self) -> list[str]:
        return self.hdfs_roots.split() or ([f"/data/{self.name}"] if self.name else [])

    @property
    def database_names(self) -> list[str]:
        return [name.lower() for name in self.databases.split()] or (
            [self.name.replace("-", "_")] if self.name else [])

    def clean(self) -> None:
        """A tenant's roots and databases are its own: well formed, and no other
        tenant's (a shared root or database would hand one tenant the other's data)."""
        problems = {"hdfs_roots": _root_problems(self), "databases": _database_problems(self)}
        problems = {name: found for name, found in problems.items() if found}
        if problems:
            raise ValidationError(problems)


_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def _others(tenant: Tenant) -> models.QuerySet[Tenant]:
    return Tenant.objects.exclude(pk=tenant.pk) if tenant.pk else Tenant.objects.all()


def _root_problems(tenant: Tenant) -> list[str]:
    problems = []
    for root in tenant.hdfs_roots.split():
        try:
            normal = normalize_hdfs_path(root)
        except PathRefused as error:
            problems.append(str(error))
            continue
        if normal == "/":
            problems.append("A tenant's root cannot be / : name its own directories.")
        elif normal != root:
            problems.append(f"Write {root!r} as {normal}.")
    if problems:
        return problems
    for other in _others(tenant):
        for root in tenant.roots:
            for theirs in other.roots:
                if is_within(root, theirs) or is_within(theirs, root):
                    problems.append(f"{root} overlaps {other.name}'s {theirs}: "
                                    "a directory belongs to one tenant only.")
    return problems


def _database_problems(tenant: Tenant) -> list[str]:
    problems = [f"{name!r} is not a database name: use lower-case letters, digits and _."
                for name in tenant.databases.split() if not _DATABASE_NAME.match(name.lower())]
    if problems:
        return problems
    for other in _others(tenant):
        shared = sorted(set(tenant.database_names) & set(other.database_names))
        problems += [f"Database {name} already belongs to tenant {other.name}: a database "
                     "belongs to one tenant only." for name in shared]
    return problems


class AuditEntry(models.Model):
    """One action someone took in the console, kept for administrators to review."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", "success"
        REFUSED = "refused", "refused"
        FAILED = "failed", "failed"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Kept as text too, so that the entry still names who it was after the user is deleted.
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=100, db_index=True)
    object_repr = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.TextField(blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.outcome}"


HDFS_PATH_HELP = "An absolute HDFS path, e.g. /data."


class Cluster(models.Model):
    """A Hadoop cluster: the endpoints Lockstep reaches it through, and where it stands."""

    name = models.CharField(
        max_length=63,
        unique=True,
        validators=[SHORT_NAME],
    )
    location = models.CharField(max_length=200, help_text="Site or data centre.")
    description = models.TextField(blank=True)
    webhdfs_url = models.URLField("WebHDFS URL", help_text="The namenode's HTTP address, "
                                  "e.g. http://nn.example:9870")
    webhdfs_user = models.CharField("WebHDFS user", max_length=100, default="lockstep")
    hiveserver2_host = models.CharField("HiveServer2 host", max_length=200)
    hiveserver2_port = models.PositiveIntegerField("HiveServer2 port", default=10000)
    # Write-only: the forms and the API take it but never show it back.
    hiveserver2_password = models.CharField(
        "HiveServer2 password", max_length=200, blank=True,
        help_text="The WebHDFS user's password for HiveServer2 (LDAP sign-in); blank: "
                  "connect without authentication (NOSASL).",
    )
    zookeeper_hosts = models.CharField(
        "ZooKeeper connect string", max_length=500, help_text="host:port[,host:port...]"
    )
    ldap_url = models.CharField("LDAP URL", max_length=300, blank=True,
                                help_text="ldap://host:port, for users and tenants")
    ldap_base_dn = models.CharField(
        "LDAP base DN", max_length=300, blank=True,
        help_text="The directory's suffix, e.g. dc=example,dc=com: users live under "
                  "ou=people, tenants under ou=tenants and groups under ou=groups of it.")
    ldap_bind_dn = models.CharField(
        "LDAP bind DN", max_length=300, blank=True,
        help_text="The console's account in the directory: it reads users, groups and "
                  "tenants and, on a secondary, writes them (the user-data sync).")
    # Write-only, like the HiveServer2 password.
    ldap_password = models.CharField(
        "LDAP password", max_length=200, blank=True,
        help_text="The bind DN's password; blank: the directory is not read or synced.")
    snapshot_root = models.CharField(max_length=500, default="/data", help_text=HDFS_PATH_HELP)
    table_location_prefix = models.CharField(
        max_length=500, blank=True,
        help_text="How HiveServer2 writes the HDFS root in a table's location, when it is "
                  "not hdfs://HOST:PORT (e.g. file:/srv/cluster-root for the mini cluster).",
    )
    nodes = models.PositiveIntegerField(null=True, blank=True)
    cores = models.PositiveIntegerField(null=True, blank=True)
    memory_gib = models.PositiveIntegerField("memory (GiB)", null=True, blank=True)
    storage_tib = models.DecimalField("storage (TiB)", max_digits=10, decimal_places=2,
                                      null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def resources(self) -> str:
        """The resource specification as one line, e.g. `3 nodes · 48 cores · 384 GiB`."""
        parts = [
            f"{self.nodes} node{'s' if self.nodes != 1 else ''}" if self.nodes else "",
            f"{self.cores} cores" if self.cores else "",
            f"{self.memory_gib} GiB memory" if self.memory_gib else "",
            f"{self.storage_tib} TiB storage" if self.storage_tib else "",
        ]
        return " · ".join(part for part in parts if part)

    @property
    def pairing(self) -> "Pairing | None":
        return Pairing.objects.filter(
            models.Q(primary=self) | models.Q(secondary=self)
        ).select_related("primary", "secondary").first()


class Pairing(models.Model):
    """Two clusters: the primary now, and the secondary that holds its restore points.

    The roles are the pairing's state, not the clusters' nature: a failover swaps them
    and raises the epoch, which both clusters' identity records in ZooKeeper carry. A
    round is prepared with the roles and epoch of its moment and does nothing once the
    clusters carry another epoch.
    """

    primary = models.OneToOneField(Cluster, on_delete=models.PROTECT, related_name="+")
    secondary = models.OneToOneField(Cluster, on_delete=models.PROTECT, related_name="+")
    epoch = models.PositiveIntegerField(default=1, help_text="raised by every reversal of roles")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(primary=models.F("secondary")),
                name="pairing_of_two_clusters",
            )
        ]

    def __str__(self) -> str:
        return f"{self.primary} → {self.secondary}"


class ApiToken(models.Model):
    """A script's credential for the JSON API, acting as its owner with the owner's roles.

    Only the SHA-256 digest of the secret is stored: the secret is shown once, when an
    administrator issues the token, and cannot be recovered from the database.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. the "
                            "script or host that uses it.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Not a column: the secret of a token just issued in the admin, carried to the one
    # page that shows it (console/admin.py).
    issued_secret: str

    class Meta:
        ordering = ["user__username", "name"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"API token #{self.pk} {self.name!r} of {self.user}"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class Heartbeat(models.Model):
    """When a long-running process (the scheduler, the failover monitor) last finished a
    pass: pages warn operators when it is stale."""

    name = models.CharField(max_length=50, unique=True)
    beat_at = models.DateTimeField()
    pid = models.PositiveIntegerField(null=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%H:%M:%S}"
