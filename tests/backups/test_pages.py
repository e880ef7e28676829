"""The services pages: the patent's policy flow, scopes enforced on the server."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from backups import discovery
from backups.models import Service
from console.models import AuditEntry
from console.roles import Role


def policy_form(pairing, tenant, **changes) -> dict:
    moment = (timezone.now() + timedelta(minutes=30)).astimezone(ZoneInfo("Europe/Berlin"))
    return {
        "tenant": tenant.pk, "name": "bill clearing", "description": "bills and customers",
        "pairing": pairing.pk,
        "data_set": ["hdfs:/data/acme/bills", "hive:acme.customers"],
        "typed": "sparksql:acme.settlements",
        "first_moment": moment.strftime("%Y-%m-%dT%H:%M:%S"), "time_zone": "Europe/Berlin",
        "period_count": "5", "period_unit": "minutes", "retention": "12",
        "skew_limit_ms": "50", "direction": "pull", "enabled": "on", **changes,
    }


def test_policy_page_offers_the_discovered_data_sets(client, make_user, pairing, tenant_data,
                                                     monkeypatch):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    asked = []
    real = discovery.discover
    monkeypatch.setattr(discovery, "discover", lambda *args: asked.append(1) or real(*args))
    text = client.get(reverse("service-new")).content.decode()
    assert "Please specify a service to be backed up and a backup moment" in text
    assert "Configure a protection group for this service" in text
    # The first paint asks no cluster: the page fetches the data sets after it.
    assert "Discovering the data sets on site-a" in text and not asked
    rows = client.get(reverse("service-new") + "?part=candidates").content.decode()
    for key in ("hdfs:/data/acme/bills", "hive:acme.customers", "sparksql:acme.settlements"):
        assert f'value="{key}"' in rows
    assert "globex" not in rows and "<html" not in rows
    # A refused save shows them again without asking the cluster again.
    refused = client.post(reverse("service-new"), {"name": ""}).content.decode()
    assert 'value="hdfs:/data/acme/bills"' in refused and len(asked) == 1


def test_tenant_creates_a_service_in_its_own_time_zone(client, make_user, pairing, tenant_data):
    user = make_user("tina", Role.TENANT, tenant="acme")
    client.force_login(user)
    form = policy_form(pairing, user.tenants.get())
    response = client.post(reverse("service-new"), form)
    assert response.status_code == 302, response.context["form"].errors
    service = Service.objects.get()
    assert service.data_sets.count() == 3
    # The wall-clock time typed in Berlin means Berlin time, whatever the console's zone.
    typed = datetime.fromisoformat(form["first_moment"])
    assert service.policy.first_moment == typed.replace(tzinfo=ZoneInfo("Europe/Berlin"))
    assert service.policy.period == timedelta(minutes=5)
    detail = client.get(response.url)
    assert b"Next round" in detail.content and b"atomic" in detail.content
    assert AuditEntry.objects.filter(action="service.create", actor_name="tina").exists()


def test_refused_form_shows_each_problem_and_saves_nothing(client, make_user, pairing,
                                                          tenant_data):
    user = make_user("tina", Role.TENANT, tenant="acme")
    client.force_login(user)
    response = client.post(reverse("service-new"), policy_form(
        pairing, user.tenants.get(), typed="/data/acme/nope\nhive:globex.accounts",
        period_count="0"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Give a period above zero" in text
    assert not Service.objects.exists()


def test_domain_refusals_are_listed_on_the_form(client, make_user, pairing, tenant_data):
    user = make_user("tina", Role.TENANT, tenant="acme")
    client.force_login(user)
    response = client.post(reverse("service-new"), policy_form(
        pairing, user.tenants.get(), typed="/data/acme/nope\nhive:globex.accounts"))
    errors = response.context["form"].non_field_errors()
    assert "/data/acme/nope does not exist on site-a." in errors
    assert any("outside tenant acme's databases" in e for e in errors)
    assert not Service.objects.exists()
    assert AuditEntry.objects.get(action="service.save").outcome == "refused"


def test_tenant_never_sees_another_tenants_service(client, make_user, pairing, make_service):
    theirs = make_service(pairing, tenant="globex", name="ledger", paths=("/data/globex",))
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    assert b"ledger" not in client.get(reverse("services")).content
    assert client.get(reverse("service-detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("service-toggle", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("service-delete", args=[theirs.pk])).status_code == 404
    assert Service.objects.filter(pk=theirs.pk).exists()


def test_tenant_cannot_create_a_service_for_another_tenant(client, make_user, pairing,
                                                         tenant_data, make_service):
    globex = make_service(pairing, tenant="globex", name="ledger", paths=("/data/globex",))
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    response = client.post(reverse("service-new"), policy_form(pairing, globex.tenant))
    assert "tenant" in response.context["form"].errors
    assert Service.objects.count() == 1


def test_operator_reads_but_cannot_change(client, make_user, pairing, make_service):
    service = make_service(pairing)
    client.force_login(make_user("otto", Role.OPERATOR))
    assert client.get(reverse("service-detail", args=[service.pk])).status_code == 200
    assert client.get(reverse("service-new")).status_code == 403
    assert client.post(reverse("service-toggle", args=[service.pk])).status_code == 403
    service.policy.refresh_from_db()
    assert service.policy.enabled


def test_disable_and_delete_are_audited(client, make_user, pairing, make_service):
    service = make_service(pairing)
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    client.post(reverse("service-toggle", args=[service.pk]))
    service.policy.refresh_from_db()
    assert not service.policy.enabled
    assert b"none" in client.get(reverse("service-detail", args=[service.pk])).content
    client.post(reverse("service-delete", args=[service.pk]))
    assert not Service.objects.exists()
    assert [e.action for e in AuditEntry.objects.exclude(action="login").order_by("id")] == [
        "policy.disable", "service.delete"]
