"""Applications follow the primary, on the real mini cluster: the failover client library
moves within a second of an identity change and never completes an operation on a cluster
that stopped being primary; the `hdfs` package given both WebHDFS URLs follows too."""

import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
from hdfs import InsecureClient

from console.clusters import zookeeper_of
from console.models import Cluster as ClusterRecord
from failover.client import Active, Cluster, FollowingClient, Switching
from failover.identity import ClusterRole, Identity, load_identity, write_identity
from failover.running import run_here
from failover.switching import failover
from minicluster import services
from tests.backups.conftest import site, wait_for
from tests.backups.test_failures import stopped
from tests.minicluster.test_standby import (  # noqa: F401 (a fixture)
    APP_DIR,
    alice,
    app_dirs,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)


def endpoints(record: ClusterRecord) -> Cluster:
    return Cluster(record.name, record.zookeeper_hosts, record.webhdfs_url,
                   record.hiveserver2_host, record.hiveserver2_port)


@pytest.fixture
def following(clusters, pairing, minicluster) -> Iterator[FollowingClient]:
    client = FollowingClient([endpoints(c) for c in clusters.values()], "alice",
                             minicluster.account_password("alice"), application="bills",
                             timeout=10)
    client.start()
    yield client
    client.close()


def claim(cluster: ClusterRecord, role: ClusterRole, epoch: int, peer: str) -> None:
    """Write an identity straight into the cluster's ZooKeeper, as a console would."""
    with zookeeper_of(cluster) as zookeeper:
        write_identity(zookeeper, Identity(role, epoch, datetime.now().astimezone(), "test",
                                           cluster.name, peer), load_identity(zookeeper))


def test_the_library_moves_to_the_new_primary_and_reports_where_it_is(
    following, clusters, pairing, minicluster, app_dirs  # noqa: F811
):
    assert following.active.name == "site-a"
    following.run(lambda c: c.webhdfs.write(f"{APP_DIR}/before.csv", b"1\n", overwrite=True))
    assert site(minicluster, "site-a").status(f"{APP_DIR}/before.csv")

    failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    written = time.monotonic()
    wait_for(lambda: following.active.name == "site-b", 1, "the library to switch")
    print(f"identity written → library on site-b: {time.monotonic() - written:.3f} s")
    assert following.active.epoch == 2
    following.run(lambda c: c.webhdfs.write(f"{APP_DIR}/after.csv", b"2\n", overwrite=True))
    assert site(minicluster, "site-b").status(f"{APP_DIR}/after.csv")
    assert site(minicluster, "site-a").status(f"{APP_DIR}/after.csv", strict=False) is None
    # Its report in each ZooKeeper names the cluster it uses.
    with zookeeper_of(clusters["site-a"]) as zookeeper:
        children = zookeeper.client.get_children("/lockstep/clients")
        assert [name.split("@")[0] for name in children] == ["bills"]
        data = zookeeper.client.get(f"/lockstep/clients/{children[0]}")[0]
    assert b'"cluster": "site-b"' in data and b'"epoch": 2' in data


def test_an_operation_in_flight_during_the_switch_fails_retryably_not_on_the_old_primary(
    following, clusters, pairing, minicluster, app_dirs  # noqa: F811
):
    started, switched = threading.Event(), threading.Event()

    def slow_write(cluster: Active) -> None:
        started.set()
        switched.wait(30)
        cluster.webhdfs.write(f"{APP_DIR}/in-flight.csv", b"3\n", overwrite=True)

    outcome: list[BaseException] = []
    writer = threading.Thread(target=lambda: _capture(outcome, following.run, slow_write))
    writer.start()
    started.wait(10)
    failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    wait_for(lambda: following.active.name == "site-b", 1, "the library to switch")
    switched.set()
    writer.join(30)
    assert isinstance(outcome[0], Switching)
    assert str(outcome[0]).startswith("site-a is no longer the primary (now site-b (epoch 2)); "
                                      "the operation did not complete there")
    assert site(minicluster, "site-a").status(f"{APP_DIR}/in-flight.csv", strict=False) is None
    # Retried, it lands on the new primary.
    following.retry(lambda c: c.webhdfs.write(f"{APP_DIR}/in-flight.csv", b"3\n",
                                              overwrite=True))
    assert site(minicluster, "site-b").status(f"{APP_DIR}/in-flight.csv")


def _capture(outcome: list, run, operation) -> None:
    try:
        run(operation)
    except BaseException as error:
        outcome.append(error)


def test_two_primaries_in_one_epoch_keep_clients_where_they_are_a_higher_epoch_moves_them(
    following, clusters
):
    claim(clusters["site-b"], ClusterRole.PRIMARY, 1, "site-a")
    time.sleep(0.5)
    assert following.active.name == "site-a"
    claim(clusters["site-b"], ClusterRole.PRIMARY, 2, "site-a")
    wait_for(lambda: following.active.name == "site-b", 1, "the higher epoch")
    # The old primary's record, still epoch 1, is never gone back to.
    claim(clusters["site-b"], ClusterRole.SECONDARY, 3, "site-a")
    time.sleep(0.5)
    assert following.active.name == "site-b"


def test_with_the_old_primarys_zookeeper_down_the_other_record_decides(
    following, clusters, minicluster
):
    with stopped(minicluster, services.zookeeper_service(minicluster, "site-a")):
        claim(clusters["site-b"], ClusterRole.PRIMARY, 2, "site-a")
        wait_for(lambda: following.active.name == "site-b", 1, "the other's record")


def test_the_hdfs_package_given_both_urls_follows_a_failover(
    clusters, pairing, minicluster, app_dirs  # noqa: F811
):
    both = f"{clusters['site-a'].webhdfs_url.removesuffix('/webhdfs/v1')};" \
           f"{clusters['site-b'].webhdfs_url.removesuffix('/webhdfs/v1')}"
    client = InsecureClient(both, user="alice", timeout=10)
    client.write(f"{APP_DIR}/hdfs-before.csv", b"1\n", overwrite=True)
    assert site(minicluster, "site-a").status(f"{APP_DIR}/hdfs-before.csv")

    failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    wait_for(lambda: not writes(alice(minicluster, "site-a"), "probe"), 10, "site-a to refuse")
    # A fresh client tries site-a first, meets StandbyException and moves on.
    InsecureClient(both, user="alice", timeout=10).write(f"{APP_DIR}/hdfs-after.csv", b"2\n",
                                                          overwrite=True)
    assert site(minicluster, "site-b").status(f"{APP_DIR}/hdfs-after.csv")
    assert site(minicluster, "site-a").status(f"{APP_DIR}/hdfs-after.csv", strict=False) is None
    # The same client too (sticky on site-a until refused).
    client.write(f"{APP_DIR}/hdfs-sticky.csv", b"3\n", overwrite=True)
    assert site(minicluster, "site-b").status(f"{APP_DIR}/hdfs-sticky.csv")

