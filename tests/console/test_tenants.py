"""A tenant's roots and databases: well formed and never another tenant's."""

import pytest
from django.core.exceptions import ValidationError

from console.models import Tenant


@pytest.fixture
def acme(db) -> Tenant:
    return Tenant.objects.create(name="acme", hdfs_roots="/data/acme\n/archive/acme")


def problems(tenant: Tenant) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        tenant.full_clean()
    return refused.value.message_dict


def test_defaults_and_own_roots_and_databases_are_accepted(acme):
    Tenant(name="globex").full_clean()
    Tenant(name="initech", hdfs_roots="/data/initech\n/projects/tps",
           databases="initech\ntps_reports").full_clean()


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"hdfs_roots": "/data/acme/ledger"}, "hdfs_roots",
     "/data/acme/ledger overlaps acme's /data/acme: a directory belongs to one tenant only"),
    ({"hdfs_roots": "/data"}, "hdfs_roots", "/data overlaps acme's /data/acme"),
    ({"hdfs_roots": "/"}, "hdfs_roots", "A tenant's root cannot be /"),
    ({"hdfs_roots": "/data/x/../acme"}, "hdfs_roots", "contains . or .. components"),
    ({"hdfs_roots": "data/globex"}, "hdfs_roots", "is not absolute"),
    ({"databases": "acme"}, "databases", "Database acme already belongs to tenant acme"),
    ({"databases": "globex`; DROP"}, "databases", "is not a database name"),
    ({"databases": "ACME"}, "databases", "Database acme already belongs to tenant acme"),
])
def test_a_root_or_database_of_another_tenant_or_malformed_is_refused(
    acme, changes, field, message
):
    found = problems(Tenant(name="globex", **changes))
    assert any(message in problem for problem in found[field]), found


def test_a_new_tenant_named_like_another_tenants_database_is_refused(db):
    Tenant.objects.create(name="acme", databases="acme\nbilling")
    assert "Database billing already belongs to tenant acme" in problems(
        Tenant(name="billing"))["databases"][0]


@pytest.mark.parametrize("name", ["", None])
def test_a_tenant_without_a_name_is_refused_for_its_name_alone(acme, name):
    """Its default root is not "/data/" nor "/data/None", which overlapped every tenant."""
    tenant = Tenant(name=name)
    assert tenant.roots == [] and tenant.database_names == []
    found = problems(tenant)
    assert set(found) == {"name"}, found
