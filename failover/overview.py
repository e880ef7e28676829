"""What the Failover page and `GET /api/failover/status/` show, gathered once for both:
each cluster's status as the monitor last recorded it, each pairing's roles with its
services' last consistent restore points and RPO and the applications' failover clients
(which cluster each uses), the open fault prompts, and the history of prompts and
switchovers."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings

from backups.at_risk import last_consistent_point
from backups.models import RestorePoint, Service
from backups.rpo import RpoStatus, rpo_status
from console.heartbeats import MONITOR
from console.models import Cluster, Heartbeat, Pairing
from failover.events import prompt_json, status_json, switchover_json
from failover.models import ClusterStatus, FaultPrompt, PromptState, Switchover

HISTORY = 50


@dataclass(frozen=True)
class ServiceRecovery:
    """Where a service would land on the pairing's secondary, and how old that is."""

    service: Service
    point: RestorePoint | None
    rpo: RpoStatus


@dataclass(frozen=True)
class ApplicationClient:
    """An application's failover client, as it reports itself in a ZooKeeper."""

    application: str
    host: str
    pid: int | None
    cluster: str
    epoch: int | None
    behind: bool  # it still uses a cluster that is not its pairing's primary now


@dataclass(frozen=True)
class PairingRecovery:
    pairing: Pairing
    services: list[ServiceRecovery]
    clients: list[ApplicationClient]


@dataclass(frozen=True)
class Overview:
    monitor_beat_at: datetime | None
    monitor_stale: bool
    clusters: list[tuple[Cluster, ClusterStatus | None]]
    pairings: list[PairingRecovery]
    open_prompts: list[FaultPrompt]
    prompts: list[FaultPrompt]
    switchovers: list[Switchover]


def _pairing_recovery(pairing: Pairing, now: datetime,
                      statuses: dict[int, ClusterStatus]) -> PairingRecovery:
    services = Service.objects.filter(pairing=pairing).select_related("tenant", "policy")
    return PairingRecovery(pairing, [
        ServiceRecovery(service, last_consistent_point(service, pairing.secondary),
                        rpo_status(service, now))
        for service in services], _clients(pairing, statuses))


def _clients(pairing: Pairing, statuses: dict[int, ClusterStatus]) -> list[ApplicationClient]:
    """Each client once, from whichever of the two ZooKeepers it reports in."""
    reports: dict[str, dict] = {}
    for cluster_id in (pairing.secondary_id, pairing.primary_id):
        status = statuses.get(cluster_id)
        reports.update(status.clients if status else {})
    return [ApplicationClient(
        application=str(report.get("application", name)), host=str(report.get("host", "")),
        pid=report.get("pid"), cluster=str(report.get("cluster", "")),
        epoch=report.get("epoch"), behind=report.get("cluster") != pairing.primary.name)
        for name, report in sorted(reports.items())]


def overview(now: datetime) -> Overview:
    beat = Heartbeat.objects.filter(name=MONITOR).first()
    stale = timedelta(seconds=settings.LOCKSTEP_HEARTBEAT_STALE)
    statuses = {status.cluster_id: status for status in ClusterStatus.objects.all()}
    prompts = FaultPrompt.objects.select_related("cluster")
    return Overview(
        monitor_beat_at=beat.beat_at if beat else None,
        monitor_stale=beat is None or now - beat.beat_at > stale,
        clusters=[(cluster, statuses.get(cluster.pk)) for cluster in Cluster.objects.all()],
        pairings=[_pairing_recovery(pairing, now, statuses) for pairing in
                  Pairing.objects.select_related("primary", "secondary")],
        open_prompts=list(prompts.filter(state=PromptState.OPEN)),
        prompts=list(prompts[:HISTORY]),
        switchovers=list(Switchover.objects.select_related(
            "pairing", "old_primary", "new_primary")[:HISTORY]),
    )


def _seconds(delta: timedelta | None) -> float | None:
    return round(delta.total_seconds(), 1) if delta is not None else None


def _service_json(recovery: ServiceRecovery) -> dict:
    point = recovery.point
    return {
        "id": recovery.service.pk, "tenant": recovery.service.tenant.name,
        "name": recovery.service.name,
        "restore_point": {"name": point.name, "moment": point.moment.isoformat(),
                          "cluster": point.cluster.name} if point else None,
        "rpo_seconds": _seconds(recovery.rpo.age),
        "rpo_limit_seconds": _seconds(recovery.rpo.limit),
        "rpo_breach": recovery.rpo.breach,
    }


def overview_json(found: Overview) -> dict:
    return {
        "monitor": {"beat_at": found.monitor_beat_at.isoformat() if found.monitor_beat_at
                    else None, "stale": found.monitor_stale},
        "clusters": [status_json(status) if status else {"cluster": cluster.name,
                                                          "checked_at": None}
                     for cluster, status in found.clusters],
        "pairings": [{"id": item.pairing.pk, "primary": item.pairing.primary.name,
                      "secondary": item.pairing.secondary.name, "epoch": item.pairing.epoch,
                      "services": [_service_json(service) for service in item.services],
                      "clients": [asdict(client) for client in item.clients]}
                     for item in found.pairings],
        "open_prompts": [prompt_json(prompt) for prompt in found.open_prompts],
        "prompts": [prompt_json(prompt) for prompt in found.prompts],
        "switchovers": [switchover_json(switchover) for switchover in found.switchovers],
    }
