"""Notifications in the browser, served by daphne with live events: a tenant user's
"Send test" delivers to a real webhook receiver and says so; the operator's page counts
the new notification live; another tenant's page never hears of it."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from console.roles import Role
from notifications.models import Kind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_test_button_delivers_and_the_notification_appears_live(
        redis, open_page, make_user, make_channel, receiver):
    make_user("alice", Role.TENANT, tenant="acme")
    make_user("bob", Role.TENANT, tenant="globex")
    make_user("otto", Role.OPERATOR)
    channel = make_channel(receiver.url, [Kind.ROUND_FAILED], tenant="acme", name="acme hook")
    operator, stranger, alice = open_page("otto"), open_page("bob"), open_page("alice")
    operator.goto("/")
    stranger.goto("/")
    alice.goto(reverse("notification-channel", args=[channel.pk]))
    for page in (operator, stranger):  # each page load opens a socket of its own
        expect(page.locator("#live")).to_have_text("● live")
        expect(page.locator("#unread-count")).to_be_hidden()

    alice.get_by_role("button", name="Send test").click()

    expect(alice.locator(".messages")).to_contain_text("Test sent through acme hook.")
    expect(alice.locator("#deliveries tr").first).to_contain_text("sent")
    assert [body["subject"] for body in receiver.bodies()] == ["Test of the channel acme hook"]
    count = operator.locator("#unread-count")
    expect(count).to_be_visible()
    expect(count).to_have_text("1")
    operator.get_by_role("link", name="Notifications").click()
    expect(operator.locator("#notifications tr").first).to_contain_text(
        "Test of the channel acme hook")
    # While the list is open, a new one joins it at the top.
    alice.get_by_role("button", name="Send test").click()
    expect(operator.locator("#notifications tr")).to_have_count(2)
    # Another tenant's page hears nothing of acme's.
    expect(stranger.locator("#unread-count")).to_be_hidden()
    stranger.goto(reverse("notifications"))
    expect(stranger.locator("#notifications-empty")).to_be_visible()


def test_an_email_channels_test_reaches_the_demos_console_mail_backend(
        redis, open_page, daphne, make_user, make_channel):
    """The demo sends e-mail through Django's console backend: the message lands in the
    console's output, addressed as the channel says."""
    make_user("otto", Role.OPERATOR)
    make_user("ada", Role.ADMINISTRATOR)
    channel = make_channel("oncall@example.com, lead@example.com", [Kind.ROUND_FAILED],
                           transport="email", role=Role.OPERATOR, name="on-call mail")
    admin = open_page("ada")
    admin.goto(reverse("notification-channel", args=[channel.pk]))
    admin.get_by_role("button", name="Send test").click()

    expect(admin.locator(".messages")).to_contain_text("Test sent through on-call mail.")
    expect(admin.locator("#deliveries tr").first).to_contain_text("sent")
    mail = daphne.log.read_text()
    assert "To: oncall@example.com, lead@example.com" in mail
    assert "Subject: [Lockstep] Test of the channel on-call mail" in mail
