"""The embedded WebHDFS of a cluster whose identity is secondary refuses application
users' writes with StandbyException, live as the identity changes, and its Spark Thrift
Server their statements that write; the console's replication still writes."""

import pytest

from adapters.hiveserver2 import HiveServer2Error
from adapters.webhdfs import WebHdfs, WebHdfsError
from console.clusters import zookeeper_of
from failover.identity import ClusterRole, Identity, load_identity, write_identity
from minicluster.layout import CONSOLE_USER
from minicluster.services import hiveserver2_client
from tests.backups.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
APP_DIR = "/apps/alice"


@pytest.fixture
def app_dirs(minicluster):
    """A directory the application user alice owns on both sites."""
    for site in ("site-a", "site-b"):
        console = WebHdfs(minicluster.webhdfs_url(site), CONSOLE_USER)
        console.makedirs(APP_DIR)
        console.set_owner(APP_DIR, "alice")
    yield
    for site in ("site-a", "site-b"):
        WebHdfs(minicluster.webhdfs_url(site), CONSOLE_USER).delete("/apps", recursive=True)


def alice(minicluster, site: str) -> WebHdfs:
    return WebHdfs(minicluster.webhdfs_url(site), "alice")


def writes(client: WebHdfs, name: str) -> bool:
    try:
        client.write(f"{APP_DIR}/{name}", b"bill,1\n", overwrite=True)
    except WebHdfsError as error:
        assert error.exception == "StandbyException", error
        return False
    return True


def test_the_secondary_refuses_application_writes_and_takes_the_consoles(
    pairing, app_dirs, minicluster
):
    secondary = alice(minicluster, "site-b")
    wait_for(lambda: not writes(secondary, "probe"), 10, "the secondary's watch")
    with pytest.raises(WebHdfsError) as refused:
        secondary.makedirs(f"{APP_DIR}/new")
    assert refused.value.exception == "StandbyException"
    assert str(refused.value).startswith(
        "Operation category WRITE is not supported in state standby: this cluster is the "
        "secondary of its pairing (epoch 1); write to the primary")
    assert secondary.status(f"{APP_DIR}/new", strict=False) is None
    # Reads go on, and replication (the console's user) still writes.
    assert secondary.status(APP_DIR)["owner"] == "alice"
    WebHdfs(minicluster.webhdfs_url("site-b"), CONSOLE_USER).write(
        f"{APP_DIR}/replicated", b"bill,2\n", overwrite=True)
    assert writes(alice(minicluster, "site-a"), "on-the-primary")


def test_a_promoted_secondary_takes_writes_within_moments_of_its_new_identity(
    pairing, clusters, app_dirs, minicluster
):
    secondary = alice(minicluster, "site-b")
    wait_for(lambda: not writes(secondary, "probe"), 10, "the secondary's watch")
    with zookeeper_of(clusters["site-b"]) as zookeeper:
        recorded = load_identity(zookeeper)
        write_identity(zookeeper, Identity(ClusterRole.PRIMARY, 2, recorded.identity.since,
                                           "olga", "site-b", "site-a"), recorded)
    wait_for(lambda: writes(secondary, "after-failover"), 5, "the promoted site to take writes")


def test_a_cluster_in_no_pairing_refuses_nothing(clusters, app_dirs, minicluster):
    assert writes(alice(minicluster, "site-b"), "unpaired")


def creates(minicluster, site: str, user: str, table: str) -> str:
    """The refusal of a CREATE TABLE by `user` through the site's Spark SQL; "" when it
    was taken (and undone by the console: the fence, which follows ZooKeeper within
    200 ms, may refuse the user's DROP right after letting the CREATE through)."""
    try:
        hiveserver2_client(minicluster, site, user).query(
            f"CREATE TABLE {table} (id INT) USING parquet")
    except HiveServer2Error as error:
        return str(error)
    hiveserver2_client(minicluster, site).query(f"DROP TABLE {table}")
    return ""


def test_the_secondarys_spark_refuses_application_statements_that_write(
    pairing, clusters, minicluster
):
    refusal = wait_for(lambda: creates(minicluster, "site-b", "alice", "default.standby_probe"),
                       10, "the secondary's Spark to refuse")
    assert ("Operation category WRITE is not supported in state standby: this cluster is the "
            "secondary of its pairing (epoch 1); alice must write to the primary") in refusal
    # Reads go on; the console, which applies the primary's tables there, still writes.
    assert hiveserver2_client(minicluster, "site-b", "alice").query("SHOW DATABASES")
    assert creates(minicluster, "site-b", CONSOLE_USER, "default.console_probe") == ""
    assert creates(minicluster, "site-a", "alice", "default.primary") == ""
