"""Round pages: scopes, run now, the dry run, RPO breach."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from backups.models import RestorePoint, Round, RoundState
from console.models import AuditEntry
from console.roles import Role
from tests.backups.conftest import make_service


@pytest.fixture
def service(pairing, tenant_data, queues):
    return make_service(pairing, [("hdfs", tenant_data.bills)])


def test_tenant_runs_a_round_now_and_another_tenant_cannot_see_it(client, make_user, service):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    response = client.post(reverse("service-run-now", args=[service.pk]))
    round_ = Round.objects.get()
    assert response.url == reverse("round-detail", args=[round_.pk])
    assert b"scheduled" in client.get(response.url).content
    assert AuditEntry.objects.filter(action="round.run_now").exists()
    client.force_login(make_user("gil", Role.TENANT, tenant="globex"))
    assert str(round_.moment.year).encode() not in client.get(reverse("rounds")).content
    assert client.get(reverse("round-detail", args=[round_.pk])).status_code == 404


def test_operator_reads_rounds_but_cannot_start_one(client, make_user, service):
    client.force_login(make_user("otto", Role.OPERATOR))
    assert client.get(reverse("rounds")).status_code == 200
    assert client.post(reverse("service-run-now", args=[service.pk])).status_code == 403
    assert not Round.objects.exists()


def test_dry_run_checks_everything_and_copies_nothing(client, make_user, service, minicluster):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    page = client.post(reverse("service-dry-run", args=[service.pk]))
    checks = {c.name: c for c in page.context["checks"]}
    assert checks["snapshot roots on site-a"].ok
    assert checks["clock of site-b"].ok
    assert checks["console may write on the secondary"].ok
    assert "full copy" in checks["next round would move"].detail
    assert checks["secondary has room"].ok
    assert not Round.objects.exists()


def test_dry_run_names_the_fix_for_a_missing_snapshot_root(client, make_user, service):
    cluster = service.pairing.primary
    cluster.snapshot_root = "/data/acme"
    cluster.save()
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    checks = client.post(reverse("service-dry-run", args=[service.pk])).context["checks"]
    failed = next(c for c in checks if c.name == "snapshot roots on site-a")
    assert not failed.ok and "hdfs dfsadmin -allowSnapshot /data/acme" in failed.fix


def test_rpo_breach_shows_on_the_round_list_and_the_service(client, make_user, service):
    old = Round.objects.create(service=service, moment=timezone.now() - timedelta(minutes=20),
                               state=RoundState.CONSISTENT, snapshot_name="old")
    RestorePoint.objects.create(service=service, round=old, cluster=service.pairing.secondary,
                                snapshot_roots=["/data"], name="old", moment=old.moment)
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    assert b"RPO breach" in client.get(reverse("rounds")).content
    detail = client.get(reverse("service-detail", args=[service.pk])).content.decode()
    assert re.search(r"is 20 min( \d+ s)? old: in breach", detail)
