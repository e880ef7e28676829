"""Logins, refusals and other actions leave audit entries that administrators can search."""

from django.urls import reverse

from console import audit
from console.models import AuditEntry
from console.roles import Role

PASSWORD = "a-long-test-password"


def test_login_and_logout_are_audited_with_the_address(client, make_user):
    make_user("ada", Role.ADMINISTRATOR)
    client.post(reverse("login"), {"username": "ada", "password": PASSWORD},
                REMOTE_ADDR="10.1.2.3")
    client.post(reverse("logout"), REMOTE_ADDR="10.1.2.3")
    entries = list(AuditEntry.objects.order_by("id").values_list("action", "actor_name", "address"))
    assert entries == [("login", "ada", "10.1.2.3"), ("logout", "ada", "10.1.2.3")]


def test_failed_login_is_audited_without_the_password(client, make_user):
    make_user("ada", Role.ADMINISTRATOR)
    response = client.post(reverse("login"), {"username": "ada", "password": "wrong-guess"})
    assert b"did not match" in response.content
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_repr, entry.outcome) == ("login", "ada", "refused")
    assert "wrong-guess" not in entry.detail + entry.object_repr


def test_record_keeps_the_actor_name_after_the_user_is_deleted(make_user, rf):
    user = make_user("otto", Role.OPERATOR)
    request = rf.post("/", REMOTE_ADDR="192.0.2.7")
    request.user = user
    audit.record(request, "failover.confirm", "pairing site-a/site-b", detail="epoch 2")
    user.delete()
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.actor_name, entry.address) == (None, "otto", "192.0.2.7")


def test_audit_page_filters_by_actor_action_and_outcome(client, make_user):
    admin = make_user("ada", Role.ADMINISTRATOR)
    audit.record(None, "pairing.create", "site-a/site-b", user=admin)
    audit.record(None, "pairing.delete", "site-a/site-b", outcome="refused", user=admin)
    client.force_login(admin)
    page = client.get(reverse("audit"), {"action": "pairing", "outcome": "refused"})
    assert b"pairing.delete" in page.content
    assert b"pairing.create" not in page.content
    page = client.get(reverse("audit"), {"actor": "nobody"})
    assert b"No entry matches" in page.content


def test_audit_entries_cannot_be_changed_in_django_admin(client, make_user):
    admin = make_user("ada", Role.ADMINISTRATOR)
    entry = audit.record(None, "pairing.create", "x", user=admin)
    client.force_login(admin)
    url = reverse("admin:console_auditentry_change", args=[entry.pk])
    client.post(url, {"action": "forged"})
    entry.refresh_from_db()
    assert entry.action == "pairing.create"


def test_audit_page_filters_by_dates_and_its_pager_keeps_every_filter(client, make_user):
    admin = make_user("ada", Role.ADMINISTRATOR)
    for day in ("2026-11-01", "2026-11-15", "2026-11-30"):
        entry = audit.record(None, "tenant.update", day, user=admin)
        AuditEntry.objects.filter(pk=entry.pk).update(at=f"{day}T12:00:00Z")
    for _ in range(60):
        audit.record(None, "tenant.create", "later", user=admin)
    client.force_login(admin)
    page = client.get(reverse("audit"), {"since": "2026-11-10", "until": "2026-11-20"})
    assert b"2026-11-15" in page.content
    assert b"2026-11-01" not in page.content and b"2026-11-30" not in page.content
    page = client.get(reverse("audit"), {"action": "tenant", "since": "2026-11-10"})
    assert "?action=tenant&amp;since=2026-11-10&amp;page=2" in page.content.decode()


def test_a_malformed_audit_date_is_a_bad_request(client, make_user):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    page = client.get(reverse("audit"), {"until": "yesterday"})
    assert page.status_code == 400
    assert b"?until= takes a date, YYYY-MM-DD." in page.content
