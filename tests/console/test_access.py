"""Every page needs a login, and roles are enforced on the server."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from console.models import AuditEntry
from console.roles import Role

OPEN_PAGES = {"login"}


def page_paths() -> list[str]:
    """Every URL of the console that takes no argument."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif (
                isinstance(pattern, URLPattern)
                and "<" not in route
                and "(?P" not in route
                and pattern.name not in OPEN_PAGES
            ):
                found.append("/" + prefix + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return found


def test_the_url_walk_finds_the_console_pages():
    assert {"/", "/audit/", "/accounts/logout/"} <= set(page_paths())


@pytest.mark.django_db
@pytest.mark.parametrize("path", [p for p in page_paths() if not p.startswith("/api/")])
def test_anonymous_user_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    # Django's admin pages send to the admin's own login form; the rest to the console's.
    assert response.url.split("?")[0] in {reverse("login"), reverse("admin:login")}


@pytest.mark.django_db
@pytest.mark.parametrize("path", [p for p in page_paths() if p.startswith("/api/")])
def test_anonymous_api_call_gets_401_asking_for_a_token(client, path):
    response = client.get(path)
    assert response.status_code == 401
    # Never Basic: a browser would prompt, cache the password and send it cross-site.
    assert response["WWW-Authenticate"] == 'Bearer realm="lockstep"'


@pytest.mark.django_db
def test_login_page_is_open(client):
    assert client.get(reverse("login")).status_code == 200


def test_tenant_opening_an_administrator_page_gets_403_and_is_audited(client, make_user):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    response = client.get(reverse("audit"))
    assert response.status_code == 403
    assert b"administrators" in response.content
    entry = AuditEntry.objects.get(action="access")
    assert (entry.actor_name, entry.object_repr, entry.outcome) == ("tina", "/audit/", "refused")


def test_operator_cannot_open_the_audit_page(client, make_user):
    client.force_login(make_user("otto", Role.OPERATOR))
    assert client.get(reverse("audit")).status_code == 403


def test_user_without_role_gets_403_on_role_pages(client, make_user, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x-long-pass"))
    assert client.get(reverse("audit")).status_code == 403
    assert client.get(reverse("home")).status_code == 200


def test_administrator_opens_the_audit_page(client, make_user):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    assert client.get(reverse("audit")).status_code == 200


def test_navigation_shows_only_pages_the_role_may_open(client, make_user):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    assert b'href="/audit/"' not in client.get(reverse("home")).content
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    assert b'href="/audit/"' in client.get(reverse("home")).content


def test_logout_needs_a_post_with_csrf(make_user):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(make_user("ada", Role.ADMINISTRATOR))
    assert csrf_client.post(reverse("logout")).status_code == 403
    assert csrf_client.get(reverse("logout")).status_code == 405


def test_administrators_hold_every_role(make_user):
    from console.roles import roles_of

    assert roles_of(make_user("ada", Role.ADMINISTRATOR)) == set(Role)
    assert roles_of(make_user("otto", Role.OPERATOR)) == {Role.OPERATOR}
