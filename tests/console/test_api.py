"""The JSON API: token or session auth, the pages' validation and roles, JSON errors."""

import base64
import json
from datetime import timedelta

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from backups.models import Service
from console import tokens
from console.models import ApiToken, AuditEntry, Cluster, Pairing
from console.roles import Role
from tests.conftest import PASSWORD, cluster_fields


def bearer(user: User) -> dict:
    """The headers of a script holding a fresh API token of `user`."""
    secret = tokens.issue(ApiToken(user=user, name="test script"))
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def send(client, method: str, path: str, body: dict | None = None, **headers):
    return getattr(client, method)(path, data=json.dumps(body or {}),
                                   content_type="application/json", **headers)


def test_token_lists_clusters(client, make_user, clusters):
    response = client.get("/api/clusters/", **bearer(make_user("otto", Role.OPERATOR)))
    assert response.status_code == 200
    assert [c["name"] for c in response.json()] == ["site-a", "site-b"]


def test_wrong_token_is_401_and_audited(client, make_user, clusters):
    response = client.get("/api/clusters/", HTTP_AUTHORIZATION="Bearer lst_guessed")
    assert response.status_code == 401
    assert response.json()["error"].startswith("This API token is unknown or revoked")
    assert response["WWW-Authenticate"] == 'Bearer realm="lockstep"'
    entry = AuditEntry.objects.get(action="token.use")
    assert (entry.outcome, entry.object_repr) == ("refused", "unknown API token")


def test_revoked_token_is_401_and_audited(client, make_user, clusters):
    auth = bearer(make_user("otto", Role.OPERATOR))
    token = ApiToken.objects.get()
    tokens.revoke(token)
    assert client.get("/api/clusters/", **auth).status_code == 401
    entry = AuditEntry.objects.get(action="token.use")
    assert (entry.outcome, entry.object_repr) == ("refused", str(token))
    assert "revoked" in entry.detail


def test_cross_site_post_with_basic_credentials_creates_nothing(make_user, pairing,
                                                                tenant_data):
    """The attack: a page on another site posts text/plain, and the browser adds the
    Basic credentials it cached for the console. No challenge ever makes it cache them."""
    make_user("tina", Role.TENANT, tenant="acme")
    browser = Client(enforce_csrf_checks=True)
    cached = base64.b64encode(f"tina:{PASSWORD}".encode()).decode()
    response = browser.post("/api/services/", data=json.dumps(service_body(pairing)),
                            content_type="text/plain", HTTP_AUTHORIZATION=f"Basic {cached}",
                            HTTP_ORIGIN="https://evil.example", HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 401
    assert "Basic credentials are not accepted" in response.json()["error"]
    assert "basic" not in response.get("WWW-Authenticate", "").lower()
    assert not Service.objects.exists()


def test_token_posts_without_csrf(make_user, pairing, tenant_data):
    script = Client(enforce_csrf_checks=True)
    auth = bearer(make_user("tina", Role.TENANT, tenant="acme"))
    response = send(script, "post", "/api/services/", service_body(pairing), **auth)
    assert response.status_code == 201, response.json()
    assert [s["name"] for s in script.get("/api/services/", **auth).json()] == ["bill clearing"]
    assert ApiToken.objects.get().last_used_at is not None


def test_session_caller_needs_the_csrf_token_for_changes(make_user, minicluster):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_user("ada", Role.ADMINISTRATOR))
    response = send(browser, "post", "/api/clusters/", cluster_fields(minicluster, "site-a"))
    assert response.status_code == 403
    assert response.json()["error"] == "CSRF token missing or wrong."
    assert not Cluster.objects.exists()


def test_administrator_registers_and_pairs_through_the_api(client, make_user, minicluster):
    auth = bearer(make_user("ada", Role.ADMINISTRATOR))
    for site in ("site-a", "site-b"):
        response = send(client, "post", "/api/clusters/", cluster_fields(minicluster, site),
                        **auth)
        assert response.status_code == 201, response.json()
    response = send(client, "post", "/api/pairings/",
                    {"primary": "site-a", "secondary": "site-b"}, **auth)
    assert response.status_code == 201
    assert response.json()["primary"] == "site-a"
    state = client.get("/api/clusters/site-b/state/", **auth).json()
    assert state["identity"]["role"] == "secondary"
    pairing_id = response.json()["id"]
    response = send(client, "delete", f"/api/pairings/{pairing_id}/", **auth)
    assert response.status_code == 200 and response.json()["warnings"] == []
    assert not Pairing.objects.exists()


def test_api_registration_names_the_failing_endpoint(client, make_user, minicluster):
    auth = bearer(make_user("ada", Role.ADMINISTRATOR))
    fields = {**cluster_fields(minicluster, "site-a"), "zookeeper_hosts": "127.0.0.1:1"}
    response = send(client, "post", "/api/clusters/", fields, **auth)
    assert response.status_code == 400
    assert any(p.startswith("ZooKeeper check failed") for p in response.json()["problems"])
    assert not Cluster.objects.exists()


def test_operator_cannot_change_clusters_through_the_api(client, make_user, clusters):
    response = send(client, "delete", "/api/clusters/site-a/",
                    **bearer(make_user("otto", Role.OPERATOR)))
    assert response.status_code == 403
    assert Cluster.objects.count() == 2


def test_tenant_cannot_read_clusters(client, make_user, clusters):
    auth = bearer(make_user("tina", Role.TENANT, tenant="acme"))
    assert client.get("/api/clusters/", **auth).status_code == 403


def service_body(pairing, **changes) -> dict:
    return {
        "tenant": "acme", "name": "bill clearing", "pairing": pairing.pk,
        "data_sets": ["/data/acme/bills", "hive:acme.customers",
                      {"component": "sparksql", "locator": "acme.settlements"}],
        "first_moment": (timezone.now() + timedelta(minutes=10)).isoformat(),
        "period_seconds": 300, "retention": 12, **changes,
    }


def test_tenant_manages_its_services_through_the_api(client, make_user, pairing, tenant_data):
    auth = bearer(make_user("tina", Role.TENANT, tenant="acme"))
    response = send(client, "post", "/api/services/", service_body(pairing), **auth)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["policy"]["consistency"] == "atomic"
    assert created["policy"]["next_moment"] is not None
    assert len(created["data_sets"]) == 3
    response = send(client, "put", f"/api/services/{created['id']}/", {"retention": 3},
                    **auth)
    assert response.status_code == 200, response.json()
    assert response.json()["policy"]["retention"] == 3
    candidates = client.get(f"/api/data-sets/?tenant=acme&pairing={pairing.pk}",
                            **auth).json()
    customers = next(c for c in candidates if c["locator"] == "acme.customers")
    assert customers["component"] == "hive"


def test_api_refusals_are_400_with_every_problem(client, make_user, pairing, tenant_data):
    auth = bearer(make_user("tina", Role.TENANT, tenant="acme"))
    response = send(client, "post", "/api/services/", service_body(
        pairing, data_sets=["/data/acme/nope"], period_seconds=30), **auth)
    assert response.status_code == 400
    assert response.json()["problems"] == [
        "The period must be at least one minute (or choose 'once').",
        "/data/acme/nope does not exist on site-a.",
    ]
    assert not Service.objects.exists()


def test_api_needs_an_aware_first_moment(client, make_user, pairing, tenant_data):
    auth = bearer(make_user("tina", Role.TENANT, tenant="acme"))
    response = send(client, "post", "/api/services/",
                    service_body(pairing, first_moment="2030-01-01T10:00:00"), **auth)
    assert response.status_code == 400
    assert "UTC offset" in response.json()["error"]


def test_other_tenant_gets_404_through_the_api(client, make_user, pairing, make_service):
    service = make_service(pairing)
    auth = bearer(make_user("gil", Role.TENANT, tenant="globex"))
    assert client.get("/api/services/", **auth).json() == []
    assert client.get(f"/api/services/{service.pk}/", **auth).status_code == 404
    response = send(client, "delete", f"/api/services/{service.pk}/", **auth)
    assert response.status_code == 404
    response = send(client, "post", "/api/services/", service_body(pairing), **auth)
    assert response.status_code == 400
    assert Service.objects.count() == 1
