"""What the console can learn about a cluster by asking its endpoints, live.

Every check runs against the real endpoint with a short timeout, in parallel, and
names the endpoint and the reason when it fails: the registry page and the pairing
refusals show these messages as they are.
"""

import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import ProtectedError

from adapters.hiveserver2 import HiveServer2, HiveServer2Error
from adapters.ldap import Ldap, LdapError
from adapters.webhdfs import WebHdfs, WebHdfsError
from adapters.zookeeper import ZooKeeper, ZooKeeperError
from console import clock
from console.errors import Refused
from console.models import Cluster
from failover.identity import Identity, read_identity


@dataclass(frozen=True)
class EndpointCheck:
    endpoint: str
    ok: bool
    detail: str
    seconds: float
    # The monotonic clock when the answer (or the failure) came: a failure is known from
    # then, which may be seconds after the check began (a timeout).
    finished: float = field(default_factory=clock.monotonic)


@dataclass(frozen=True)
class ClockSkew:
    """The cluster's clock minus the console's, in seconds, ± the measurement's uncertainty."""

    offset: float
    uncertainty: float

    @property
    def magnitude(self) -> float:
        return abs(self.offset)


@dataclass
class ClusterState:
    checks: list[EndpointCheck]
    identity: Identity | None = None
    identity_readable: bool = False
    skew: ClockSkew | None = None
    capacity_bytes: int | None = None
    used_bytes: int | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def reachable(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failures(self) -> list[str]:
        return [f"{check.endpoint}: {check.detail}" for check in self.checks if not check.ok]


def webhdfs_of(cluster: Cluster, timeout: float | None = None) -> WebHdfs:
    """A WebHDFS client; a stalled cluster fails a call after `timeout` seconds (connect,
    and between bytes), by default LOCKSTEP_WEBHDFS_TIMEOUT. Clients of one cluster share
    this process's connections to it until its WebHDFS URL or user changes."""
    return WebHdfs(cluster.webhdfs_url, cluster.webhdfs_user,
                   timeout=timeout or settings.LOCKSTEP_WEBHDFS_TIMEOUT,
                   name=f"{cluster.name}'s WebHDFS ({urlsplit(cluster.webhdfs_url).netloc})")


def hiveserver2_of(cluster: Cluster, timeout: float | None = None) -> HiveServer2:
    """A HiveServer2 client; a stalled server fails a call after `timeout` seconds."""
    return HiveServer2(cluster.hiveserver2_host, cluster.hiveserver2_port, cluster.webhdfs_user,
                       cluster.hiveserver2_password,
                       timeout=timeout or settings.LOCKSTEP_HIVESERVER2_TIMEOUT)


def zookeeper_of(cluster: Cluster) -> ZooKeeper:
    return ZooKeeper(cluster.zookeeper_hosts, timeout=settings.LOCKSTEP_ENDPOINT_TIMEOUT,
                     auth=settings.ZOOKEEPER_AUTH)


def _timed(endpoint: str, probe: Callable[[], str]) -> EndpointCheck:
    started = time.monotonic()
    try:
        detail, ok = probe(), True
    except (WebHdfsError, HiveServer2Error, ZooKeeperError, LdapError) as error:
        detail, ok = str(error), False
    return EndpointCheck(endpoint, ok, detail, time.monotonic() - started)


def _check_webhdfs(cluster: Cluster) -> str:
    status = webhdfs_of(cluster, settings.LOCKSTEP_ENDPOINT_TIMEOUT).status(cluster.snapshot_root)
    if status["type"] != "DIRECTORY":
        raise WebHdfsError(None, f"snapshot root {cluster.snapshot_root} is not a directory")
    return f"snapshot root {cluster.snapshot_root} found"


def _check_hiveserver2(cluster: Cluster) -> str:
    hiveserver2_of(cluster, settings.LOCKSTEP_ENDPOINT_TIMEOUT).query("SELECT 1")
    return "answers SELECT 1"


def _check_zookeeper(cluster: Cluster) -> str:
    with zookeeper_of(cluster) as zookeeper:
        zookeeper.client.get_children("/")
    return "session established"


def ldap_of(cluster: Cluster, timeout: float | None = None) -> Ldap:
    """The cluster's directory as the console's account (its bind DN) reaches it."""
    return Ldap(cluster.ldap_url, cluster.ldap_bind_dn or None, cluster.ldap_password or None,
                timeout=timeout or settings.LOCKSTEP_ENDPOINT_TIMEOUT)


def _check_ldap(cluster: Cluster) -> str:
    if not (cluster.ldap_bind_dn and cluster.ldap_password):
        Ldap(cluster.ldap_url, timeout=settings.LOCKSTEP_ENDPOINT_TIMEOUT).ping()
        return "answers (no bind DN and password: its users are not read)"
    with ldap_of(cluster).session(settings.LOCKSTEP_ENDPOINT_TIMEOUT) as session:
        if cluster.ldap_base_dn and not session.exists(cluster.ldap_base_dn):
            raise LdapError(f"LDAP at {cluster.ldap_url} has no base DN "
                            f"{cluster.ldap_base_dn} that {cluster.ldap_bind_dn} may read")
    return f"{cluster.ldap_bind_dn} signed in"


PROBES: dict[str, Callable[[Cluster], str]] = {
    "WebHDFS": _check_webhdfs,
    "HiveServer2": _check_hiveserver2,
    "ZooKeeper": _check_zookeeper,
    "LDAP": _check_ldap,
}


def check_endpoints(cluster: Cluster, only: Collection[str] | None = None
                    ) -> list[EndpointCheck]:
    """Probe the endpoints of `cluster` named in `only` (all by default) in parallel;
    LDAP only when one is configured."""
    probes = {name: probe for name, probe in PROBES.items()
              if (only is None or name in only) and (name != "LDAP" or cluster.ldap_url)}
    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        futures = {name: pool.submit(_timed, name, partial(probe, cluster))
                   for name, probe in probes.items()}
        return [future.result() for future in futures.values()]


def measure_skew(cluster: Cluster) -> ClockSkew:
    with zookeeper_of(cluster) as zookeeper:
        return ClockSkew(*zookeeper.clock_offset())


def cluster_state(cluster: Cluster) -> ClusterState:
    """Health of each endpoint, identity, clock skew and space use, read live."""
    state = ClusterState(checks=check_endpoints(cluster))
    by_name = {check.endpoint: check for check in state.checks}
    if by_name["ZooKeeper"].ok:
        try:
            with zookeeper_of(cluster) as zookeeper:
                state.identity = read_identity(zookeeper)
                state.identity_readable = True
                state.skew = ClockSkew(*zookeeper.clock_offset())
        except ZooKeeperError as error:
            state.errors.append(str(error))
    if by_name["WebHDFS"].ok:
        try:
            usage = webhdfs_of(cluster).fs_status()
            state.capacity_bytes, state.used_bytes = usage["capacity"], usage["used"]
        except WebHdfsError as error:
            state.errors.append(str(error))
    return state


def state_json(state: ClusterState) -> dict:
    """The live state as plain JSON, shared by the cluster page and the API."""
    identity = state.identity
    if not state.identity_readable:
        role = "unreachable"
    else:
        role = identity.role.value if identity else "unpaired"
    return {
        "reachable": state.reachable,
        "endpoints": [
            {"endpoint": c.endpoint, "ok": c.ok, "detail": c.detail,
             "milliseconds": round(c.seconds * 1000)}
            for c in state.checks
        ],
        "identity": {
            "role": role,
            "epoch": identity.epoch if identity else None,
            "since": identity.since.isoformat() if identity else None,
            "peer": identity.peer if identity else None,
        },
        "clock_skew_seconds": round(state.skew.offset, 4) if state.skew else None,
        "clock_skew_uncertainty_seconds": round(state.skew.uncertainty, 4) if state.skew else None,
        "capacity_bytes": state.capacity_bytes,
        "used_bytes": state.used_bytes,
        "errors": state.errors,
    }


def remove_cluster(cluster: Cluster) -> None:
    """Delete a cluster from the registry; refused while it is paired or holds data."""
    if cluster.pairing is not None:
        raise Refused(f"{cluster} is in the pairing {cluster.pairing}: unpair it first.")
    try:
        cluster.delete()
    except ProtectedError as error:
        raise Refused(f"{cluster} still holds data sets or restore points of "
                      f"{len(error.protected_objects)} record(s): delete those services "
                      "first.") from error
