"""The failover API: operators and administrators confirm, commit and roll back with the
same checks as everywhere; tenants are refused, anonymous callers asked to sign in, and
every decision and refusal is audited."""

import pytest

from console.models import AuditEntry
from console.roles import Role
from failover.models import PromptState, Switchover, SwitchoverState
from tests.backups.conftest import work
from tests.console.test_api import bearer, send
from tests.failover.conftest import identity_of, open_prompt

pytestmark = pytest.mark.django_db(transaction=True)

CONFIRM = "/api/failover/confirm/"


def test_an_operator_confirms_a_prompt_and_commits_the_failover(
    client, make_user, pairing, clusters, queues
):
    auth = bearer(make_user("olga", Role.OPERATOR))
    prompt = open_prompt(pairing)

    response = send(client, "post", CONFIRM, {"prompt": prompt.pk, "typed_name": "site-b",
                                              "reason": "site-a lost power"}, **auth)

    assert response.status_code == 202, response.json()
    started = response.json()
    assert (started["state"], started["by"], started["prompt"]) == ("running", "olga", prompt.pk)
    work("control")
    done = client.get(f"/api/failover/switchovers/{started['id']}/", **auth).json()
    assert done["state"] == "done", done["error"]
    assert identity_of(clusters["site-b"]) == ("primary", 2, "site-a")
    prompt.refresh_from_db()
    assert prompt.state == PromptState.CONFIRMED
    listed = client.get("/api/failover/switchovers/", **auth).json()
    assert [s["id"] for s in listed] == [started["id"]]

    committed = send(client, "post", f"/api/failover/switchovers/{started['id']}/commit/",
                     {"typed_name": "site-b", "reason": "site-a is gone"}, **auth)

    assert committed.status_code == 200, committed.json()
    assert (committed.json()["state"], committed.json()["decided_by"]) == ("committed", "olga")
    actions = AuditEntry.objects.filter(actor_name="olga").values_list("action", "outcome")
    assert set(actions) >= {("failover.confirm", "success"), ("failover.commit", "success")}


def test_an_administrator_fails_over_a_pairing_without_a_prompt_and_rolls_it_back(
    client, make_user, pairing, clusters, queues
):
    auth = bearer(make_user("ada", Role.ADMINISTRATOR))
    started = send(client, "post", CONFIRM, {"pairing": pairing.pk, "typed_name": "site-b",
                                             "reason": "site-a's rack is on fire"}, **auth)
    assert started.status_code == 202, started.json()
    work("control")
    path = f"/api/failover/switchovers/{started.json()['id']}/rollback/"

    rollback = send(client, "post", path, {"typed_name": "site-a", "reason": "false alarm"},
                    **auth)

    assert rollback.status_code == 202, rollback.json()
    assert rollback.json()["kind"] == "rollback"
    work("control")
    assert Switchover.objects.get(pk=started.json()["id"]).state == SwitchoverState.ROLLED_BACK
    assert identity_of(clusters["site-a"]) == ("primary", 3, "site-b")
    again = send(client, "post", path, {"typed_name": "site-a", "reason": "again"}, **auth)
    assert again.status_code == 409
    assert again.json()["error"] == ("The failover is rolled back: only one that is done can "
                                     "be committed or rolled back.")


def test_a_wrong_name_or_no_reason_is_refused_and_audited(client, make_user, pairing):
    auth = bearer(make_user("olga", Role.OPERATOR))
    response = send(client, "post", CONFIRM, {"pairing": pairing.pk, "typed_name": "site-a",
                                              "reason": ""}, **auth)
    assert response.status_code == 400
    assert response.json()["problems"] == [
        "Type the name of the cluster that becomes primary, site-b, exactly as it is written, "
        "to confirm.",
        "Give a reason: it is kept with the switchover and in the audit trail."]
    missing = send(client, "post", CONFIRM, {"typed_name": "site-b", "reason": "x"}, **auth)
    assert missing.status_code == 400
    assert missing.json()["problems"] == ["`prompt` or `pairing` is required, one of them."]
    assert not Switchover.objects.exists()
    refused = AuditEntry.objects.filter(action="api-failover-confirm.post", outcome="refused")
    assert refused.count() == 2


def test_tenants_are_forbidden_and_anonymous_callers_must_sign_in(client, make_user, pairing):
    tenant = bearer(make_user("tina", Role.TENANT, tenant="acme"))
    body = {"pairing": pairing.pk, "typed_name": "site-b", "reason": "site-a lost power"}
    forbidden = send(client, "post", CONFIRM, body, **tenant)
    assert forbidden.status_code == 403
    assert client.get("/api/failover/switchovers/", **tenant).status_code == 403
    anonymous = send(client, "post", CONFIRM, body)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="lockstep"'
    assert not Switchover.objects.exists()
    assert AuditEntry.objects.get(action="api-failover-confirm.post").actor_name == "tina"
