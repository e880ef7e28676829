"""Guessing passwords: a few failed logins lock the username out from that address."""

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from console.lockout import Lockout
from console.models import AuditEntry
from console.roles import Role
from tests.conftest import PASSWORD

ATTACKER = "203.0.113.9"


def log_in(client, password: str, address: str = ATTACKER, url: str = ""):
    return client.post(url or reverse("login"), {"username": "ada", "password": password},
                       REMOTE_ADDR=address)


def guess_until_locked(client, url: str = "") -> None:
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        response = log_in(client, f"guess-{attempt}", url=url)
    assert response.status_code == 429


def test_wrong_passwords_lock_the_username_out_from_that_address(client, make_user):
    make_user("ada", Role.ADMINISTRATOR)
    guess_until_locked(client)
    response = log_in(client, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert (f"Locked out after {settings.AXES_FAILURE_LIMIT} failed logins as ada "
            f"from {ATTACKER}") in page
    assert "manage.py axes_reset_username ada" in page
    assert int(response["Retry-After"]) > 14 * 60
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.filter(action="login.lockout").first()
    assert (entry.object_repr, entry.outcome, entry.address) == ("ada", "refused", ATTACKER)
    assert "until" in entry.detail


def test_the_same_username_still_logs_in_from_another_address(client, make_user):
    make_user("ada", Role.ADMINISTRATOR)
    guess_until_locked(client)
    assert log_in(client, PASSWORD, address="198.51.100.4").status_code == 302


def test_an_administrator_unlocks_the_username(client, make_user):
    make_user("ada", Role.ADMINISTRATOR)
    guess_until_locked(client)
    call_command("axes_reset_username", "ada")
    assert log_in(client, PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, make_user):
    make_user("ada", Role.ADMINISTRATOR)
    guess_until_locked(client)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME
        - timedelta(seconds=1))
    assert log_in(client, PASSWORD).status_code == 302


def test_the_admin_login_form_is_locked_out_too(client, make_user):
    make_user("ada", Role.ADMINISTRATOR)
    guess_until_locked(client, url=reverse("admin:login"))
    assert log_in(client, PASSWORD, url=reverse("admin:login")).status_code == 429


def test_a_successful_login_forgets_earlier_failures(client, make_user):
    make_user("ada", Role.ADMINISTRATOR)
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, f"guess-{attempt}")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()
    assert log_in(client, "one-more-guess").status_code == 200
    assert log_in(client, PASSWORD).status_code == 302


def test_a_lockout_without_cool_off_names_the_administrator_as_the_way_out():
    message = Lockout(username=None, address=ATTACKER, failures=5, until=None).message()
    assert message.startswith(f"Locked out after 5 wrong API tokens from {ATTACKER}: "
                              "refused until an administrator unlocks it.")
    assert f"manage.py axes_reset_ip {ATTACKER}" in message
