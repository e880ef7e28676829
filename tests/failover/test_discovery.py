"""HiveServer2 service discovery follows the primary: beeline (and the Hive JDBC driver
pyspark ships) with one ZooKeeper URL lands on site-a, then on site-b after a failover; a
ZooKeeper that missed the move is repaired by the monitor when it answers again; and the
Failover page lists applications' failover clients and which cluster each uses."""

import json
import os
import subprocess

import pytest

from console.clusters import zookeeper_of
from console.roles import Role
from failover import discovery
from failover.client import FollowingClient
from failover.models import ClusterStatus
from failover.running import run_here
from failover.switching import failover
from minicluster import services
from tests.backups.conftest import wait_for
from tests.backups.test_failures import stopped
from tests.failover.test_client import endpoints

pytestmark = pytest.mark.django_db(transaction=True)
WAREHOUSE = "SET spark.sql.warehouse.dir"


def beeline(minicluster, clusters, statement: str) -> str:
    """What beeline prints for `statement`, connected through both ZooKeepers."""
    home = services.spark_home()
    hosts = ",".join(cluster.zookeeper_hosts for cluster in clusters.values())
    url = (f"jdbc:hive2://{hosts}/;serviceDiscoveryMode=zooKeeper;"
           f"zooKeeperNamespace={discovery.NAMESPACE}")
    done = subprocess.run(
        [str(home / "bin" / "beeline"), "-u", url, "-n", "alice",
         "-p", minicluster.account_password("alice"), "--silent=true",
         "--outputformat=csv2", "-e", statement],
        env={**os.environ, "SPARK_HOME": str(home)}, capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def site_of(warehouse: str, minicluster) -> str:
    return next(site for site in ("site-a", "site-b")
                if str(minicluster.site_root(site)) in warehouse)


def records(cluster) -> dict[str, bytes]:
    with zookeeper_of(cluster) as zookeeper:
        parent = f"/{discovery.NAMESPACE}"
        return {name: zookeeper.client.get(f"{parent}/{name}")[0]
                for name in zookeeper.client.get_children(parent)}


def test_beeline_with_one_zookeeper_url_follows_a_failover(clusters, pairing, minicluster):
    assert site_of(beeline(minicluster, clusters, WAREHOUSE), minicluster) == "site-a"
    name, data = discovery.record(clusters["site-a"])
    assert records(clusters["site-b"]) == {name: data.encode()}

    failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)

    assert site_of(beeline(minicluster, clusters, WAREHOUSE), minicluster) == "site-b"
    moved = {discovery.record(clusters["site-b"])[0]: discovery.record(
        clusters["site-b"])[1].encode()}
    assert records(clusters["site-a"]) == moved == records(clusters["site-b"])


def test_a_zookeeper_that_missed_the_move_is_repaired_when_it_returns(
    clusters, pairing, minicluster, start_monitor
):
    with stopped(minicluster, services.zookeeper_service(minicluster, "site-a")):
        switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    switchover.refresh_from_db()
    assert any(text.startswith("site-a: HiveServer2 discovery record not moved")
               for text in switchover.notes)
    # site-a's ZooKeeper kept its data: it still names site-a's HiveServer2.
    assert list(records(clusters["site-a"])) == [discovery.record(clusters["site-a"])[0]]
    start_monitor()
    wanted = discovery.record(clusters["site-b"])
    wait_for(lambda: records(clusters["site-a"]) == {wanted[0]: wanted[1].encode()}, 30,
             "the monitor to repair site-a's record")


def test_the_failover_page_lists_application_clients_and_those_left_behind(
    clusters, pairing, minicluster, start_monitor, client, make_user
):
    following = FollowingClient([endpoints(c) for c in clusters.values()], "alice",
                                application="bills", timeout=10)
    following.start()
    try:
        # One that reports site-a and does not follow (an old version of an application).
        with zookeeper_of(clusters["site-b"]) as zookeeper:
            zookeeper.client.create("/lockstep/clients/ledger@batch-7:42", json.dumps(
                {"application": "ledger", "host": "batch-7", "pid": 42, "cluster": "site-a",
                 "epoch": 1}).encode(), ephemeral=True)
            failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
            wait_for(lambda: following.active.name == "site-b", 1, "the library to switch")
            start_monitor()
            wait_for(lambda: len(ClusterStatus.objects.get(cluster=clusters["site-b"]).clients)
                     == 2 and '"site-b"' in json.dumps(ClusterStatus.objects.get(
                         cluster=clusters["site-b"]).clients), 30, "the monitor to read them")
            client.force_login(make_user("olga", Role.OPERATOR))
            page = client.get("/failover/").content.decode()
            status = client.get("/api/failover/status/").json()
    finally:
        following.close()
    assert "bills" in page and "site-b (epoch 2)</td>" in page
    assert "site-a (epoch 1): still on a cluster that is not the primary" in page
    listed = {c["application"]: c for c in status["pairings"][0]["clients"]}
    assert (listed["bills"]["cluster"], listed["bills"]["behind"]) == ("site-b", False)
    assert (listed["ledger"]["cluster"], listed["ledger"]["behind"]) == ("site-a", True)
