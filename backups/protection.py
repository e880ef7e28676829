"""Defining a service's protection group and backup policy, validated as one unit.

Everything is checked before anything is written, and the write is one transaction:
a refused request leaves no service, data set or policy behind.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from backups.discovery import Candidate, DataSetRefused, resolve
from backups.models import BackupPolicy, Consistency, DataSet, Direction, Service
from backups.scheduling import next_whole_minute
from console.errors import Refused
from console.models import Cluster, Pairing, Tenant
from console.paths import is_within

MIN_PERIOD = timedelta(minutes=1)


class ProtectionRefused(Refused):
    """A service definition with one or more problems, each with what to change."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass
class ServiceRequest:
    tenant: Tenant
    name: str
    pairing: Pairing | None  # None is refused, with a message, by save_service
    data_sets: list[tuple[str, str]]  # (component, locator)
    first_moment: datetime
    period: timedelta | None
    retention: int
    description: str = ""
    direction: str = Direction.PULL
    skew_limit: timedelta = timedelta(milliseconds=50)
    enabled: bool = True
    problems: list[str] = field(default_factory=list)


def consistency_for(snapshot_root: str, candidates: list[Candidate]) -> str:
    """Atomic when one snapshot of the cluster's root captures every data set."""
    if all(is_within(c.storage_path, snapshot_root) for c in candidates):
        return Consistency.ATOMIC
    return Consistency.SYNCHRONIZED


def _check_name(request: ServiceRequest, service: Service | None) -> None:
    probe = Service(tenant=request.tenant, name=request.name.strip(), pairing=request.pairing)
    try:
        probe.full_clean(exclude=["tenant", "pairing", "created_by"], validate_unique=False)
    except ValidationError as error:
        request.problems += [f"Service name: {m}" for m in error.message_dict.get("name", [])]
    clash = Service.objects.filter(tenant=request.tenant, name__iexact=request.name.strip())
    if service is not None:
        clash = clash.exclude(pk=service.pk)
    if clash.exists():
        request.problems.append(f"Tenant {request.tenant.name} already has a service "
                                f"named {request.name.strip()}: choose another name.")


def _check_schedule(request: ServiceRequest, policy: BackupPolicy | None, now: datetime) -> None:
    unchanged = policy is not None and policy.first_moment == request.first_moment
    if request.first_moment <= now and not unchanged:
        offer = timezone.localtime(next_whole_minute(now))
        request.problems.append(
            f"The first backup moment {timezone.localtime(request.first_moment):%Y-%m-%d %H:%M} "
            f"is in the past: choose a later one, e.g. {offer:%Y-%m-%d %H:%M}."
        )
    if request.period is not None and request.period < MIN_PERIOD:
        request.problems.append("The period must be at least one minute (or choose 'once').")
    if request.retention < 1:
        request.problems.append("Keep at least one restore point.")
    if request.skew_limit <= timedelta(0):
        request.problems.append("The skew limit must be above zero.")


def _resolve_all(request: ServiceRequest, cluster: Cluster) -> list[Candidate]:
    if not request.data_sets:
        request.problems.append("Choose at least one data set for the service's protection group.")
        return []
    found: dict[str, Candidate] = {}
    for component, locator in request.data_sets:
        try:
            candidate = resolve(cluster, request.tenant, component, locator)
        except DataSetRefused as error:
            request.problems.append(str(error))
        else:
            found.setdefault(candidate.storage_path, candidate)
    return list(found.values())


def _check_overlaps(request: ServiceRequest, cluster: Cluster, candidates: list[Candidate],
                    service: Service | None) -> None:
    for inner in candidates:
        for outer in candidates:
            if inner is not outer and is_within(inner.storage_path, outer.storage_path):
                request.problems.append(
                    f"{inner.locator} lies inside {outer.locator}: choose one of the two."
                )
    others = DataSet.objects.filter(cluster=cluster).select_related("service__tenant")
    if service is not None:
        others = others.exclude(service=service)
    for candidate in candidates:
        for other in others:
            if is_within(candidate.storage_path, other.storage_path) or is_within(
                other.storage_path, candidate.storage_path
            ):
                request.problems.append(_overlap_problem(request.tenant, candidate, other))


def _overlap_problem(tenant: Tenant, candidate: Candidate, other: DataSet) -> str:
    if other.service.tenant_id != tenant.pk:
        # Neither the other tenant nor its data set is named: both are its business.
        return (f"{candidate.locator} overlaps a data set already in another tenant's "
                "protection group: a data set belongs to one group only. If the files are "
                f"tenant {tenant.name}'s, ask an administrator.")
    what = ("is" if candidate.locator == other.locator
            else f"overlaps {other.locator}, which is")
    return (f"{candidate.locator} {what} already in the protection group of service "
            f"{other.service.name}: a data set belongs to one group only.")


def protected_elsewhere(cluster: Cluster, tenant: Tenant, service: Service | None
                        ) -> dict[str, str]:
    """Storage paths already in a protection group, and whose (another tenant's stay unnamed)."""
    others = DataSet.objects.filter(cluster=cluster).select_related("service")
    if service is not None:
        others = others.exclude(service=service)
    return {
        other.storage_path: (other.service.name if other.service.tenant_id == tenant.pk
                             else "another tenant")
        for other in others
    }


def save_service(request: ServiceRequest, by: str, service: Service | None = None,
                 now: datetime | None = None) -> Service:
    """Validate the whole request, then create or update the service, group and policy."""
    now = now or timezone.now()
    request.problems = []
    policy = getattr(service, "policy", None) if service else None
    pairing = request.pairing
    if pairing is None:
        request.problems.append("Choose the pairing (primary → secondary) to back up over.")
        raise ProtectionRefused(request.problems)
    _check_name(request, service)
    _check_schedule(request, policy, now)
    candidates = _resolve_all(request, pairing.primary)
    _check_overlaps(request, pairing.primary, candidates, service)
    if request.problems:
        raise ProtectionRefused(request.problems)
    try:
        return _write(request, pairing, candidates, by, service)
    except IntegrityError as error:
        # Another request took one of these data sets between our check and our write.
        raise ProtectionRefused([f"A data set was just added to another group: {error}"]) \
            from error


@transaction.atomic
def _write(request: ServiceRequest, pairing: Pairing, candidates: list[Candidate], by: str,
           service: Service | None) -> Service:
    if service is None:
        service = Service(tenant=request.tenant, created_by=by)
    service.name = request.name.strip()
    service.description = request.description
    service.pairing = pairing
    service.save()
    service.data_sets.all().delete()
    cluster = pairing.primary
    DataSet.objects.bulk_create(
        DataSet(service=service, cluster=cluster, component=c.component, locator=c.locator,
                storage_path=c.storage_path)
        for c in candidates
    )
    # Assigned back so that a caller holding `service` sees the policy it just saved.
    service.policy, _ = BackupPolicy.objects.update_or_create(
        service=service,
        defaults={
            "first_moment": request.first_moment,
            "period": request.period,
            "retention": request.retention,
            "consistency": consistency_for(cluster.snapshot_root, candidates),
            "skew_limit": request.skew_limit,
            "direction": request.direction,
            "enabled": request.enabled,
        },
    )
    return service
