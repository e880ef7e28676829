"""HiveServer2 dynamic service discovery, kept pointed at the pairing's primary.

JDBC and beeline users connect through ZooKeeper instead of a host:

    jdbc:hive2://zkA:2181,zkB:2181/;serviceDiscoveryMode=zooKeeper;zooKeeperNamespace=lockstep/hiveserver2

The driver lists the children of `/<namespace>` in whichever of the URL's ZooKeepers it
picks, takes one, and reads the server's address and settings from its data. The Spark
Thrift Server registers nothing itself, so Lockstep writes the one child, in the format
HiveServer2's own discovery writes, into both clusters' ZooKeepers: the primary's
HiveServer2. A switchover moves it (after the new primary's identity is written); the
monitor repairs a ZooKeeper that comes back holding an old record, before anything else.
A client that still reaches the old primary cannot write there: it is secondary, and
refuses application writes.
"""

from adapters.zookeeper import ROOT, ZooKeeperError
from console.clusters import zookeeper_of
from console.models import Cluster

NAMESPACE = f"{ROOT.lstrip('/')}/hiveserver2"


def record(primary: Cluster) -> tuple[str, str]:
    """The child's name and data for `primary`'s HiveServer2, as HiveServer2 writes them
    (its clients sign in by password, as the console's LDAP-backed servers expect)."""
    uri = f"{primary.hiveserver2_host}:{primary.hiveserver2_port}"
    settings = {
        "hive.server2.instance.uri": uri,
        "hive.server2.thrift.bind.host": primary.hiveserver2_host,
        "hive.server2.thrift.port": primary.hiveserver2_port,
        "hive.server2.transport.mode": "binary",
        "hive.server2.authentication": "LDAP",
        "hive.server2.use.SSL": "false",
    }
    return (f"serverUri={uri};version=lockstep;sequence=0000000000",
            ";".join(f"{key}={value}" for key, value in settings.items()))


def point_at(primary: Cluster, clusters: list[Cluster]) -> list[str]:
    """Make each of `clusters`' ZooKeepers name `primary`'s HiveServer2 alone; a warning
    for each that does not answer (it is repaired when it returns)."""
    name, data = record(primary)
    warnings = []
    for cluster in clusters:
        try:
            with zookeeper_of(cluster) as zookeeper:
                zookeeper.publish_only("hiveserver2", name, data.encode())
        except ZooKeeperError as error:
            warnings.append(f"{cluster}: HiveServer2 discovery record not moved ({error})")
    return warnings


def clear(clusters: list[Cluster]) -> list[str]:
    """Remove the record from each of `clusters`' ZooKeepers (the pairing is undone)."""
    warnings = []
    for cluster in clusters:
        try:
            with zookeeper_of(cluster) as zookeeper:
                zookeeper.delete_tree("hiveserver2")
        except ZooKeeperError as error:
            warnings.append(f"{cluster}: HiveServer2 discovery record left ({error})")
    return warnings
