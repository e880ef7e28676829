"""Deleting a service: its snapshots go on both clusters unless its restore points are
kept, and a running round keeps the service until it ends."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backups.models import Round, RoundState, Service
from backups.preparing import prepare_round, run_now
from console.models import AuditEntry
from console.roles import Role
from tests.backups.conftest import make_service, site, work

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def backed_up(pairing, tenant_data, queues) -> tuple[Service, list[Round]]:
    """A service with two consistent rounds: the second's snapshot on the primary, both
    restore points on the secondary."""
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    rounds = []
    for _ in range(2):
        round_ = run_now(service)
        work()
        round_.refresh_from_db()
        assert round_.state == RoundState.CONSISTENT, round_.reason
        rounds.append(round_)
    return service, rounds


def names_on(minicluster, site_name: str) -> set[str]:
    return {s.name for s in site(minicluster, site_name).snapshots("/data")}


def test_deleting_a_service_deletes_its_snapshots_on_both_clusters(
    backed_up, minicluster, client, make_user
):
    service, rounds = backed_up
    names = {r.snapshot_name for r in rounds}
    assert rounds[1].snapshot_name in names_on(minicluster, "site-a")
    assert names <= names_on(minicluster, "site-b")
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    page = client.post(f"/services/{service.pk}/delete/", follow=True).content.decode()
    assert "3 snapshots deleted" in page and "site-b: /data/.snapshot/" in page
    assert not Service.objects.filter(pk=service.pk).exists()
    assert not names & (names_on(minicluster, "site-a") | names_on(minicluster, "site-b"))
    entry = AuditEntry.objects.get(action="service.delete")
    assert entry.outcome == "success" and "3 snapshots deleted" in entry.detail


def test_deleting_through_the_api_may_keep_the_restore_points(
    backed_up, minicluster, client, make_user
):
    service, rounds = backed_up
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    answer = client.delete(f"/api/services/{service.pk}/?keep_restore_points=true").json()
    assert len(answer["restore_points_kept"]) == 2
    assert answer["snapshots_deleted"] == [
        f"site-a: /data/.snapshot/{rounds[1].snapshot_name}"]
    assert {r.snapshot_name for r in rounds} <= names_on(minicluster, "site-b")
    assert client.delete("/api/services/1/?keep_restore_points=yes").status_code in (400, 404)


def test_a_service_whose_round_runs_is_not_deleted(pairing, tenant_data, queues, client,
                                                   make_user):
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    prepare_round(service, timezone.now() + timedelta(minutes=1))
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    page = client.post(f"/services/{service.pk}/delete/", follow=True).content.decode()
    assert "A round of acme/bill clearing is running: cancel it on its page" in page
    assert Service.objects.filter(pk=service.pk).exists()
    assert AuditEntry.objects.get(action="service.delete").outcome == "refused"
