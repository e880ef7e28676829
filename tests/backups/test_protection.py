"""Defining a service: discovery, every refusal with its message, nothing half-saved."""

from datetime import timedelta

import pytest
from django.utils import timezone

from adapters.webhdfs import WebHdfs
from backups.discovery import discover
from backups.models import BackupPolicy, Consistency, DataSet, Service
from backups.protection import ProtectionRefused, ServiceRequest, save_service
from console.models import Tenant
from minicluster.layout import CONSOLE_USER


@pytest.fixture
def acme(db) -> Tenant:
    return Tenant.objects.create(name="acme", hdfs_roots="/data/acme\n/archive/acme")


@pytest.fixture
def globex(db) -> Tenant:
    return Tenant.objects.create(name="globex")


def request_for(tenant, pairing, data_sets, **changes) -> ServiceRequest:
    values = {
        "tenant": tenant, "name": "bill clearing", "pairing": pairing,
        "data_sets": data_sets, "first_moment": timezone.now() + timedelta(minutes=10),
        "period": timedelta(minutes=5), "retention": 12,
    }
    return ServiceRequest(**{**values, **changes})


ALL_THREE = [("hdfs", "/data/acme/bills"), ("hive", "acme.customers"),
             ("sparksql", "acme.settlements")]


def counts() -> tuple[int, int, int]:
    return Service.objects.count(), DataSet.objects.count(), BackupPolicy.objects.count()


def refused(request: ServiceRequest) -> list[str]:
    """The problems a refused request reports; it must have written nothing."""
    before = counts()
    with pytest.raises(ProtectionRefused) as caught:
        save_service(request, by="tina")
    assert counts() == before
    return caught.value.problems


def test_discovery_lists_the_tenants_directories_and_tables_only(
    pairing, tenant_data, acme
):
    found = {c.locator: c for c in discover(pairing.primary, acme)}
    assert {"/data/acme", "/data/acme/bills", "/data/acme/bills/2026-11",
            "/archive/acme", "/archive/acme/old-bills", "acme.customers",
            "acme.settlements"} <= set(found)
    assert not any("globex" in locator for locator in found)
    assert found["acme.customers"].component == "hive"
    assert found["acme.settlements"].component == "sparksql"
    assert found["acme.customers"].storage_path == "/data/warehouse/acme.db/customers"
    # Live sizes: at least the bill file the fixture wrote (the demo test may add more).
    assert found["/data/acme/bills"].size_bytes >= len(b"bill,customer\n1,1\n")


def test_service_across_three_components_is_saved_atomic(pairing, tenant_data, acme):
    service = save_service(request_for(acme, pairing, ALL_THREE), by="tina")
    assert sorted(service.data_sets.values_list("component", "storage_path")) == [
        ("hdfs", "/data/acme/bills"),
        ("hive", "/data/warehouse/acme.db/customers"),
        ("sparksql", "/data/warehouse/acme.db/settlements"),
    ]
    assert service.policy.consistency == Consistency.ATOMIC
    assert service.policy.period == timedelta(minutes=5)


def test_data_set_outside_the_snapshot_root_makes_it_synchronized(pairing, tenant_data, acme):
    service = save_service(request_for(acme, pairing, [
        *ALL_THREE,
        ("hdfs", "/archive/acme/old-bills")]), by="tina")
    assert service.policy.consistency == Consistency.SYNCHRONIZED


@pytest.mark.parametrize(("data_set", "message"), [
    (("hdfs", "/data/acme/missing"), "/data/acme/missing does not exist on site-a"),
    (("hive", "acme.nothing"), "Table acme.nothing does not exist on site-a"),
    (("hdfs", "/data/globex/ledger"), "outside tenant acme's roots"),
    (("sparksql", "globex.accounts"), "outside tenant acme's databases"),
    (("hdfs", "/data/acme/../globex/ledger"), "contains . or .. components"),
    (("hdfs", "/data/.snapshot/s1/acme"), "read-only .snapshot"),
    (("hdfs", "/data/acme/<script>"), "quotes, angle brackets"),
    (("hive", "acme.settlements"), "is a SparkSQL table, not hive"),
    (("hdfs", "/data/acme/bills/2026-11/bill-0001.csv"), "is a file"),
    (("hive", "acme.customers; DROP TABLE x"), "not a table name"),
])
def test_bad_data_sets_are_refused_with_the_reason(pairing, tenant_data, acme, data_set,
                                                   message):
    problems = refused(request_for(acme, pairing, [data_set]))
    assert any(message in problem for problem in problems), problems


def test_a_directory_path_longer_than_its_column_is_refused(pairing, tenant_data, acme):
    deep = "/data/acme/" + "/".join(["d" * 200] * 3)
    webhdfs = WebHdfs(pairing.primary.webhdfs_url, CONSOLE_USER)
    webhdfs.makedirs(deep)
    try:
        problems = refused(request_for(acme, pairing, [("hdfs", deep)]))
    finally:
        webhdfs.delete("/data/acme/" + "d" * 200, recursive=True)
    assert problems == [f"{deep[:60]}…: its path has 613 characters, more than the 500 "
                        "Lockstep stores."]


def test_directory_with_its_own_subdirectory_is_refused(pairing, tenant_data, acme):
    problems = refused(request_for(acme, pairing, [
        ("hdfs", "/data/acme/bills"), ("hdfs", "/data/acme/bills/2026-11")]))
    assert problems == ["/data/acme/bills/2026-11 lies inside /data/acme/bills: "
                        "choose one of the two."]


def test_data_set_already_in_another_group_is_refused(pairing, tenant_data, acme, globex):
    save_service(request_for(acme, pairing, ALL_THREE), by="tina")
    problems = refused(request_for(acme, pairing, [("hdfs", "/data/acme")], name="other"))
    assert problems == ["/data/acme overlaps /data/acme/bills, which is already in the "
                        "protection group of service bill clearing: a data set belongs to one "
                        "group only."]
    assert Service.objects.count() == 1
    assert DataSet.objects.count() == 3
    # The same data set is not said to overlap itself.
    problems = refused(request_for(acme, pairing, [("hdfs", "/data/acme/bills")], name="x"))
    assert problems == ["/data/acme/bills is already in the protection group of service bill "
                        "clearing: a data set belongs to one group only."]


def test_first_moment_in_the_past_offers_the_next_whole_minute(pairing, tenant_data, acme):
    now = timezone.now()
    problems = refused(request_for(acme, pairing, ALL_THREE,
                                   first_moment=now - timedelta(minutes=3)))
    offer = timezone.localtime(now.replace(second=0, microsecond=0) + timedelta(minutes=1))
    assert problems == [
        f"The first backup moment {timezone.localtime(now - timedelta(minutes=3)):%Y-%m-%d %H:%M}"
        f" is in the past: choose a later one, e.g. {offer:%Y-%m-%d %H:%M}."
    ]


@pytest.mark.parametrize("period", [timedelta(seconds=59), timedelta(0)])
def test_period_under_a_minute_is_refused(pairing, tenant_data, acme, period):
    problems = refused(request_for(acme, pairing, ALL_THREE, period=period))
    assert problems == ["The period must be at least one minute (or choose 'once')."]


def test_once_only_policy_has_no_period(pairing, tenant_data, acme):
    service = save_service(request_for(acme, pairing, ALL_THREE, period=None), by="tina")
    assert service.policy.period is None


def test_service_without_data_sets_is_refused(pairing, acme):
    assert refused(request_for(acme, pairing, [])) == [
        "Choose at least one data set for the service's protection group."]


@pytest.mark.parametrize("name", ["<b>bills</b>", "../bills", "", "bills/2026"])
def test_service_names_with_markup_or_path_tricks_are_refused(pairing, tenant_data, acme, name):
    problems = refused(request_for(acme, pairing, ALL_THREE, name=name))
    assert problems and all(p.startswith("Service name:") for p in problems)


def test_every_problem_is_reported_at_once(pairing, tenant_data, acme):
    problems = refused(request_for(acme, pairing, [("hdfs", "/data/acme/missing")],
                                   period=timedelta(seconds=5), retention=0))
    assert len(problems) == 3


def test_edit_replaces_the_group_and_keeps_a_past_first_moment(pairing, tenant_data, acme):
    service = save_service(request_for(acme, pairing, ALL_THREE), by="tina")
    BackupPolicy.objects.filter(service=service).update(
        first_moment=timezone.now() - timedelta(hours=1))
    service.refresh_from_db()
    edited = save_service(
        request_for(acme, pairing, [("hdfs", "/data/acme/bills")],
                    first_moment=service.policy.first_moment, retention=5),
        by="tina", service=service)
    assert list(edited.data_sets.values_list("locator", flat=True)) == ["/data/acme/bills"]
    edited.policy.refresh_from_db()
    assert edited.policy.retention == 5
