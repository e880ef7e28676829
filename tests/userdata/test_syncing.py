"""The user-data sync against both sites' real slapd: after each consistent round the
secondary's directory matches the primary's; conflicts, refusals and outages are
reported per entry and never overwritten; dry runs change nothing; changes are audited."""

import json
from datetime import timedelta

import pytest

from adapters.ldap import Write
from backups.models import RoundState
from backups.preparing import run_now
from console import clock
from console.models import AuditEntry
from console.roles import Role
from tests.backups.conftest import make_service, site, work
from tests.userdata.conftest import add, ldap_stopped, people, person, tenant, tenants, write
from userdata.directories import entry_dn, read_directory
from userdata.entries import USER
from userdata.models import DriftEntry, RunState, SyncRun, SyncSettings, Trigger
from userdata.syncing import settings_of, sync_pairing

pytestmark = pytest.mark.django_db(transaction=True)


def run_round(service):
    round_ = run_now(service)
    work()
    round_.refresh_from_db()
    assert round_.state == RoundState.CONSISTENT, round_.reason
    return round_


def modify(cluster, key: str, **values: list[str]) -> Write:
    return Write("modify", entry_dn(cluster, USER, key), values)


def test_users_and_memberships_follow_each_consistent_round_removal_only_when_enabled(
    directories, pairing, tenant_data, queues
):
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    a, b = pairing.primary, pairing.secondary
    add(directories, "site-a", a, person("bob", "2002"), person("carol", "2003"),
        person("dave", "2004"), tenant("acme", "3001", ["bob", "carol"]))

    first = run_round(service)
    run = first.user_data_runs.get()
    assert (run.state, run.trigger, run.by) == (RunState.SYNCED, Trigger.ROUND,
                                                f"round {first.pk}")
    assert run.counts["add"] == 4
    assert people(b) == people(a) and tenants(b) == tenants(a)

    # A change, a rename (carol keeps her number), a removal and a new membership.
    write(directories, "site-a",
          modify(a, "bob", mail=["robert@acme.example"]),
          Write("rename", entry_dn(a, USER, "carol"), new_rdn="uid=caroline"),
          Write("delete", entry_dn(a, USER, "dave")),
          Write("modify", f"cn=acme,ou=tenants,{a.ldap_base_dn}",
                {"memberUid": ["bob", "caroline", "alice"]}))
    second = run_round(service)
    assert second.user_data_runs.get().state == RunState.SYNCED
    on_b = people(b)
    assert on_b["bob"].values["mail"] == ("robert@acme.example",)
    assert "carol" not in on_b and on_b["caroline"].identity == "2003"
    assert on_b.pop("dave").identity == "2004"  # removal is off: kept, and reported
    assert on_b == people(a) and tenants(b) == tenants(a)
    assert [(e.key, e.action) for e in DriftEntry.objects.filter(pairing=pairing)] == [
        ("dave", "keep")]

    SyncSettings.objects.update_or_create(pairing=pairing, defaults={"remove_missing": True})
    third = run_round(service)
    assert third.user_data_runs.get().counts == {"remove": 1}
    assert people(b) == people(a)
    assert not DriftEntry.objects.filter(pairing=pairing).exists()


def test_a_conflict_on_the_secondary_is_reported_and_left_alone(directories, pairing):
    a, b = pairing.primary, pairing.secondary
    add(directories, "site-a", a, person("bob", "2002"))
    add(directories, "site-b", b, person("bob", "5002", mail="bob@old.example"))
    before = people(b)["bob"]

    run = sync_pairing(pairing, by="ada")
    assert run.state == RunState.INCOMPLETE
    [conflict] = [d for d in run.differences if d["action"] == "conflict"]
    assert conflict["key"] == "bob" and conflict["result"] == "left"
    assert conflict["summary"].startswith(
        "user bob has uidNumber 2002 on site-a but 5002 on site-b")
    assert people(b)["bob"] == before
    assert DriftEntry.objects.get(pairing=pairing, key="bob").action == "conflict"


def test_an_entry_the_console_may_not_write_is_reported_with_a_fix(directories, pairing):
    a, b = pairing.primary, pairing.secondary
    # The console's own account differs; the secondary's access rules keep the console
    # from changing its own entry.
    write(directories, "site-a", modify(a, "lockstep", cn=["Lockstep console"]))
    add(directories, "site-a", a, person("bob", "2002"))

    run = sync_pairing(pairing, by="ada")
    assert run.state == RunState.INCOMPLETE and run.counts["refused"] == 1
    [refused] = [d for d in run.differences if d["result"] == "refused"]
    assert refused["key"] == "lockstep"
    assert "insufficientAccessRights" in refused["message"]
    assert f"may not write this entry: grant it write access to ou=people,{b.ldap_base_dn}" \
        in refused["message"]
    assert people(b)["lockstep"].values["cn"] == ("lockstep",)
    assert "bob" in people(b)  # the others are written all the same
    assert AuditEntry.objects.get(action="userdata.update", outcome="failed").object_repr == \
        "site-b user lockstep"


def test_a_stopped_secondary_directory_fails_the_sync_not_the_round(
    directories, pairing, tenant_data, queues, client, make_user
):
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    add(directories, "site-a", pairing.primary, person("bob", "2002"))
    with ldap_stopped(directories, "site-b"):
        round_ = run_round(service)
    assert round_.restore_point is not None
    run = round_.user_data_runs.get()
    assert run.state == RunState.FAILED
    assert run.reason.startswith(f"The directory of site-b is unavailable: LDAP at "
                                 f"{pairing.secondary.ldap_url} does not answer")
    assert run.reason.endswith("The next consistent round syncs again.")
    client.force_login(make_user("olga", Role.OPERATOR))
    page = client.get(f"/rounds/{round_.pk}/").content.decode()
    assert "The directory of site-b is unavailable" in page
    assert '<td id="round-state" class="consistent">' in page


def test_a_dry_run_lists_every_difference_and_changes_nothing(directories, pairing):
    a, b = pairing.primary, pairing.secondary
    add(directories, "site-a", a, person("bob", "2002"), tenant("acme", "3001", ["bob"]))
    add(directories, "site-b", b, person("mallory", "2666"))
    before = read_directory(b)

    run = sync_pairing(pairing, by="ada", dry_run=True)
    assert run.state == RunState.COMPARED
    assert {(d["action"], d["kind"], d["key"], d["result"]) for d in run.differences} == {
        ("add", "user", "bob", "planned"), ("add", "tenant", "acme", "planned"),
        ("keep", "user", "mallory", "left")}
    assert read_directory(b) == before
    assert not AuditEntry.objects.filter(action__in=["userdata.add", "userdata.update"])

    # The drift report keeps when each difference was first seen.
    first_seen = {e.key: e.first_seen for e in DriftEntry.objects.filter(pairing=pairing)}
    assert set(first_seen) == {"bob", "acme", "mallory"}
    sync_pairing(pairing, by="ada", dry_run=True)
    assert {e.key: e.first_seen for e in DriftEntry.objects.filter(pairing=pairing)} == \
        first_seen


def test_every_change_is_audited_with_who_before_and_after(directories, pairing, make_user):
    ada = make_user("ada", Role.ADMINISTRATOR)
    a, b = pairing.primary, pairing.secondary
    add(directories, "site-a", a, person("bob", "2002"), person("carol", "2003"))
    add(directories, "site-b", b, person("bob", "2002", mail="bob@old.example"))

    run = sync_pairing(pairing, by="ada")
    assert run.state == RunState.SYNCED
    update = AuditEntry.objects.get(action="userdata.update")
    assert (update.actor, update.actor_name, update.object_repr) == (ada, "ada",
                                                                     "site-b user bob")
    detail = json.loads(update.detail)
    assert (detail["before"]["mail"], detail["after"]["mail"]) == (["bob@old.example"],
                                                                   ["bob@acme.example"])
    assert detail["dn"] == [f"uid=bob,ou=people,{b.ldap_base_dn}"] and detail["run"] == run.pk
    added = json.loads(AuditEntry.objects.get(action="userdata.add").detail)
    assert added["before"] is None and added["after"]["uidNumber"] == ["2003"]
    assert AuditEntry.objects.get(action="userdata.sync").detail == "1 update, 1 add"


def test_one_sync_of_a_pairing_runs_at_a_time(directories, pairing):
    running = SyncRun.objects.create(pairing=pairing, by="round 7", trigger=Trigger.ROUND,
                                     state=RunState.RUNNING, started_at=clock.now())
    SyncSettings.objects.filter(pk=settings_of(pairing).pk).update(active_run=running)
    skipped = sync_pairing(pairing, by="ada")
    assert skipped.state == RunState.SKIPPED
    assert skipped.reason == f"Sync #{running.pk} of this pairing was running (started by " \
                             "round 7); one runs at a time."
    # A claim older than the sync timeout belongs to a worker that died.
    SyncRun.objects.filter(pk=running.pk).update(started_at=clock.now() - timedelta(hours=2))
    assert sync_pairing(pairing, by="ada").state == RunState.SYNCED
    running.refresh_from_db()
    assert running.state == RunState.FAILED and "worker probably died" in running.reason


def test_unknown_path_owners_and_differing_table_owners_are_reported(
    directories, pairing, tenant_data, queues, minicluster
):
    service = make_service(pairing, [("hdfs", tenant_data.bills),
                                      ("hive", tenant_data.customers)])
    stray = f"{tenant_data.bills}/2026-11/bill-0001.csv"
    site(minicluster, "site-a").set_owner(stray, owner="zed", group="acme")
    try:
        run = run_round(service).user_data_runs.get()
    finally:
        site(minicluster, "site-a").set_owner(stray, owner="lockstep", group="supergroup")
    assert {(item["path"], item["unknown"]) for item in run.unknown_owners} == {
        (stray, "owner and group")}
    [table] = run.table_owners
    assert (table["table"], table["primary"], table["secondary"]) == (
        tenant_data.customers, "alice", "lockstep")
    assert table["note"].startswith("Spark SQL cannot change a table's owner")
