"""API tokens: administrators issue and revoke them, only digests are kept, every issue,
revoke and refused use is audited, and wrong tokens are locked out like wrong passwords."""

import hashlib
import io
import re

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from console.models import ApiToken, AuditEntry
from console.roles import Role

SCRIPT_HOST = "192.0.2.50"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def secret_in(text: str) -> str:
    return re.search(r"lst_[A-Za-z0-9_-]{43}", text).group(0)


def list_clusters(client, secret: str, address: str = SCRIPT_HOST):
    return client.get("/api/clusters/", HTTP_AUTHORIZATION=f"Bearer {secret}",
                      REMOTE_ADDR=address)


def test_the_command_issues_lists_and_revokes_tokens(client, make_user):
    make_user("otto", Role.OPERATOR)
    secret = secret_in(run("tokens", "issue", "otto", "--name", "nightly report"))
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values_list())
    assert list_clusters(client, secret).status_code == 200
    listing = run("tokens", "list", "--user", "otto")
    assert "nightly report" in listing and "active" in listing and secret not in listing
    assert f"{token} revoked" in run("tokens", "revoke", str(token.pk))
    assert list_clusters(client, secret).status_code == 401
    assert "revoked" in run("tokens", "list")
    with pytest.raises(CommandError, match="already revoked"):
        run("tokens", "revoke", str(token.pk))
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "outcome"))
    assert actions == [("token.issue", "success"), ("token.revoke", "success"),
                       ("token.use", "refused")]


def test_the_command_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user is named nobody"):
        run("tokens", "issue", "nobody", "--name", "x")


def test_the_command_refuses_a_name_longer_than_the_column(make_user):
    make_user("otto", Role.OPERATOR)
    with pytest.raises(CommandError, match="at most 100 characters"):
        run("tokens", "issue", "otto", "--name", "n" * 101)
    assert not ApiToken.objects.exists()


def test_an_administrator_issues_a_token_in_the_admin_and_sees_it_once(client, make_user):
    otto = make_user("otto", Role.OPERATOR)
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    page = client.post(reverse("admin:console_apitoken_add"),
                       {"user": otto.pk, "name": "monitoring"}).content.decode()
    secret = secret_in(page)
    token = ApiToken.objects.get()
    assert (token.user, token.created_by) == (otto, "ada")
    assert secret not in client.get(
        reverse("admin:console_apitoken_change", args=[token.pk])).content.decode()
    entry = AuditEntry.objects.get(action="token.issue")
    assert (entry.actor_name, entry.object_repr) == ("ada", str(token))
    client.post(reverse("admin:console_apitoken_changelist"),
                {"action": "revoke_tokens", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked
    assert AuditEntry.objects.get(action="token.revoke").actor_name == "ada"


def test_a_tenant_cannot_open_the_token_admin(client, make_user):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    response = client.get(reverse("admin:console_apitoken_add"))
    assert response.status_code == 302 and "login" in response.url


def test_a_deactivated_users_token_is_refused(client, make_user):
    otto = make_user("otto", Role.OPERATOR)
    secret = secret_in(run("tokens", "issue", "otto", "--name", "cron"))
    otto.is_active = False
    otto.save()
    assert list_clusters(client, secret).status_code == 401
    assert "deactivated" in AuditEntry.objects.get(action="token.use").detail


def test_wrong_tokens_lock_token_logins_out_from_that_address(client, make_user):
    make_user("otto", Role.OPERATOR)
    secret = secret_in(run("tokens", "issue", "otto", "--name", "cron"))
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        response = list_clusters(client, f"lst_guess-{attempt}")
    assert response.status_code == 429
    response = list_clusters(client, secret)
    assert response.status_code == 429
    assert response.json()["error"].startswith(
        f"Locked out after {settings.AXES_FAILURE_LIMIT} wrong API tokens from {SCRIPT_HOST}")
    assert f"manage.py axes_reset_ip {SCRIPT_HOST}" in response.json()["error"]
    assert response.json()["locked_until"]
    entry = AuditEntry.objects.filter(action="login.lockout").first()
    assert (entry.object_repr, entry.address) == ("API token", SCRIPT_HOST)
    assert list_clusters(client, secret, address="192.0.2.51").status_code == 200
    call_command("axes_reset_ip", SCRIPT_HOST)
    assert list_clusters(client, secret).status_code == 200
