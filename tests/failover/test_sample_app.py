"""The demo's sample application (the bill-clearing writer on the failover client library)
writes to site-a, and after a failover to site-b within seconds, on its own."""

import threading
from collections.abc import Iterator

import pytest

from failover import sample_app
from failover.client import FollowingClient
from failover.running import run_here
from failover.switching import failover
from minicluster.services import hiveserver2_client
from tests.backups.conftest import site, wait_for
from tests.failover.test_client import endpoints

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app_bills(minicluster, tenant_data) -> Iterator[str]:
    # Empty to begin with: the demo's own sample app, run by the tests of the process
    # manager on this mini cluster, leaves its bills there, and with them this test saw
    # "bills on site-a" before its app had written any.
    for name in ("site-a", "site-b"):
        site(minicluster, name).delete(sample_app.BILLS, recursive=True)
    console = site(minicluster, "site-a")
    console.makedirs(sample_app.BILLS)
    console.set_owner(sample_app.BILLS, "alice")
    yield sample_app.BILLS
    for name in ("site-a", "site-b"):
        site(minicluster, name).delete(sample_app.BILLS, recursive=True)


def bills_on(minicluster, name: str) -> set[str]:
    return {entry for entry, _ in site(minicluster, name).list_dir(sample_app.BILLS)}


def test_the_sample_application_writes_to_the_new_primary_after_a_failover(
    clusters, pairing, minicluster, app_bills, caplog
):
    caplog.set_level("INFO", logger="failover.sample_app")
    client = FollowingClient([endpoints(c) for c in clusters.values()], "alice",
                             minicluster.account_password("alice"), application="bills",
                             timeout=10)
    stopping = threading.Event()
    with client:
        app = threading.Thread(target=sample_app.run, args=(client, 0.2, stopping))
        app.start()
        try:
            wait_for(lambda: len(bills_on(minicluster, "site-a")) >= 2, 60, "bills on site-a")
            # What the service's last round carried to site-b: the directory, the table.
            site(minicluster, "site-b").makedirs(sample_app.BILLS)
            site(minicluster, "site-b").set_owner(sample_app.BILLS, "alice")
            console_b = hiveserver2_client(minicluster, "site-b")
            console_b.query("CREATE DATABASE IF NOT EXISTS acme")
            console_b.query("CREATE TABLE IF NOT EXISTS acme.customers (id INT, name STRING) "
                            "STORED AS PARQUET")
            failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
            before = bills_on(minicluster, "site-a")
            # site-b's directory was made empty above: any bill in it is new. (Names are
            # no test: the app numbers from its table, which starts empty on site-b.)
            wait_for(lambda: bills_on(minicluster, "site-b"), 10, "a bill on site-b")
        finally:
            stopping.set()
            app.join(30)
    assert not app.is_alive(), "the app's thread is stuck"
    assert bills_on(minicluster, "site-a") == before, "nothing written to the old primary"
    assert any("written to site-b (epoch 2)" in record.message for record in caplog.records)
