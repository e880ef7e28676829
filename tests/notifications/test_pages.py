"""The notification pages, roles and tenants enforced on the server: alice (acme) and
bob (globex) see and manage only their own tenant's; otto the operator sees everything
and manages nothing; ada the administrator manages every channel."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from console.models import AuditEntry, Tenant
from console.roles import Role
from notifications.models import Channel, DeliveryState, Kind, Notification
from notifications.notifying import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, redis) -> dict:
    return {"alice": make_user("alice", Role.TENANT, tenant="acme"),
            "bob": make_user("bob", Role.TENANT, tenant="globex"),
            "otto": make_user("otto", Role.OPERATOR),
            "ada": make_user("ada", Role.ADMINISTRATOR),
            "nobody": User.objects.create_user("nobody")}


@pytest.fixture
def news(people) -> dict[str, Notification]:
    acme, globex = Tenant.objects.get(name="acme"), Tenant.objects.get(name="globex")
    return {"acme": notify(Kind.ROUND_FAILED, "acme/bills: the round failed", tenant=acme),
            "globex": notify(Kind.RPO_BREACH, "globex/ledger: in breach", tenant=globex),
            "cluster": notify(Kind.CLUSTER_UNREACHABLE, "east is unreachable")}


def page_of(client, user, name: str = "notifications", *args) -> str:
    client.force_login(user)
    answer = client.get(reverse(name, args=args))
    assert answer.status_code == 200
    return answer.content.decode()


def test_a_tenant_user_sees_only_its_tenants_notifications(client, people, news):
    text = page_of(client, people["alice"])
    assert "acme/bills: the round failed" in text
    assert "globex/ledger" not in text
    assert "east is unreachable" not in text


def test_operators_and_administrators_see_every_notification(client, people, news):
    for name in ("otto", "ada"):
        text = page_of(client, people[name])
        for notification in news.values():
            assert notification.subject in text


def test_a_user_without_a_role_may_not_open_the_list(client, people, news):
    client.force_login(people["nobody"])
    assert client.get(reverse("notifications")).status_code == 403


def test_the_header_counts_unread_notifications_until_the_list_is_opened(client, people,
                                                                          news):
    client.force_login(people["otto"])
    assert '<span id="unread-count" class="unread" title="unread notifications">3</span>' \
        in client.get(reverse("home")).content.decode()
    client.get(reverse("notifications"))
    assert 'title="unread notifications" hidden>0</span>' in client.get(
        reverse("home")).content.decode()
    notify(Kind.CLUSTER_BACK, "east is reachable again")
    assert 'title="unread notifications">1</span>' in client.get(
        reverse("home")).content.decode()


def test_a_tenant_users_count_leaves_out_what_it_may_not_see(client, people, news):
    client.force_login(people["alice"])
    assert 'title="unread notifications">1</span>' in client.get(
        reverse("home")).content.decode()


@pytest.fixture
def channels(people, make_channel) -> dict[str, Channel]:
    return {"acme": make_channel("http://acme.example/hook", [Kind.ROUND_FAILED],
                                 tenant="acme", name="acme hook"),
            "globex": make_channel("ops@globex.example", [Kind.RPO_BREACH],
                                   transport="email", tenant="globex", name="globex mail"),
            "operators": make_channel("http://pager.example/", [Kind.FAULT_PROMPT],
                                      role="operators", name="ops on-call")}


def test_a_tenant_user_manages_only_its_tenants_channels(client, people, channels):
    text = page_of(client, people["alice"], "notification-channels")
    assert "acme hook" in text
    assert "globex mail" not in text and "ops on-call" not in text
    for other in (channels["globex"], channels["operators"]):
        assert client.get(reverse("notification-channel", args=[other.pk])).status_code == 404
        assert client.get(reverse("notification-channel-edit",
                                  args=[other.pk])).status_code == 404
        assert client.post(reverse("notification-channel-delete",
                                   args=[other.pk])).status_code == 404
        assert client.post(reverse("notification-channel-test",
                                   args=[other.pk])).status_code == 404
    assert Channel.objects.count() == 3


def test_an_administrator_manages_every_channel(client, people, channels):
    text = page_of(client, people["ada"], "notification-channels")
    for channel in channels.values():
        assert channel.name in text


def test_operators_do_not_manage_channels(client, people, channels):
    client.force_login(people["otto"])
    assert client.get(reverse("notification-channels")).status_code == 403
    assert client.post(reverse("notification-channel-delete",
                               args=[channels["operators"].pk])).status_code == 403


def channel_form(**changes) -> dict:
    return {"name": "acme on-call", "transport": "webhook",
            "target": "https://hooks.acme.example/lockstep", "kinds": ["round_failed"],
            "enabled": "on", **changes}


def test_a_tenant_user_adds_a_channel_for_its_tenant(client, people):
    client.force_login(people["alice"])
    acme = Tenant.objects.get(name="acme")
    answer = client.post(reverse("notification-channel-new"),
                         channel_form(tenant=acme.pk, role="operators"))
    channel = Channel.objects.get()
    assert answer.url == reverse("notification-channel", args=[channel.pk])
    # The role field is not the tenant user's: ignored.
    assert (channel.tenant, channel.role, channel.kinds) == (acme, "", ["round_failed"])
    assert channel.created_by == "alice"
    assert AuditEntry.objects.filter(action="notifications.channel.create",
                                     actor_name="alice").exists()


@pytest.mark.parametrize(("changes", "message"), [
    ({"target": "not a url"}, "&#x27;not a url&#x27; is not a webhook URL: give the full "
                              "address, starting with http:// or https://."),
    ({"target": "ftp://files.example/"}, "is not a webhook URL"),
    ({"transport": "email", "target": "ops@acme.example\nbob@"},
     "Not an e-mail address: bob@."),
    ({"kinds": []}, "Choose at least one kind of event: a channel without kinds never "
                    "sends anything."),
])
def test_a_channel_is_refused_with_a_clear_message(client, people, changes, message):
    client.force_login(people["ada"])
    acme = Tenant.objects.get(name="acme")
    answer = client.post(reverse("notification-channel-new"),
                         channel_form(tenant=acme.pk, **changes))
    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not Channel.objects.exists()
    assert AuditEntry.objects.filter(action="notifications.channel.create",
                                     outcome=AuditEntry.Outcome.REFUSED).exists()


def test_a_tenant_user_cannot_pick_another_tenant_nor_operators_kinds(client, people):
    client.force_login(people["alice"])
    globex = Tenant.objects.get(name="globex")
    text = client.post(reverse("notification-channel-new"),
                       channel_form(tenant=globex.pk)).content.decode()
    assert "Select a valid choice" in text
    acme = Tenant.objects.get(name="acme")
    text = client.post(reverse("notification-channel-new"),
                       channel_form(tenant=acme.pk, kinds=["fault_prompt"])).content.decode()
    assert "Select a valid choice. fault_prompt is not one of the available choices." in text
    assert not Channel.objects.exists()


def test_an_administrators_tenant_channel_cannot_take_operators_kinds(client, people):
    client.force_login(people["ada"])
    acme = Tenant.objects.get(name="acme")
    text = client.post(reverse("notification-channel-new"), channel_form(
        tenant=acme.pk, kinds=["round_failed", "fault_prompt"])).content.decode()
    assert ("A tenant&#x27;s channel hears only of its services: a fault prompt opened go "
            "to operators and administrators.") in text
    text = client.post(reverse("notification-channel-new"), channel_form(
        tenant=acme.pk, role="operators")).content.decode()
    assert "Choose either a tenant or a role for the channel." in text
    assert not Channel.objects.exists()


def test_deleting_a_channel_is_audited(client, people, channels):
    client.force_login(people["alice"])
    answer = client.post(reverse("notification-channel-delete", args=[channels["acme"].pk]))
    assert answer.url == reverse("notification-channels")
    assert not Channel.objects.filter(pk=channels["acme"].pk).exists()
    entry = AuditEntry.objects.get(action="notifications.channel.delete")
    assert (entry.actor_name, entry.object_repr, entry.detail) == ("alice", "acme hook",
                                                                   "tenant acme")


def test_the_test_button_sends_now_and_shows_the_outcome(client, people, make_channel,
                                                         receiver):
    channel = make_channel(receiver.url, [Kind.ROUND_FAILED], tenant="acme", name="acme hook")
    client.force_login(people["alice"])
    assert client.get(reverse("notification-channel-test", args=[channel.pk])).status_code \
        == 405

    text = client.post(reverse("notification-channel-test", args=[channel.pk]),
                       follow=True).content.decode()

    assert "Test sent through acme hook." in text
    [body] = receiver.bodies()
    assert (body["kind"], body["subject"], body["tenant"]) == (
        "test", "Test of the channel acme hook", "acme")
    test = Notification.objects.get(kind=Kind.TEST)
    assert test.deliveries.get().state == DeliveryState.SENT
    assert AuditEntry.objects.get(action="notifications.channel.test").outcome == "success"
    # The test shows in the console, to the tenant's people.
    assert "Test of the channel acme hook" in page_of(client, people["alice"])
    assert "Test of the channel acme hook" not in page_of(client, people["bob"])


def test_a_failed_test_says_what_the_receiver_answered(client, people, make_channel,
                                                       receiver):
    receiver.answers = [500]
    channel = make_channel(receiver.url, [Kind.ROUND_FAILED], tenant="acme", name="acme hook")
    client.force_login(people["ada"])

    text = client.post(reverse("notification-channel-test", args=[channel.pk]),
                       follow=True).content.decode()

    assert (f"The test through acme hook failed: Attempt 1: The webhook {receiver.url} "
            "answered 500 Internal Server Error: receiver broke.") in text
    assert len(receiver.requests) == 1  # no retry: the person waits for this outcome
    assert AuditEntry.objects.get(action="notifications.channel.test").outcome == "failed"
    # The delivery log shows it.
    log = page_of(client, people["ada"], "notification-channel", channel.pk)
    assert "answered 500 Internal Server Error" in log
