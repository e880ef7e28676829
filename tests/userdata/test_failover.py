"""After a failover, the people who owned the data on the old primary are there on the
new one: same entries, same tenants, same owners on the paths; and the next sync runs
the other way."""

import pytest

from failover.models import SwitchoverState
from failover.running import run_here
from failover.switching import failover
from tests.backups.conftest import make_service, site
from tests.userdata.conftest import add, people, person, tenant, tenants
from tests.userdata.test_syncing import run_round
from userdata.syncing import sync_pairing

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_user_created_before_the_last_round_owns_the_same_paths_after_a_failover(
    directories, pairing, tenant_data, queues, minicluster
):
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    a, b = pairing.primary, pairing.secondary
    add(directories, "site-a", a, person("erin", "2005"),
        tenant("acme", "3001", ["alice", "erin"]))
    owned = f"{tenant_data.bills}/erin"
    primary = site(minicluster, "site-a")
    primary.write(f"{owned}/ledger.csv", b"erin's\n", overwrite=True)
    for path in (owned, f"{owned}/ledger.csv"):
        primary.set_owner(path, owner="erin", group="acme")
    try:
        synced = run_round(service).user_data_runs.get()
        assert not [item for item in synced.unknown_owners if "erin" in item["path"]]

        switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
        switchover.refresh_from_db()
        assert switchover.state == SwitchoverState.DONE, switchover.error
        assert people(b)["erin"] == people(a)["erin"]
        assert "erin" in tenants(b)["acme"].members
        new_primary = site(minicluster, "site-b")
        for path in (owned, f"{owned}/ledger.csv"):
            status = new_primary.status(path)
            assert (status["owner"], status["group"]) == ("erin", "acme")

        pairing.refresh_from_db()
        after = sync_pairing(pairing, by="olga")
        assert (after.source, after.target) == ("site-b", "site-a")
    finally:
        primary.delete(owned, recursive=True)
