"""The Services list searches and filters by its query string (a filtered list is a
link that survives a reload), and shows each service's recovery point and last round."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from backups.models import RestorePoint, Round, RoundState
from console.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


def names(client, query: str = "") -> list[str]:
    page = client.get(reverse("services") + query).content.decode()
    return re.findall(r'<tr data-service="\d+">\s*<td><a [^>]+>([^<]+)</a>', page)


@pytest.fixture
def services(make_service, pairing):
    bills = make_service(pairing, name="bill clearing", paths=("/data/acme/bills",))
    moment = timezone.now() - timedelta(minutes=2)
    round_ = Round.objects.create(service=bills, moment=moment, state=RoundState.CONSISTENT,
                                  snapshot_name="s1")
    RestorePoint.objects.create(service=bills, round=round_, moment=moment, name="s1",
                                cluster=pairing.secondary, snapshot_roots=["/data"])
    make_service(pairing, name="ledger", paths=("/data/acme/ledger",), enabled=False)
    make_service(pairing, tenant="globex", name="payroll", paths=("/data/globex/payroll",))
    return bills


def test_an_administrator_filters_services_by_the_query_string(client, make_user, services):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    assert names(client) == ["bill clearing", "ledger", "payroll"]
    assert names(client, "?q=LEDG") == ["ledger"]
    assert names(client, "?q=/data/acme/bills") == ["bill clearing"]
    assert names(client, f"?tenant={services.tenant_id}") == ["bill clearing", "ledger"]
    assert names(client, "?state=safe") == ["bill clearing"]
    assert names(client, "?policy=disabled") == ["ledger"]
    assert names(client, "?q=nothing-like-it") == []
    page = client.get(reverse("services") + "?q=bill").content.decode()
    assert 'value="bill"' in page  # the filter shows what it is set to
    assert re.search(r'class="verdict-label safe">safe</span> <span class="muted">2 min', page)


def test_a_tenant_filters_only_within_its_own_services(client, make_user, services):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    assert names(client) == ["bill clearing", "ledger"]
    assert names(client, "?q=payroll") == []
