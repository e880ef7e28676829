"""`manage.py failover`: the API's checks, roles and audit, at a shell."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from console.models import AuditEntry
from console.roles import Role
from tests.failover.conftest import identity_of

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("failover", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_an_operator_fails_over_rolls_back_and_reads_the_status(make_user, pairing, clusters):
    make_user("olga", Role.OPERATOR)
    done = json.loads(run("confirm", "--pairing", str(pairing.pk), "--typed-name", "site-b",
                          "--reason", "site-a lost power", "--as", "olga"))
    assert done["state"] == "done", done["error"]
    status = json.loads(run("status"))
    assert status["pairings"][0]["primary"] == "site-b"
    assert status["pairings"][0]["paused"].startswith("Backups over this pairing are paused")

    rolled = json.loads(run("rollback", str(done["id"]), "--typed-name", "site-a",
                            "--reason", "false alarm", "--as", "olga"))

    assert (rolled["kind"], rolled["state"]) == ("rollback", "done")
    assert identity_of(clusters["site-a"]) == ("primary", 3, "site-b")
    assert json.loads(run("status"))["pairings"][0]["paused"] == ""
    actions = set(AuditEntry.objects.filter(actor_name="olga").values_list("action", flat=True))
    assert {"failover.confirm", "failover.rollback", "switchover.done"} <= actions


def test_the_command_refuses_tenants_and_wrong_names_and_audits_it(make_user, pairing):
    make_user("tina", Role.TENANT, tenant="acme")
    make_user("olga", Role.OPERATOR)
    with pytest.raises(CommandError, match="tina is not an operator or administrator"):
        run("confirm", "--pairing", str(pairing.pk), "--typed-name", "site-b", "--reason",
            "x", "--as", "tina")
    with pytest.raises(CommandError, match="Type the name of the cluster that becomes "
                                           "primary, site-b"):
        run("confirm", "--pairing", str(pairing.pk), "--typed-name", "site-a", "--reason",
            "x", "--as", "olga")
    refused = AuditEntry.objects.filter(action="failover.confirm", outcome="refused")
    assert sorted(refused.values_list("actor_name", flat=True)) == ["olga", "tina"]
