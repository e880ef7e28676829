"""Each cluster's status as the monitor records it after every probe (ClusterStatus)."""

from datetime import datetime

from console.clusters import EndpointCheck
from console.models import Cluster
from failover.faults import Moment
from failover.identity import Identity
from failover.models import ClusterStatus


def endpoints_json(checks: list[EndpointCheck], before: dict, at: Moment) -> dict:
    """Endpoint → {ok, detail, latency_ms, since}: `since` is when the endpoint began to
    answer (or to fail) as it does now, carried from `before` while that holds; the
    checks began at `at`."""
    found = {}
    for check in checks:
        earlier = before.get(check.endpoint, {})
        same = earlier.get("ok") == check.ok and earlier.get("since")
        found[check.endpoint] = {
            "ok": check.ok, "detail": check.detail,
            "latency_ms": round(check.seconds * 1000, 1),
            "since": earlier["since"] if same else at.at(check.finished).wall.isoformat(),
        }
    return found


def record_status(cluster: Cluster, checks: list[EndpointCheck], identity: Identity | None,
                  fault_since: datetime | None, at: Moment,
                  clients: dict[str, dict] | None = None) -> ClusterStatus:
    """Save what the checks of `cluster` begun at `at` found. `identity` is what its
    ZooKeeper holds (only meaningful when the ZooKeeper answered); `fault_since` the start
    of the current fault, None when there is none; `clients` the failover clients that
    report there (None: unknown now, the last reading stands)."""
    status, _ = ClusterStatus.objects.get_or_create(cluster=cluster)
    status.endpoints = endpoints_json(checks, status.endpoints, at)
    status.healthy = all(check.ok for check in checks)
    status.role = identity.role.value if identity else ""
    status.epoch = identity.epoch if identity else None
    status.unhealthy_since = fault_since
    if status.healthy:
        status.last_seen = at.wall
    status.checked_at = at.wall
    if clients is not None:
        status.clients = clients
    status.save()
    return status
