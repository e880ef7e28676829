"""The Users, Tenants and API tokens pages: administrators only, every change audited
with what changed, and the refusals that keep the console administrable."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from backups.models import Service
from console import people
from console.models import ApiToken, AuditEntry, Tenant
from console.roles import Role, has_role
from tests.conftest import PASSWORD

NEW_PASSWORD = "another-long-test-password"


@pytest.fixture
def ada(make_user) -> User:
    return make_user("ada", Role.ADMINISTRATOR)


@pytest.fixture
def admin_client(client, ada):
    client.force_login(ada)
    return client


def last_audit(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("id")


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


PAGES = [("users", ()), ("user-new", ()), ("user-edit", (1,)), ("tenants", ()),
         ("tenant-new", ()), ("tenant-edit", ("acme",)), ("tokens", ()), ("token-new", ())]
ACTIONS = [("tenant-delete", ("acme",)), ("token-revoke", (1,))]


@pytest.mark.parametrize("role", [Role.TENANT, Role.OPERATOR])
def test_tenant_and_operator_users_get_403_on_every_page_and_action(client, make_user, role):
    user = make_user("bob", role, tenant="acme")
    client.force_login(user)
    for name, args in PAGES:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    for name, args in ACTIONS + [page for page in PAGES if "-" in page[0]]:
        assert client.post(reverse(name, args=args)).status_code == 403, name
    assert Tenant.objects.filter(name="acme").exists()
    assert AuditEntry.objects.filter(action="access", outcome="refused").count() >= len(PAGES)


def test_the_pages_need_a_login(client, db):
    response = client.get(reverse("users"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_pages_refuse_a_post_without_csrf_token(ada, db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)
    response = client.post(reverse("tenant-new"), {"name": "initech"})
    assert response.status_code == 403
    assert not Tenant.objects.filter(name="initech").exists()


def test_administrators_see_the_links_in_the_header(admin_client, make_user, client):
    page = admin_client.get(reverse("home")).content.decode()
    for label, url in (("Users", "/users/"), ("Tenants", "/tenants/"),
                       ("API tokens", "/tokens/")):
        assert f'<a href="{url}">{label}</a>' in page
    client.force_login(make_user("otto", Role.OPERATOR))
    assert "/users/" not in client.get(reverse("home")).content.decode()


# Users


def test_an_administrator_creates_a_user_with_roles_and_tenants(admin_client):
    acme = Tenant.objects.create(name="acme")
    response = admin_client.post(reverse("user-new"), {
        "username": "alice", "email": "alice@example.com", "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD, "roles": ["tenants"], "tenants": [acme.pk]}, follow=True)
    alice = User.objects.get(username="alice")
    assert response.redirect_chain[-1][0] == reverse("user-edit", args=[alice.pk])
    assert alice.check_password(NEW_PASSWORD) and alice.email == "alice@example.com"
    assert has_role(alice, Role.TENANT) and not has_role(alice, Role.OPERATOR)
    assert list(alice.tenants.all()) == [acme]
    assert not alice.is_staff
    entry = last_audit("user.create")
    assert (entry.actor_name, entry.object_repr, entry.outcome) == ("ada", "alice", "success")
    assert entry.detail == ("e-mail: none → alice@example.com; roles: +tenants; "
                            "tenants: +acme; active: none → yes")
    assert NEW_PASSWORD not in entry.detail


def test_a_new_users_password_passes_djangos_validators(admin_client):
    response = admin_client.post(reverse("user-new"), {
        "username": "alice", "password1": "alice", "password2": "alice"})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["password2"])
    assert "too short" in errors and "too similar to the username" in errors
    assert not User.objects.filter(username="alice").exists()
    entry = last_audit("user.create")
    assert entry.outcome == "refused" and "too short" in entry.detail
    assert "alice" not in entry.detail.replace("username", "")


def test_a_username_taken_is_refused(admin_client, make_user):
    make_user("alice", Role.TENANT)
    response = admin_client.post(reverse("user-new"), {
        "username": "alice", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert "A user with that username already exists." in response.content.decode()


def test_an_administrator_changes_roles_tenants_and_the_active_flag(admin_client, make_user):
    bob = make_user("bob", Role.TENANT, tenant="acme")
    globex = Tenant.objects.create(name="globex")
    response = admin_client.post(reverse("user-edit", args=[bob.pk]), {
        "account": "1", "email": "bob@example.com", "roles": ["operators"],
        "tenants": [globex.pk]}, follow=True)
    bob.refresh_from_db()
    assert not bob.is_active and has_role(bob, Role.OPERATOR) and not has_role(bob, Role.TENANT)
    assert list(bob.tenants.all()) == [globex]
    detail = ("e-mail: none → bob@example.com; roles: +operators -tenants; "
              "tenants: +globex -acme; active: yes → no")
    assert last_audit("user.update").detail == detail
    assert messages_of(response) == [f"User bob saved: {detail}."]


def test_granting_the_administrator_role_opens_djangos_admin_and_taking_it_closes_it(
        admin_client, make_user):
    bob = make_user("bob", Role.OPERATOR)
    edit = reverse("user-edit", args=[bob.pk])
    admin_client.post(edit, {"account": "1", "roles": ["administrators"], "active": "on"})
    bob.refresh_from_db()
    assert bob.is_staff and bob.is_superuser
    admin_client.post(edit, {"account": "1", "roles": ["operators"], "active": "on"})
    bob.refresh_from_db()
    assert not (bob.is_staff or bob.is_superuser) and not has_role(bob, Role.ADMINISTRATOR)


def test_an_administrator_cannot_remove_their_own_administrator_role(admin_client, ada,
                                                                       make_user):
    make_user("eve", Role.ADMINISTRATOR)
    response = admin_client.post(reverse("user-edit", args=[ada.pk]), {
        "account": "1", "roles": ["operators"], "active": "on"}, follow=True)
    assert messages_of(response) == [
        "Not saved: You cannot remove your own administrator role: ask another administrator."]
    ada.refresh_from_db()
    assert has_role(ada, Role.ADMINISTRATOR)
    entry = last_audit("user.update")
    assert (entry.outcome, entry.object_repr) == ("refused", "ada")
    response = admin_client.post(reverse("user-edit", args=[ada.pk]), {
        "account": "1", "roles": ["administrators"]}, follow=True)
    assert "You cannot deactivate your own account" in messages_of(response)[0]
    ada.refresh_from_db()
    assert ada.is_active


def test_another_administrator_may_be_demoted_while_one_stays(admin_client, make_user):
    eve = make_user("eve", Role.ADMINISTRATOR)
    admin_client.post(reverse("user-edit", args=[eve.pk]), {"account": "1", "roles": []})
    eve.refresh_from_db()
    assert not eve.is_active and not has_role(eve, Role.ADMINISTRATOR)


@pytest.mark.parametrize("change", [{"roles": [Role.OPERATOR], "active": True},
                                    {"roles": [Role.ADMINISTRATOR], "active": False}])
def test_the_last_active_administrator_is_never_demoted_nor_deactivated(
        rf, make_user, change):
    """Two administrators demoting each other at once: the second change finds the first
    done, and its actor no administrator any more."""
    ada = make_user("ada", Role.ADMINISTRATOR)
    request = rf.post("/")
    request.user = make_user("eve", Role.OPERATOR)
    with pytest.raises(people.PeopleRefused) as refused:
        people.change_user(request, ada, "", change["roles"], [], change["active"])
    assert str(refused.value) == ("ada is the last active administrator: make another user an "
                                  "administrator first, so that someone can still manage the "
                                  "console.")
    ada.refresh_from_db()
    assert ada.is_active and has_role(ada, Role.ADMINISTRATOR)
    assert not AuditEntry.objects.filter(action="user.update").exists()


def test_a_superuser_without_the_group_counts_as_an_administrator(rf, make_user):
    root = User.objects.create_superuser("root", "", PASSWORD)
    request = rf.post("/")
    request.user = make_user("eve", Role.OPERATOR)
    with pytest.raises(people.PeopleRefused, match="root is the last active administrator"):
        people.change_user(request, root, "", [], [], True)


def test_an_administrator_resets_a_password_that_passes_the_validators(admin_client,
                                                                         make_user, client):
    bob = make_user("bob", Role.TENANT)
    edit = reverse("user-edit", args=[bob.pk])
    response = admin_client.post(edit, {"password": "1", "new_password1": "password",
                                        "new_password2": "password"})
    assert response.status_code == 400
    assert "This password is too common." in response.content.decode()
    assert last_audit("user.password").outcome == "refused"
    response = admin_client.post(edit, {"password": "1", "new_password1": NEW_PASSWORD,
                                        "new_password2": NEW_PASSWORD}, follow=True)
    assert messages_of(response) == ["The password of bob is reset: tell them the new one."]
    bob.refresh_from_db()
    assert bob.check_password(NEW_PASSWORD)
    entry = last_audit("user.password")
    assert (entry.outcome, entry.detail) == ("success", "reset by an administrator")


def test_a_reset_password_ends_the_users_sessions_but_not_ones_own(admin_client, ada,
                                                                    make_user):
    bob = make_user("bob", Role.TENANT)
    bobs = Client()
    bobs.force_login(bob)
    for user in (bob, ada):
        admin_client.post(reverse("user-edit", args=[user.pk]), {
            "password": "1", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert bobs.get(reverse("home")).status_code == 302
    assert admin_client.get(reverse("users")).status_code == 200


def test_users_are_searched_and_filtered_by_role_and_tenant(admin_client, make_user):
    make_user("alice", Role.TENANT, tenant="acme")
    make_user("bob", Role.TENANT, tenant="globex")
    make_user("otto", Role.OPERATOR)
    User.objects.create_user("newcomer")

    def listed(**filters) -> list[str]:
        page = admin_client.get(reverse("users"), filters)
        return [user.username for user, _ in page.context["rows"]]

    acme = Tenant.objects.get(name="acme")
    assert listed() == ["ada", "alice", "bob", "newcomer", "otto"]
    assert listed(q="AL") == ["alice"]
    assert listed(role="tenants") == ["alice", "bob"]
    assert listed(role="administrators") == ["ada"]
    assert listed(role="none") == ["newcomer"]
    assert listed(role="tenants", tenant=str(acme.pk)) == ["alice"]
    assert listed(tenant="none") == ["ada", "newcomer", "otto"]
    assert listed(role="wizards", tenant="x") == listed()
    page = admin_client.get(reverse("users"), {"role": "tenants", "tenant": "none"})
    assert 'value="none" selected>no tenant' in page.content.decode()


def test_the_users_list_pages_and_keeps_its_filters(admin_client):
    User.objects.bulk_create([User(username=f"user{n:03}") for n in range(60)])
    page = admin_client.get(reverse("users"), {"q": "user"}).content.decode()
    assert "page 1 of 2 (60 users)" in page
    assert '<a href="?q=user&amp;page=2">next</a>' in page


# Tenants


def test_an_administrator_creates_and_edits_a_tenant(admin_client, make_user):
    alice = make_user("alice", Role.TENANT)
    response = admin_client.post(reverse("tenant-new"), {
        "name": "acme", "display_name": "ACME Corp", "hdfs_roots": "/data/acme\n/archive/acme",
        "databases": "acme\nACME_Billing", "members": [alice.pk]}, follow=True)
    acme = Tenant.objects.get(name="acme")
    assert acme.roots == ["/data/acme", "/archive/acme"]
    assert acme.database_names == ["acme", "acme_billing"]
    assert list(acme.members.all()) == [alice]
    entry = last_audit("tenant.create")
    assert entry.detail == ("display name: none → ACME Corp; HDFS roots: +/archive/acme "
                            "+/data/acme; databases: +acme +acme_billing; members: +alice")
    assert messages_of(response) == [f"Tenant acme saved: {entry.detail}."]
    admin_client.post(reverse("tenant-edit", args=["acme"]), {
        "name": "renamed", "display_name": "ACME Corp", "hdfs_roots": "/data/acme",
        "databases": "acme"})
    acme.refresh_from_db()
    assert acme.name == "acme" and acme.roots == ["/data/acme"]
    assert not acme.members.exists()
    assert last_audit("tenant.update").detail == (
        "HDFS roots: -/archive/acme; databases: -acme_billing; members: -alice")


@pytest.mark.parametrize(("roots", "message"), [
    ("/data/acme/x", "/data/acme/x overlaps acme's /data/acme: a directory belongs to one "
                     "tenant only."),
    ("/data", "/data overlaps acme's /data/acme"),
    ("data/globex", "is not absolute"),
    ("/data/globex/../acme", "contains . or .. components"),
    ("/", "A tenant's root cannot be /"),
])
def test_a_tenant_whose_roots_overlap_another_or_are_malformed_is_refused(
        admin_client, roots, message):
    Tenant.objects.create(name="acme")
    response = admin_client.post(reverse("tenant-new"), {"name": "globex", "hdfs_roots": roots})
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors["hdfs_roots"])
    assert "None" not in response.content.decode()
    assert not Tenant.objects.filter(name="globex").exists()
    assert last_audit("tenant.create").outcome == "refused"


def test_a_tenant_with_a_malformed_name_is_refused_for_its_name_only(admin_client):
    Tenant.objects.create(name="acme")
    response = admin_client.post(reverse("tenant-new"), {"name": "Not A Name"})
    form = response.context["form"]
    assert set(form.errors) == {"name"}, form.errors
    response = admin_client.post(reverse("tenant-new"), {"name": ""})
    assert set(response.context["form"].errors) == {"name"}


def test_a_database_that_is_not_an_identifier_or_another_tenants_is_refused(admin_client):
    Tenant.objects.create(name="acme")
    response = admin_client.post(reverse("tenant-new"), {"name": "globex",
                                                         "databases": "acme\nx-y"})
    errors = response.context["form"].errors["databases"]
    assert errors == ["'x-y' is not a database name: use lower-case letters, digits and _."]
    response = admin_client.post(reverse("tenant-new"), {"name": "globex",
                                                         "databases": "acme"})
    assert response.context["form"].errors["databases"] == [
        "Database acme already belongs to tenant acme: a database belongs to one tenant only."]


def test_a_tenant_with_services_is_not_deleted(admin_client):
    acme = Tenant.objects.create(name="acme")
    for name in ("billing", "ledger"):
        Service.objects.create(tenant=acme, name=name, created_by="test")
    response = admin_client.post(reverse("tenant-delete", args=["acme"]), follow=True)
    assert messages_of(response) == [
        "Not deleted: acme has 2 services: delete them first, on the Services page."]
    assert Tenant.objects.filter(name="acme").exists()
    assert last_audit("tenant.delete").outcome == "refused"


def test_a_tenant_without_services_is_deleted(admin_client, make_user):
    make_user("alice", Role.TENANT, tenant="acme")
    response = admin_client.post(reverse("tenant-delete", args=["acme"]), follow=True)
    assert messages_of(response) == ["Tenant acme deleted."]
    assert not Tenant.objects.exists()
    entry = last_audit("tenant.delete")
    assert (entry.outcome, entry.detail) == ("success", "HDFS roots /data/acme; members alice")


def test_the_tenants_list_shows_defaults_members_and_services(admin_client, make_user):
    make_user("alice", Role.TENANT, tenant="acme")
    page = admin_client.get(reverse("tenants")).content.decode()
    assert "/data/acme <span class=\"muted\">(default)</span>" in page
    assert f'href="/users/?tenant={Tenant.objects.get().pk}">1</a>' in page


# API tokens


def secret_in(text: str) -> str:
    return re.search(r"lst_[A-Za-z0-9_-]{43}", text).group(0)


def test_an_administrator_issues_a_token_sees_its_secret_once_and_revokes_it(
        admin_client, make_user):
    otto = make_user("otto", Role.OPERATOR)
    response = admin_client.post(reverse("token-new"), {"user": otto.pk, "name": "nightly"})
    assert "no-store" in response["Cache-Control"]
    secret = secret_in(response.content.decode())
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.created_by) == (otto, "nightly", "ada")
    listing = admin_client.get(reverse("tokens")).content.decode()
    assert "nightly" in listing and secret not in listing
    script = Client()
    assert script.get("/api/clusters/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    response = admin_client.post(reverse("token-revoke", args=[token.pk]), follow=True)
    assert messages_of(response) == [
        f"{token} revoked: scripts using it are refused from now on."]
    assert script.get("/api/clusters/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    response = admin_client.post(reverse("token-revoke", args=[token.pk]), follow=True)
    assert messages_of(response) == [f"{token} was revoked already."]
    actions = list(AuditEntry.objects.filter(action__startswith="token.").order_by("id")
                   .values_list("action", "outcome"))
    assert actions == [("token.issue", "success"), ("token.revoke", "success"),
                       ("token.use", "refused")]


def test_a_token_needs_a_name_and_an_active_user(admin_client, make_user):
    gone = make_user("gone", Role.OPERATOR)
    gone.is_active = False
    gone.save()
    response = admin_client.post(reverse("token-new"), {"user": gone.pk, "name": ""})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"user", "name"}
    assert not ApiToken.objects.exists()
    assert last_audit("token.issue").outcome == "refused"


def test_the_tokens_list_filters_by_state(admin_client, make_user):
    from console import tokens

    otto = make_user("otto", Role.OPERATOR)
    for name in ("kept", "ended"):
        tokens.issue(ApiToken(user=otto, name=name))
    tokens.revoke(ApiToken.objects.get(name="ended"))
    page = admin_client.get(reverse("tokens"), {"state": "revoked"})
    assert [token.name for token in page.context["page"]] == ["ended"]
    page = admin_client.get(reverse("tokens"), {"state": "active", "q": "OTTO"})
    assert [token.name for token in page.context["page"]] == ["kept"]
