"""A tenant reaches only its own files, also through a table's location, and nothing a
tenant writes into table metadata becomes HiveQL on the secondary."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backups.discovery import discover
from backups.hiveql import UnsafeMetadata, string
from backups.metadata import apply_table, capture_table
from backups.models import BackupPolicy, Consistency, DataSet, RoundState, Service
from backups.preparing import run_now
from backups.protection import ProtectionRefused, ServiceRequest, save_service
from console.models import Tenant
from tests.backups.conftest import hive, site, work

SECRET = b"acme,the private ledger\n"


@pytest.fixture
def acme(db) -> Tenant:
    return Tenant.objects.get_or_create(name="acme")[0]


@pytest.fixture
def globex(db) -> Tenant:
    return Tenant.objects.get_or_create(name="globex")[0]


def location(minicluster, site_name: str, path: str) -> str:
    return f"file:{minicluster.site_root(site_name)}{path}"


@pytest.fixture
def evil_table(minicluster, tenant_data) -> str:
    """globex's table whose LOCATION is acme's private directory."""
    site(minicluster, "site-a").write("/data/acme/private/ledger.csv", SECRET, overwrite=True)
    primary = hive(minicluster, "site-a")
    primary.query("DROP TABLE IF EXISTS globex.evil")
    primary.query("CREATE TABLE globex.evil (tenant STRING, note STRING) USING csv LOCATION "
                  + string(location(minicluster, "site-a", "/data/acme/private")))
    yield "globex.evil"
    primary.query("DROP TABLE IF EXISTS globex.evil")


def tables_on(hive_server, database: str) -> set[str]:
    if (database,) not in hive_server.query("SHOW DATABASES"):
        return set()
    return {row[1] for row in hive_server.query(f"SHOW TABLES IN {database}")}


def request_for(tenant, pairing, data_sets) -> ServiceRequest:
    return ServiceRequest(
        tenant=tenant, name="ledger", pairing=pairing, data_sets=data_sets,
        first_moment=timezone.now() + timedelta(minutes=10), period=timedelta(minutes=5),
        retention=3)


def test_a_table_over_another_tenants_directory_is_neither_offered_nor_saved(
    pairing, evil_table, acme, globex
):
    assert evil_table not in {c.locator for c in discover(pairing.primary, globex)}
    with pytest.raises(ProtectionRefused) as refused:
        save_service(request_for(globex, pairing, [("sparksql", evil_table)]), by="mallory")
    assert "globex.evil keeps its files at /data/acme/private, outside tenant globex's roots" \
        in refused.value.problems[0]
    assert not DataSet.objects.filter(storage_path="/data/acme/private").exists()
    # So the directory stays free for its owner to protect.
    service = save_service(request_for(acme, pairing, [("hdfs", "/data/acme/private")]),
                           by="alice")
    assert service.data_sets.get().storage_path == "/data/acme/private"


def test_an_overlap_with_another_tenants_group_names_neither_tenant_nor_data_set(
    pairing, tenant_data, acme, globex
):
    save_service(request_for(acme, pairing, [("hdfs", tenant_data.bills)]), by="alice")
    globex.hdfs_roots = "/data/acme/bills/2026-11"  # an administrator's slip
    globex.save()
    with pytest.raises(ProtectionRefused) as refused:
        save_service(request_for(globex, pairing, [("hdfs", "/data/acme/bills/2026-11")]),
                     by="mallory")
    problem = refused.value.problems[0]
    assert "another tenant's protection group" in problem
    assert "acme" not in problem.replace("/data/acme/bills/2026-11", "")


@pytest.mark.django_db(transaction=True)
def test_a_group_saved_before_the_check_fails_its_round_and_copies_nothing(
    pairing, evil_table, globex, queues, minicluster
):
    service = Service.objects.create(tenant=globex, name="ledger", pairing=pairing,
                                     created_by="mallory")
    DataSet.objects.create(service=service, cluster=pairing.primary, component="sparksql",
                           locator=evil_table, storage_path="/data/acme/private")
    BackupPolicy.objects.create(service=service, first_moment=timezone.now(),
                                period=timedelta(minutes=5), retention=3,
                                consistency=Consistency.ATOMIC)
    round_ = run_now(service)
    work()
    round_.refresh_from_db()
    assert round_.state == RoundState.FAILED
    assert "outside tenant globex's roots" in round_.reason
    assert site(minicluster, "site-b").status("/data/acme/private", strict=False) is None
    assert "evil" not in tables_on(hive(minicluster, "site-b"), "globex")


@pytest.mark.django_db(transaction=True)
def test_a_table_moved_after_it_was_protected_fails_the_round_naming_both_places(
    pairing, tenant_data, globex, queues, minicluster
):
    primary = hive(minicluster, "site-a")
    primary.query("DROP TABLE IF EXISTS globex.moving")
    primary.query("CREATE TABLE globex.moving (id INT) USING parquet")
    try:
        service = save_service(request_for(globex, pairing, [("sparksql", "globex.moving")]),
                               by="mallory")
        primary.query("ALTER TABLE globex.moving SET LOCATION "
                      + string(location(minicluster, "site-a", "/data/acme/private")))
        round_ = run_now(service)
        work()
    finally:
        primary.query("DROP TABLE IF EXISTS globex.moving")
    round_.refresh_from_db()
    assert round_.state == RoundState.FAILED
    assert ("table globex.moving moved from /data/warehouse/globex.db/moving to "
            "/data/acme/private") in round_.reason


@pytest.mark.django_db(transaction=True)
def test_a_location_with_a_quote_reaches_the_secondary_as_data(
    pairing, tenant_data, acme, queues, minicluster
):
    path = "/data/warehouse/acme.db/o'brien"
    primary = hive(minicluster, "site-a")
    primary.query("DROP TABLE IF EXISTS acme.obrien")
    primary.query("CREATE TABLE acme.obrien (id INT, name STRING) USING parquet LOCATION "
                  + string(location(minicluster, "site-a", path)))
    try:
        primary.query("INSERT INTO acme.obrien VALUES (7, 'Quote''s')")
        service = save_service(request_for(acme, pairing, [("sparksql", "acme.obrien")]),
                               by="alice")
        round_ = run_now(service)
        work()
        round_.refresh_from_db()
        assert round_.state == RoundState.CONSISTENT, round_.reason
        secondary = hive(minicluster, "site-b")
        assert secondary.query("SELECT id, name FROM acme.obrien") == [(7, "Quote's")]
        details = dict(row[:2] for row in secondary.query("DESCRIBE FORMATTED acme.obrien"))
        assert details["Location"] == location(minicluster, "site-b", path)
    finally:
        primary.query("DROP TABLE IF EXISTS acme.obrien")


def test_comments_and_properties_written_on_the_primary_stay_text_on_the_secondary(
    minicluster, tenant_data
):
    primary, secondary = hive(minicluster, "site-a"), hive(minicluster, "site-b")
    hostile = "x') TBLPROPERTIES ('pwned'='yes') --\\"
    primary.query("DROP TABLE IF EXISTS acme.remarks")
    primary.query(f"CREATE TABLE acme.remarks (id INT COMMENT {string(hostile)}) USING parquet "
                  f"COMMENT {string(hostile)} TBLPROPERTIES ('note' = {string(hostile)})")
    try:
        captured = capture_table(primary, "acme", "remarks")
        target = location(minicluster, "site-b", "/data/warehouse/acme.db/remarks'--")
        apply_table(secondary, captured, target)
        details = dict(row[:2] for row in secondary.query("DESCRIBE FORMATTED acme.remarks"))
        assert details["Comment"] == hostile and details["Location"] == target
        properties = dict(secondary.query("SHOW TBLPROPERTIES acme.remarks"))
        assert properties["note"] == hostile and "pwned" not in properties
        assert secondary.query("DESCRIBE acme.remarks")[0] == ("id", "int", hostile)
    finally:
        for side in (primary, secondary):
            side.query("DROP TABLE IF EXISTS acme.remarks")


def test_a_column_type_that_is_not_a_type_is_refused_before_anything_runs(minicluster):
    secondary = hive(minicluster, "site-b")
    captured = {
        "database": "acme", "table": "forged", "provider": "parquet",
        "columns": [("id", "int) USING text LOCATION '/etc' --", "")],
        "partition_columns": [], "properties": {}, "comment": "", "storage_properties": {},
    }
    with pytest.raises(UnsafeMetadata, match="is not a Hive type"):
        apply_table(secondary, captured, "/data/warehouse/acme.db/forged")
    assert "forged" not in tables_on(secondary, "acme")
