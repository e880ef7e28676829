"""The patent's promise: a restore point is consistent in time across components.

A writer keeps adding customers (Hive table) and then bills naming them (HDFS files),
as the bill-clearing service does. At every restore point on site-b, every bill must
name a customer present in the same restore point. Snapshotting each component on its
own, seconds apart, as per-component tools do, breaks that.
"""

import threading
import time

import pytest

from adapters.webhdfs import WebHdfs
from backups.models import RoundState
from backups.preparing import run_now
from minicluster.layout import CONSOLE_USER
from minicluster.services import hiveserver2_client
from tests.backups.conftest import hive, make_service, site, work

BILLS = "/data/acme/bills/live"


class Writer(threading.Thread):
    """Customer n, then bill n naming customer n, as `user`, until stopped or refused;
    it records each write acknowledged."""

    def __init__(self, minicluster, directory: str = BILLS, user: str = CONSOLE_USER) -> None:
        super().__init__(daemon=True)
        self.hive = hiveserver2_client(minicluster, "site-a", user)
        self.webhdfs = WebHdfs(minicluster.webhdfs_url("site-a"), user)
        self.directory = directory
        self.stopping = threading.Event()
        self.customers: list[int] = []
        self.bills: list[int] = []
        self.error: Exception | None = None

    @property
    def written(self) -> int:
        return len(self.bills)

    def run(self) -> None:
        start = 1000 + max([row[0] for row in self.hive.query(
            "SELECT max(id) FROM acme.customers") if row[0] is not None] or [0])
        try:
            for customer in range(start, start + 10_000):
                if self.stopping.is_set():
                    return
                self.hive.query(f"INSERT INTO acme.customers VALUES ({customer}, 'c{customer}')")  # noqa: S608
                self.customers.append(customer)
                self.webhdfs.write(f"{self.directory}/bill-{customer}.csv",
                                   f"bill,customer\n{customer},{customer}\n".encode())
                self.bills.append(customer)
        except Exception as error:
            self.error = error

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
        assert self.error is None, self.error


def bill_customers(client, directory: str) -> set[int]:
    return {int(name.split("-")[1].split(".")[0]) for name, _ in client.list_dir(directory)
            if name.startswith("bill-")}


@pytest.fixture
def writer(minicluster, tenant_data):
    site(minicluster, "site-a").makedirs(BILLS)
    running = Writer(minicluster)
    running.start()
    yield running
    running.stopping.set()
    running.join(timeout=30)
    # Left behind, its bills would be copied by every later test's first (full) round.
    site(minicluster, "site-a").delete(BILLS, recursive=True)


@pytest.mark.django_db(transaction=True)
def test_every_restore_point_is_consistent_while_writes_continue(
    pairing, tenant_data, queues, minicluster, writer
):
    service = make_service(pairing, [("hdfs", tenant_data.bills),
                                     ("hive", tenant_data.customers)])
    secondary, secondary_hive = site(minicluster, "site-b"), hive(minicluster, "site-b")
    checked = []
    for _ in range(3):
        while writer.written < len(checked) * 2 + 2:  # let bills accumulate between rounds
            time.sleep(0.2)
        round_ = run_now(service)
        work()
        round_.refresh_from_db()
        assert round_.state == RoundState.CONSISTENT, round_.reason
        point = round_.restore_point
        bills = bill_customers(secondary, f"/data/.snapshot/{point.name}/acme/bills/live")
        customers = {row[0] for row in secondary_hive.query("SELECT id FROM acme.customers")}
        assert bills, "the writer's bills reached the restore point"
        assert bills <= customers, f"bills naming missing customers: {bills - customers}"
        checked.append(len(bills))
    writer.stop()
    assert checked == sorted(checked) and checked[0] < checked[-1]


def test_component_at_a_time_capture_breaks_the_invariant(minicluster, tenant_data, writer):
    """The baseline: customers captured at t, bills two seconds later."""
    primary_hive, primary = hive(minicluster, "site-a"), site(minicluster, "site-a")
    violations = 0
    for _ in range(3):
        customers = {row[0] for row in primary_hive.query("SELECT id FROM acme.customers")}
        time.sleep(2)
        bills = bill_customers(primary, BILLS)
        violations += len(bills - customers)
    writer.stop()
    assert violations > 0
