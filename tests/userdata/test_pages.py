"""User-data pages, API and command: administrators sync and change settings, operators
read, a tenant's people see only their own tenants' entries; CSRF and audit as
everywhere."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from adapters.ldap import Write
from console.models import AuditEntry
from console.roles import Role
from tests.backups.conftest import work
from tests.console.test_api import bearer, send
from tests.userdata.conftest import add, ldap_stopped, people, person, tenant, write
from userdata.directories import entry_dn
from userdata.entries import USER
from userdata.models import RunState, SyncRun, SyncSettings

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_tenants(directories, pairing):
    """acme (alice, bob) and globex (gil) on site-a, nothing of them on site-b."""
    add(directories, "site-a", pairing.primary, person("bob", "2002"), person("gil", "2010"),
        tenant("acme", "3001", ["alice", "bob"]), tenant("globex", "3002", ["gil"]))
    return pairing


def test_administrator_syncs_from_the_pairing_page_and_reads_the_outcome(
    client, make_user, two_tenants, queues
):
    pairing = two_tenants
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    assert b"Sync now" in client.get(f"/userdata/pairings/{pairing.pk}/").content
    response = client.post(f"/userdata/pairings/{pairing.pk}/sync/")
    run = SyncRun.objects.get()
    assert response.url == f"/userdata/runs/{run.pk}/" and run.state == RunState.QUEUED
    work("control")
    run.refresh_from_db()
    assert run.state == RunState.SYNCED and run.by == "ada"
    page = client.get(response.url).content.decode()
    assert "user gil" in page and "applied" in page
    assert people(pairing.secondary)["gil"] == people(pairing.primary)["gil"]
    assert AuditEntry.objects.filter(action="userdata.request", actor_name="ada").exists()


def test_operator_reads_but_may_not_sync_or_change_settings(client, make_user, two_tenants):
    pairing = two_tenants
    client.force_login(make_user("otto", Role.OPERATOR))
    page = client.get(f"/userdata/pairings/{pairing.pk}/").content.decode()
    assert "Sync now" not in page and "Removal of entries only on the secondary" in page
    assert client.post(f"/userdata/pairings/{pairing.pk}/sync/").status_code == 403
    assert client.post(f"/userdata/pairings/{pairing.pk}/settings/",
                       {"remove_missing": "on"}).status_code == 403
    assert not SyncRun.objects.exists()
    assert "gil" in client.get("/userdata/clusters/site-a/").content.decode()


def test_a_tenant_sees_only_its_own_tenants_people(client, make_user, two_tenants):
    pairing = two_tenants
    tina = make_user("tina", Role.TENANT, tenant="acme")
    client.force_login(tina)
    page = client.get("/userdata/clusters/site-a/").content.decode()
    assert ">bob<" in page and ">alice<" in page
    assert "gil" not in page and "globex" not in page
    answer = client.get("/api/clusters/site-a/directory/", **bearer(tina)).json()
    assert [u["uid"] for u in answer["users"]] == [["alice"], ["bob"]]
    assert [t["cn"] for t in answer["tenants"]] == [["acme"]]
    assert answer["tenants"][0]["console_tenant"] == "acme"
    for path in (f"/userdata/pairings/{pairing.pk}/", f"/api/pairings/{pairing.pk}/user-data/"):
        assert client.get(path).status_code == 403


def test_settings_changes_are_audited_with_before_and_after(client, make_user, pairing):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    response = client.post(f"/userdata/pairings/{pairing.pk}/settings/",
                           {"remove_missing": "on", "service_accounts": "hdfs  hive"})
    assert response.status_code == 302
    saved = SyncSettings.objects.get(pairing=pairing)
    assert (saved.remove_missing, saved.service_accounts, saved.updated_by) == (
        True, "hdfs hive", "ada")
    entry = AuditEntry.objects.get(action="userdata.settings")
    assert "before: {'remove_missing': False" in entry.detail
    assert "after: {'remove_missing': True, 'service_accounts': 'hdfs hive'}" in entry.detail


def test_a_sync_without_the_csrf_token_is_refused(make_user, pairing):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_user("ada", Role.ADMINISTRATOR))
    assert browser.post(f"/userdata/pairings/{pairing.pk}/sync/").status_code == 403
    assert send(browser, "post", f"/api/pairings/{pairing.pk}/user-data/sync/").status_code \
        == 403
    assert not SyncRun.objects.exists()


def test_the_api_starts_a_dry_run_and_answers_its_differences(
    client, make_user, two_tenants, queues
):
    pairing = two_tenants
    admin = bearer(make_user("ada", Role.ADMINISTRATOR))
    response = send(client, "post", f"/api/pairings/{pairing.pk}/user-data/sync/",
                    {"dry_run": True}, **admin)
    assert response.status_code == 202 and response.json()["state"] == "queued"
    work("control")
    run = client.get(f"/api/user-data/runs/{response.json()['id']}/", **admin).json()
    assert run["state"] == "compared" and run["dry_run"] is True
    assert {(d["action"], d["key"]) for d in run["differences"]} == {
        ("add", "bob"), ("add", "gil"), ("add", "acme"), ("add", "globex")}
    drift = client.get(f"/api/pairings/{pairing.pk}/user-data/", **admin).json()["drift"]
    assert {entry["key"] for entry in drift} == {"bob", "gil", "acme", "globex"}

    operator = bearer(make_user("otto", Role.OPERATOR))
    assert send(client, "post", f"/api/pairings/{pairing.pk}/user-data/sync/",
                **operator).status_code == 403
    refused = send(client, "put", f"/api/pairings/{pairing.pk}/user-data/",
                   {"remove_missing": "yes"}, **admin)
    assert refused.status_code == 400
    assert refused.json()["problems"] == [
        "`remove_missing` must be true or false (a JSON boolean)."]


def test_a_directory_out_of_reach_is_named_with_what_to_do(client, make_user, directories,
                                                            clusters):
    client.force_login(make_user("otto", Role.OPERATOR))
    with ldap_stopped(directories, "site-b"):
        response = client.get("/userdata/clusters/site-b/")
    assert response.status_code == 503
    assert (f"The directory of site-b is unavailable: LDAP at {clusters['site-b'].ldap_url} "
            "does not answer") in response.content.decode()


def test_the_command_lists_a_dry_run_then_syncs_and_fails_on_a_conflict(
    two_tenants, directories, capsys
):
    secondary = two_tenants.secondary
    call_command("userdata", "sync", "--dry-run")
    out = capsys.readouterr().out
    assert "add      user   gil: new, uidNumber 2010 [planned]" in out
    assert "compared (dry run) (4 add" in out
    assert "gil" not in people(secondary)

    call_command("userdata", "sync", "--by", "cron")
    assert people(secondary)["gil"].identity == "2010"
    added = AuditEntry.objects.get(action="userdata.add", object_repr="site-b user gil")
    assert (added.actor_name, json.loads(added.detail)["after"]["uid"]) == ("cron", ["gil"])

    write(directories, "site-b",
          Write("modify", entry_dn(secondary, USER, "bob"), {"uidNumber": ["9999"]}))
    with pytest.raises(CommandError, match="1 entries left apart"):
        call_command("userdata", "sync")
    assert "user bob has uidNumber 2002 on site-a but 9999 on site-b" in capsys.readouterr().out
