"""The management commands operators script with: same checks as the pages."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from backups.models import Service
from console.demo import SERVICE_NAME, seed_bill_clearing, seed_logins
from console.models import AuditEntry, Cluster, Pairing
from console.roles import Role
from tests.conftest import cluster_fields


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_clusters_add_checks_endpoints_and_list_shows_them(minicluster, db, tmp_path):
    good = tmp_path / "site-a.json"
    good.write_text(json.dumps(cluster_fields(minicluster, "site-a")))
    assert "registered site-a" in run("clusters", "add", str(good))
    bad = tmp_path / "site-b.json"
    bad.write_text(json.dumps({**cluster_fields(minicluster, "site-b"),
                               "webhdfs_url": "http://127.0.0.1:1"}))
    with pytest.raises(CommandError, match="WebHDFS check failed"):
        run("clusters", "add", str(bad))
    assert [c["name"] for c in json.loads(run("clusters", "list"))] == ["site-a"]
    assert AuditEntry.objects.get(action="cluster.register").detail == "manage.py clusters add"


def test_pairings_create_and_delete(clusters):
    assert "paired site-a → site-b" in run("pairings", "create", "site-a", "site-b")
    with pytest.raises(CommandError, match="already in the pairing"):
        run("pairings", "create", "site-b", "site-a")
    assert "unpaired" in run("pairings", "delete", "site-a")
    assert not Pairing.objects.exists()


def test_services_save_reports_every_problem(pairing, tenant_data, make_user, tmp_path):
    make_user("tina", Role.TENANT, tenant="acme")
    spec = tmp_path / "service.json"
    spec.write_text(json.dumps({
        "tenant": "acme", "name": "bills", "pairing": pairing.pk,
        "data_sets": ["/data/acme/nope"], "first_moment": "2020-01-01T00:00:00+00:00",
        "period_seconds": 300}))
    with pytest.raises(CommandError) as caught:
        run("services", "save", str(spec), "--as", "tina")
    assert "in the past" in str(caught.value) and "does not exist" in str(caught.value)
    assert not Service.objects.exists()


def test_operator_cannot_disable_a_policy_from_the_command_line(pairing, make_service,
                                                              make_user):
    service = make_service(pairing)
    make_user("otto", Role.OPERATOR)
    with pytest.raises(CommandError, match="may not change"):
        run("services", "disable", str(service.pk), "--as", "otto")


def test_demo_seed_pairs_the_sites_and_defines_bill_clearing(minicluster, db, tmp_path):
    seed_logins(tmp_path)
    service = seed_bill_clearing(minicluster)
    assert service.name == SERVICE_NAME
    assert sorted(service.data_sets.values_list("component", flat=True)) == [
        "hdfs", "hive", "sparksql"]
    assert service.policy.period.total_seconds() == 300
    assert service.policy.consistency == "atomic"
    assert Cluster.objects.count() == 2 and Pairing.objects.count() == 1
    # A second run changes nothing.
    assert seed_bill_clearing(minicluster) == service
    assert Service.objects.count() == 1
    from tests.conftest import _clear_identities

    _clear_identities(minicluster)
