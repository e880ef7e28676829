"""API refusals and probes of other tenants' ids leave one audit entry each, as refused
pages do: who, what, which object, the outcome and the address."""

import json
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from console.models import AuditEntry
from console.roles import Role

ADDRESS = "192.0.2.44"


def browser_of(user) -> Client:
    browser = Client(REMOTE_ADDR=ADDRESS)
    browser.force_login(user)
    return browser


def refusals() -> list[tuple]:
    return list(AuditEntry.objects.filter(outcome="refused").order_by("id").values_list(
        "actor_name", "action", "object_repr", "address"))


def test_probing_another_tenants_service_is_audited(make_user, pairing, make_service):
    service = make_service(pairing)
    gil = browser_of(make_user("gil", Role.TENANT, tenant="globex"))
    assert gil.get(f"/api/services/{service.pk}/").status_code == 404
    assert gil.delete(f"/api/services/{service.pk}/").status_code == 404
    assert gil.get(f"/services/{service.pk}/").status_code == 404
    path = f"/api/services/{service.pk}/"
    assert refusals() == [("gil", "api-service.get", path, ADDRESS),
                          ("gil", "api-service.delete", path, ADDRESS),
                          ("gil", "access", f"/services/{service.pk}/", ADDRESS)]


def test_malformed_and_forbidden_api_calls_are_audited_once(make_user, pairing, tenant_data):
    tina = browser_of(make_user("tina", Role.TENANT, tenant="acme"))
    body = {"tenant": "acme", "name": "bills", "pairing": pairing.pk,
            "data_sets": ["/data/acme/nope"],
            "first_moment": (timezone.now() + timedelta(days=1)).isoformat()}
    response = tina.post("/api/services/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400  # a domain refusal: the data set does not exist
    response = tina.post("/api/services/", json.dumps({**body, "retention": "many"}),
                         content_type="application/json")
    assert response.status_code == 400  # a malformed field
    assert tina.get("/api/clusters/").status_code == 403
    entries = AuditEntry.objects.filter(outcome="refused").order_by("id")
    assert [(e.action, e.detail) for e in entries] == [
        ("api-services.post", "400: /data/acme/nope does not exist on site-a."),
        ("api-services.post", "400: `retention` must be a whole number."),
        ("api-clusters.get", "403: Your role may not do this: needs administrators or "
                             "operators."),
    ]
