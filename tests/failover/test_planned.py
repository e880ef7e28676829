"""A planned switchover on the real mini cluster: the primary's applications are fenced
(WebHDFS and Spark SQL), every service's final round runs on the demo's kind of worker,
and the secondary takes over holding every write acknowledged before the fence."""

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.utils import timezone
from hdfs import InsecureClient

from backups.models import RoundState
from console.models import AuditEntry, Cluster, Pairing
from console.roles import Role
from failover import planned, sequences
from failover.client import FollowingClient
from failover.models import ClusterStatus, Switchover, SwitchoverKind, SwitchoverState
from failover.running import run_here
from failover.switching import FailoverConflict, planned_switchover
from minicluster.services import hiveserver2_client
from tests.backups.conftest import make_service, site, wait_for
from tests.backups.test_consistency import Writer, bill_customers
from tests.backups.test_failures import ROOT
from tests.failover.conftest import identity_of
from tests.failover.test_client import endpoints
from tests.failover.test_discovery import WAREHOUSE, beeline, site_of
from tests.minicluster.test_standby import (  # noqa: F401 (a fixture)
    APP_DIR,
    alice,
    app_dirs,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)
LIVE = "/data/acme/bills/planned"


def healthy(*clusters: Cluster) -> None:
    """What the monitor records when every endpoint of the clusters answered just now."""
    for cluster in clusters:
        ClusterStatus.objects.update_or_create(cluster=cluster, defaults={
            "healthy": True, "checked_at": timezone.now(), "last_seen": timezone.now()})


@pytest.fixture
def live(minicluster) -> Iterator[str]:
    """A directory of the bills that alice, an application user, writes into."""
    console = site(minicluster, "site-a")
    console.makedirs(LIVE)
    console.set_owner(LIVE, "alice")
    yield LIVE
    for name in ("site-a", "site-b"):
        site(minicluster, name).delete(LIVE, recursive=True)


@pytest.fixture
def worker() -> Iterator[subprocess.Popen]:
    """One RQ worker of every queue, as the demo's workers serve them."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "site-a", "site-b", "control"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
                       "LOCKSTEP_TEST_WORKER": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield process
    process.terminate()
    process.wait(timeout=60)


@pytest.fixture
def service(pairing, tenant_data, queues):
    return make_service(pairing, [("hdfs", tenant_data.bills), ("hive", tenant_data.customers)])


def test_a_planned_switchover_loses_no_write_acknowledged_before_the_fence(
    service, pairing, clusters, minicluster, live, worker, app_dirs  # noqa: F811
):
    healthy(*clusters.values())
    writer = Writer(minicluster, live, "alice")
    writer.start()
    try:
        wait_for(lambda: writer.written >= 3, 60, "the writer's first bills")
        switchover = planned_switchover(pairing, "olga", "site-b", "moving the data centre",
                                        run=run_here)
        writer.join(timeout=60)
    finally:
        writer.stopping.set()
    switchover.refresh_from_db()
    assert switchover.state == SwitchoverState.COMMITTED, switchover.error
    assert list(switchover.steps)[2:] == [name for name, _ in sequences.PLANNED_STEPS]
    # The writer went on until the fence refused it, then stopped.
    assert "fenced" in str(writer.error) and writer.written >= 3
    final = service.rounds.get(pk=switchover.services[0]["final_round"])
    assert final.state == RoundState.CONSISTENT and final.moment > \
        timezone.datetime.fromisoformat(switchover.steps["writes_fenced"])
    # Every acknowledged customer and bill is on the new primary.
    rows = {row[0] for row in hiveserver2_client(minicluster, "site-b").query(
        "SELECT id FROM acme.customers")}
    assert set(writer.customers) <= rows
    assert set(writer.bills) <= bill_customers(site(minicluster, "site-b"), live)
    # Roles and direction reversed; the old primary refuses applications as a secondary.
    assert identity_of(clusters["site-b"]) == ("primary", 2, "site-a")
    assert identity_of(clusters["site-a"]) == ("secondary", 2, "site-b")
    pairing.refresh_from_db()
    assert (pairing.primary.name, pairing.epoch) == ("site-b", 2)
    assert writes(alice(minicluster, "site-b"), "on-the-new-primary")
    # The final round's restore point is kept on site-b; site-a's round snapshots go.
    assert final.snapshot_name in {s.name for s in site(minicluster, "site-b").snapshots("/data")}
    assert not {s.name for s in site(minicluster, "site-a").snapshots("/data")
                if s.name.startswith(f"lockstep-s{service.pk}-")}
    assert any(text.startswith("Released the old direction's snapshots")
               for text in switchover.notes)
    wait_for(lambda: not writes(alice(minicluster, "site-a"), "probe"), 10,
             "the old primary's fence")


def test_a_difference_after_the_final_rounds_fails_it_and_lifts_the_fence(
    service, pairing, clusters, minicluster, worker, app_dirs, monkeypatch  # noqa: F811
):
    healthy(*clusters.values())
    verify = planned.verify_copies

    def target_changed_first(switchover: Switchover) -> None:
        site(minicluster, "site-b").write("/data/acme/bills/stray.csv", b"x\n", overwrite=True)
        verify(switchover)

    monkeypatch.setattr(sequences, "PLANNED_STEPS", [
        (name, target_changed_first if name == "verified" else step)
        for name, step in sequences.PLANNED_STEPS])
    switchover = planned_switchover(pairing, "olga", "site-b", "maintenance", run=run_here)
    switchover.refresh_from_db()
    assert switchover.state == SwitchoverState.FAILED
    assert switchover.error.startswith(
        "verified: after the final rounds site-b differs from site-a: /data/acme/bills: "
        "stray.csv is on the target only")
    assert "No identity changed and backups go on as before" in switchover.error
    assert any("fence on site-a was lifted" in text for text in switchover.notes)
    assert list(switchover.steps) == ["confirmed", "backups_paused"]
    # Nothing reversed, and the primary's applications write again.
    assert identity_of(clusters["site-a"]) == ("primary", 1, "site-b")
    assert (Pairing.objects.get().primary.name, Pairing.objects.get().epoch) == ("site-a", 1)
    wait_for(lambda: writes(alice(minicluster, "site-a"), "again"), 10, "the fence lifted")
    spark = hiveserver2_client(minicluster, "site-a", "alice")
    wait_for(lambda: not inserts(spark, 77), 10, "Spark's fence lifted")
    site(minicluster, "site-b").delete("/data/acme/bills/stray.csv")


def test_a_planned_switchover_needs_both_clusters_healthy(pairing, clusters, service):
    healthy(clusters["site-a"])
    ClusterStatus.objects.create(cluster=clusters["site-b"], healthy=False,
                                 checked_at=timezone.now(),
                                 endpoints={"WebHDFS": {"ok": False, "detail": "refused"}})
    with pytest.raises(FailoverConflict) as refused:
        planned_switchover(pairing, "olga", "site-b", "maintenance", run=run_here)
    assert str(refused.value) == (
        "site-b is not healthy: WebHDFS failed the monitor's last probe. A planned switchover "
        "needs both clusters answering; when the primary has failed, fail over instead.")
    assert not Switchover.objects.exists()
    assert identity_of(clusters["site-a"]) == ("primary", 1, "site-b")


def test_the_fence_refuses_application_writes_through_webhdfs_and_spark_sql(
    pairing, clusters, minicluster, app_dirs, tenant_data  # noqa: F811
):
    from failover.reversal import write_fence

    spark = hiveserver2_client(minicluster, "site-a", "alice")
    assert write_fence(clusters["site-a"], 1, clusters["site-b"], True, "olga")
    try:
        wait_for(lambda: not writes(alice(minicluster, "site-a"), "probe"), 10, "the fence")
        refusal = wait_for(lambda: inserts(spark, 78), 10, "Spark's fence")
        assert "Writes are fenced on this cluster for a planned switchover (epoch 1)" in refusal
        # Reads go on, and the console (a superuser of WebHDFS) still writes.
        assert spark.query("SELECT count(*) FROM acme.customers")[0][0] >= 1
        site(minicluster, "site-a").write("/apps/alice/console", b"1\n", overwrite=True)
    finally:
        assert write_fence(clusters["site-a"], 1, clusters["site-b"], False, "olga")
    wait_for(lambda: writes(alice(minicluster, "site-a"), "after"), 10, "the fence lifted")


def inserts(spark, customer: int) -> str:
    """The refusal of an INSERT by Spark SQL's fence; "" when the row was taken."""
    try:
        spark.query(f"INSERT INTO acme.customers VALUES ({customer}, 'c{customer}')")  # noqa: S608
    except Exception as error:
        return str(error)
    return ""


def test_only_operators_start_a_planned_switchover(client, make_user, pairing, clusters):
    healthy(*clusters.values())
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    body = {"pairing": pairing.pk, "typed_name": "site-b", "reason": "maintenance"}
    assert client.post("/api/failover/switchover/", body,
                       content_type="application/json").status_code == 403
    assert client.post(f"/failover/pairings/{pairing.pk}/switchover/", body).status_code == 403
    client.force_login(make_user("olga", Role.OPERATOR))
    refused = client.post("/api/failover/switchover/", {**body, "typed_name": "site-a"},
                          content_type="application/json")
    assert refused.status_code == 400 and "Type the name of the cluster that becomes primary, " \
        "site-b" in refused.content.decode()
    assert not Switchover.objects.filter(kind=SwitchoverKind.PLANNED).exists()
    assert identity_of(clusters["site-a"]) == ("primary", 1, "site-b")


def test_the_page_offers_it_and_says_why_it_was_refused(client, make_user, pairing, clusters):
    client.force_login(make_user("olga", Role.OPERATOR))
    page = client.get("/failover/").content.decode()
    assert f'action="/failover/pairings/{pairing.pk}/switchover/"' in page
    assert "Planned switchover to site-b" in page
    answer = client.post(f"/failover/pairings/{pairing.pk}/switchover/",
                         {"typed_name": "site-b", "reason": "maintenance"}, follow=True)
    assert ("Planned switchover not started: The monitor has not checked site-a yet (is "
            "`manage.py monitor` running?).") in answer.content.decode()
    assert AuditEntry.objects.filter(action="failover.switchover", actor_name="olga",
                                     outcome="refused").exists()
    assert not Switchover.objects.exists()


def test_applications_follow_a_planned_switchover(
    pairing, clusters, minicluster, worker, app_dirs  # noqa: F811
):
    """The library, the `hdfs` package given both URLs and beeline through ZooKeeper
    discovery: site-a before, site-b after, never a write on the fenced side."""
    healthy(*clusters.values())
    both = ";".join(c.webhdfs_url.removesuffix("/webhdfs/v1") for c in clusters.values())
    hdfs = InsecureClient(both, user="alice", timeout=10)
    with FollowingClient([endpoints(c) for c in clusters.values()], "alice",
                         minicluster.account_password("alice"), timeout=10) as following:
        assert following.active.name == "site-a"
        hdfs.write(f"{APP_DIR}/before.csv", b"1\n", overwrite=True)
        assert site_of(beeline(minicluster, clusters, WAREHOUSE), minicluster) == "site-a"
        planned_switchover(pairing, "olga", "site-b", "maintenance", run=run_here)
        wait_for(lambda: following.active.name == "site-b", 1, "the library to follow")
        following.run(lambda c: c.webhdfs.write(f"{APP_DIR}/library.csv", b"2\n"))
    wait_for(lambda: not writes(alice(minicluster, "site-a"), "probe"), 10, "site-a's refusal")
    hdfs.write(f"{APP_DIR}/after.csv", b"3\n", overwrite=True)
    assert site_of(beeline(minicluster, clusters, WAREHOUSE), minicluster) == "site-b"
    for name in ("library.csv", "after.csv"):
        assert site(minicluster, "site-b").status(f"{APP_DIR}/{name}")
        assert site(minicluster, "site-a").status(f"{APP_DIR}/{name}", strict=False) is None
