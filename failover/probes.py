"""Probing a cluster for the monitor: WebHDFS and HiveServer2 as the cluster page probes
them (each within LOCKSTEP_ENDPOINT_TIMEOUT), ZooKeeper over the monitor's own session.

The session is held for as long as the monitor runs, watching the cluster's identity:
a dead ZooKeeper is seen within milliseconds, and an identity written by a failover in
a few.
"""

from collections.abc import Callable, Collection

from django.conf import settings

from adapters.zookeeper import CLIENTS, ROOT, Watch, ZooKeeperError
from console.clusters import EndpointCheck, check_endpoints
from console.models import Cluster
from failover.identity import IDENTITY_NODE, Identity, identity_from

# Probed as the cluster page probes them; ZooKeeper over the monitor's session.
PROBED = ("WebHDFS", "HiveServer2")
ENDPOINTS = (*PROBED, "ZooKeeper")


def identity_watch(cluster: Cluster, on_change: Callable[[], None]) -> Watch:
    """A session to `cluster`'s ZooKeeper that follows its identity; not yet started."""
    return Watch(cluster.zookeeper_hosts, IDENTITY_NODE, on_change,
                 timeout=settings.LOCKSTEP_ENDPOINT_TIMEOUT, auth=settings.ZOOKEEPER_AUTH)


def check_zookeeper(watch: Watch) -> EndpointCheck:
    try:
        seconds = watch.ping()
    except ZooKeeperError as error:
        return EndpointCheck("ZooKeeper", False, str(error), 0.0)
    return EndpointCheck("ZooKeeper", True, "session connected", seconds)


def probe(cluster: Cluster, watch: Watch, only: Collection[str] = ENDPOINTS
          ) -> list[EndpointCheck]:
    """The endpoints named in `only` (every one the monitor watches by default), WebHDFS
    and HiveServer2 in parallel."""
    checks = []
    if probed := [name for name in PROBED if name in only]:
        checks += check_endpoints(cluster, only=probed)
    if "ZooKeeper" in only:
        checks.append(check_zookeeper(watch))
    return checks


def identity_seen(watch: Watch) -> tuple[Identity | None, bool]:
    """(identity, readable): what the cluster's ZooKeeper holds now, and whether that is
    known (the session is connected and has read the node)."""
    read, document = watch.document
    if not (watch.connected and read):
        return None, False
    return identity_from(document), True


def clients_reporting(watch: Watch) -> dict[str, dict] | None:
    """The applications' failover clients reporting in the cluster's ZooKeeper (node name
    → report); None when it cannot be read now (the last reading stands)."""
    try:
        return watch.children(CLIENTS.removeprefix(f"{ROOT}/"))
    except ZooKeeperError:
        return None
