"""A round's life: one round of a service at a time, frozen when prepared, moved only by
allowed transitions, cancellable, and never "consistent" when its tables changed at T."""

import os
import subprocess
import sys
import threading
from datetime import timedelta

import django_rq
import pytest
from django.utils import timezone

from backups.models import DataSetTask, Round, RoundState, TaskState
from backups.preparing import RoundRefused, prepare_round, run_now
from backups.protection import ServiceRequest, save_service
from backups.transitions import ROUND_MOVES, move_round
from console.roles import Role
from tests.backups.conftest import hive, make_service, site, tree, wait_for, work
from tests.backups.test_failures import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def service(pairing, tenant_data, queues):
    return make_service(pairing, [("hdfs", tenant_data.bills)])


def test_only_the_first_of_two_moves_from_one_state_wins(service):
    round_ = prepare_round(service, timezone.now() + timedelta(minutes=1))
    stale = Round.objects.get(pk=round_.pk)
    assert move_round(round_, RoundState.CANCELLED, "cancelled by ada")
    assert not move_round(stale, RoundState.SNAPSHOTTING)
    assert stale.state == RoundState.CANCELLED
    assert Round.objects.get(pk=round_.pk).state == RoundState.CANCELLED
    # Only a retry leads out of a final state: a failed round's copies run again.
    assert ROUND_MOVES[RoundState.FAILED] == {RoundState.REPLICATING}
    assert not any(state in ROUND_MOVES for state in (
        RoundState.CONSISTENT, RoundState.CRASH_CONSISTENT, RoundState.CANCELLED,
        RoundState.FENCED, RoundState.SUPERSEDED, RoundState.SKIPPED, RoundState.MISSED))


def test_run_now_inside_the_lead_of_a_prepared_round_is_refused_naming_it(
    service, client, make_user
):
    prepared = prepare_round(service, timezone.now() + timedelta(seconds=20))
    with pytest.raises(RoundRefused) as refused:
        run_now(service)
    assert str(refused.value).startswith(
        f"The round at {prepared.moment:%H:%M:%S} is scheduled: one round of a service runs "
        "at a time.")
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    page = client.post(f"/services/{service.pk}/run-now/", follow=True).content.decode()
    assert "one round of a service runs at a time" in page
    assert Round.objects.count() == 1
    assert django_rq.get_queue("site-a").count == 1


def test_a_service_edited_mid_round_changes_only_the_next_round(service, tenant_data,
                                                                 minicluster):
    round_ = run_now(service)
    save_service(ServiceRequest(
        tenant=service.tenant, name=service.name, pairing=service.pairing,
        data_sets=[("hdfs", tenant_data.archive)], first_moment=service.policy.first_moment,
        period=service.policy.period, retention=3), by="tina", service=service)
    work()
    round_.refresh_from_db()
    assert round_.state == RoundState.CONSISTENT, round_.reason
    assert [t.locator for t in round_.tasks.all()] == [tenant_data.bills]
    assert tree(site(minicluster, "site-b"), tenant_data.bills) == tree(
        site(minicluster, "site-a"), tenant_data.bills)
    # The edit made the policy synchronized (its data set lies outside /data); the
    # prepared round kept its atomic snapshot of /data.
    service.policy.refresh_from_db()
    assert service.policy.consistency == "synchronized"
    assert round_.consistency == "atomic" and list(round_.snapshot_times) == ["/data"]


def test_a_round_cancelled_mid_copy_stops_drops_its_snapshot_and_the_next_is_consistent(
    pairing, queues, minicluster, bulk, client, make_user
):
    service = make_service(pairing, [("hdfs", bulk)])
    round_ = run_now(service)
    work("site-a")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "site-b", "control"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
                       "LOCKSTEP_TEST_WORKER": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    primary = site(minicluster, "site-a")
    try:
        task = round_.tasks.get()
        wait_for(lambda: DataSetTask.objects.get(pk=task.pk).files_done > 0, 60,
                 "the copy to start")
        client.force_login(make_user("olga", Role.OPERATOR))
        page = client.post(f"/rounds/{round_.pk}/cancel/", follow=True).content.decode()
        assert "Round cancelled" in page
        wait_for(lambda: round_.snapshot_name not in {s.name for s in primary.snapshots("/data")},
                 60, "the round's snapshot to go")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    round_.refresh_from_db()
    task.refresh_from_db()
    assert round_.state == RoundState.CANCELLED and round_.reason == "cancelled by olga"
    assert task.state == TaskState.CANCELLED
    assert task.files_done < 100, "the copy went on after the cancel"
    after = run_now(service)
    work()
    after.refresh_from_db()
    assert after.state == RoundState.CONSISTENT, after.reason
    assert tree(site(minicluster, "site-b"), bulk) == tree(primary, bulk)


def test_a_table_altered_at_t_makes_a_synchronized_round_crash_consistent(
    pairing, tenant_data, queues, minicluster
):
    site(minicluster, "site-a").allow_snapshot("/archive")
    service = make_service(pairing, [("hdfs", tenant_data.bills),
                                     ("hdfs", tenant_data.archive),
                                     ("hive", tenant_data.customers)])
    assert service.policy.consistency == "synchronized"
    primary = hive(minicluster, "site-a")
    round_ = run_now(service)

    def alter_at_t() -> None:
        pause = (round_.moment - timezone.now()).total_seconds() - 0.3
        threading.Event().wait(max(pause, 0))
        primary.query("ALTER TABLE acme.customers SET TBLPROPERTIES ('touched' = 'at T')")

    writer = threading.Thread(target=alter_at_t)
    writer.start()
    try:
        work()
    finally:
        writer.join()
        primary.query("ALTER TABLE acme.customers UNSET TBLPROPERTIES IF EXISTS ('touched')")
    round_.refresh_from_db()
    assert round_.state == RoundState.CRASH_CONSISTENT
    assert "table metadata changed around T" in round_.reason


def test_a_file_changed_on_the_target_after_its_copy_fails_the_round_naming_it(
    service, tenant_data, minicluster
):
    round_ = run_now(service)
    work("site-a", "site-b")
    bill = f"{tenant_data.bills}/2026-11/bill-0001.csv"
    secondary = site(minicluster, "site-b")
    with secondary.read(bill) as chunks:
        original = b"".join(chunks)
    # Same length, other bytes: only the checksum tells.
    secondary.write(bill, original.replace(b"1", b"9"), overwrite=True)
    work("control")
    round_.refresh_from_db()
    assert round_.state == RoundState.FAILED
    assert round_.reason == (
        "restore point not taken: the target differs from the source's snapshot: "
        f"{tenant_data.bills}: 2026-11/bill-0001.csv: its checksum differs from the source's")
    assert not hasattr(round_, "restore_point") or round_.restore_point is None


def test_a_snapshot_later_than_the_bound_is_flagged(service, settings, client, make_user):
    round_ = prepare_round(service, timezone.now() + timedelta(minutes=1))
    Round.objects.filter(pk=round_.pk).update(moment_error_ms=2300)
    settings.LOCKSTEP_MOMENT_BOUND = 1.0
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    assert "2300 ms late" in client.get("/rounds/").content.decode()
    assert "late, over the bound" in client.get(f"/rounds/{round_.pk}/").content.decode()


def test_the_api_starts_and_cancels_a_round_with_the_pages_checks(service, client, make_user):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    started = client.post(f"/api/services/{service.pk}/run-now/")
    assert started.status_code == 201 and started.json()["state"] == "scheduled"
    again = client.post(f"/api/services/{service.pk}/run-now/")
    assert again.status_code == 409 and "one round of a service runs at a time" in \
        again.json()["error"]
    round_id = started.json()["id"]
    client.force_login(make_user("olga", Role.OPERATOR))
    assert client.post(f"/api/services/{service.pk}/run-now/").status_code == 403
    cancelled = client.post(f"/api/rounds/{round_id}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert client.post(f"/api/rounds/{round_id}/cancel/").status_code == 409
    client.force_login(make_user("gil", Role.TENANT, tenant="globex"))
    assert client.get(f"/api/rounds/{round_id}/").status_code == 404


def test_a_round_between_clusters_no_worker_serves_is_refused_saying_what_to_run(
    service, client, make_user, settings
):
    settings.LOCKSTEP_SITES = ["site-a"]
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    page = client.post(f"/services/{service.pk}/run-now/", follow=True).content.decode()
    assert ("No worker queue serves site-b: add site-b to LOCKSTEP_SITES and run a worker on "
            "it (manage.py rqworker site-b control --with-scheduler") in page
    assert not Round.objects.exists()
