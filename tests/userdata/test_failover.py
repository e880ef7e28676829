"""After a failover, the people who owned the data on the old primary are there on the
new one: same entries, same tenants, same owners on the paths; and the next sync runs
the other way."""

import pytest

from failover.models import SwitchoverState
from failover.running import run_here
from failover.switching import failover
from tests.backups.conftest import make_service, site
from tests.userdata.conftest import add, ldap_stopped, people, person, tenant, tenants
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


def test_a_failover_syncs_the_people_added_since_the_last_sync(directories, pairing):
    add(directories, "site-a", pairing.primary, person("frank", "2006"),
        tenant("acme", "3001", ["frank"]))

    switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)

    switchover.refresh_from_db()
    assert switchover.state == SwitchoverState.DONE, switchover.error
    assert "user_data_synced" in switchover.steps
    assert people(pairing.secondary)["frank"] == people(pairing.primary)["frank"]
    assert tenants(pairing.secondary)["acme"].members == ("frank",)
    run = pairing.user_data_runs.get()
    assert (run.trigger, run.by, run.source, run.target, run.state) == (
        "failover", "olga", "site-a", "site-b", "synced")
    assert f"User data synced from site-a to site-b: sync #{run.pk} (2 added)." in switchover.notes


def test_a_failover_goes_on_when_the_old_primary_directory_is_gone(directories, pairing):
    synced = sync_pairing(pairing, by="olga")
    add(directories, "site-a", pairing.primary, person("frank", "2006"))

    with ldap_stopped(directories, "site-a"):
        switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)

    switchover.refresh_from_db()
    assert switchover.state == SwitchoverState.DONE, switchover.error
    failed = pairing.user_data_runs.get(trigger="failover")
    assert failed.state == "failed"
    [noted] = [n for n in switchover.notes if n.startswith("User data")]
    assert noted.startswith(f"User data not synced from site-a (sync #{failed.pk} failed: "
                            "The directory of site-a is unavailable")
    assert noted.endswith(f"site-b holds what sync #{synced.pk} wrote at "
                          f"{synced.finished_at:%Y-%m-%d %H:%M:%S} UTC.")
    assert "frank" not in people(pairing.secondary)
