"""Brute-force lockout (django-axes): who is locked out, until when, and what to tell them.

django-axes counts failed logins per username and address (settings.AXES_*) and refuses
a locked-out caller; this module turns a lockout into a message that says when to try
again and who can lift it, as a page for browsers and JSON for the API.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone


@dataclass(frozen=True)
class Lockout:
    """One locked-out pair: a username (None for API tokens) and the address it came from."""

    username: str | None
    address: str | None
    failures: int
    until: datetime | None  # None: until an administrator unlocks it

    @property
    def subject(self) -> str:
        if self.username is None:
            return f"API tokens from {self.address}"
        return f"{self.username} from {self.address}"

    @property
    def unlock_command(self) -> str:
        if self.username is None:
            return f"python manage.py axes_reset_ip {self.address}"
        return f"python manage.py axes_reset_username {self.username}"

    def message(self) -> str:
        what = ("wrong API tokens" if self.username is None
                else f"failed logins as {self.username}")
        when = ("until an administrator unlocks it" if self.until is None
                else f"until {_clock(self.until)}")
        return (f"Locked out after {self.failures} {what} from {self.address}: refused "
                f"{when}. Try again then, or ask an administrator to unlock it "
                f"({self.unlock_command}, or delete its access attempts in the admin).")


def _clock(moment: datetime) -> str:
    """`14:32 CET`, in the caller's time zone (the `tz` cookie), else the console's."""
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def locked_until(username: str | None, address: str | None, limit: int,
                 cool_off: timedelta | None) -> datetime | None:
    """When the failures of `username` from `address` stop adding up to `limit`.

    django-axes counts the failures of every user agent's record newer than the cool-off;
    walking the records from the newest, the one that reaches the limit expires last.
    """
    if cool_off is None:
        return None
    total = 0
    attempts = AccessAttempt.objects.filter(username=username, ip_address=address)
    for failures, at in attempts.order_by("-attempt_time").values_list(
            "failures_since_start", "attempt_time"):
        total += failures
        if total >= limit:
            return at + cool_off
    # The failures expired between django-axes' check and this question: it is over.
    return timezone.now()


def lockout_of(request: HttpRequest, credentials: dict | None = None) -> Lockout:
    """The lockout django-axes found for this request (it set `request.axes_*`).

    `credentials` are those of the refused login; django-axes also keeps them on the
    request, which is read when they are missing (its async middleware passes none).
    """
    # Attributes of django-axes' own, which the HttpRequest stubs do not know.
    stored_credentials = request.axes_credentials  # type: ignore[attr-defined]
    address = request.axes_ip_address  # type: ignore[attr-defined]
    username = get_client_username(request, credentials or stored_credentials)
    limit = get_failure_limit(request, credentials)
    return Lockout(
        username=username or None,
        address=address,
        failures=limit,
        until=locked_until(username or None, address, limit, get_cool_off(request)),
    )


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def lockout_response(request: HttpRequest, original_response: HttpResponse | None,
                     credentials: dict | None) -> HttpResponse:
    """settings.AXES_LOCKOUT_CALLABLE: 429 with the lockout's message, JSON for the API."""
    lockout = lockout_of(request, credentials)
    if is_api_request(request):
        response: HttpResponse = JsonResponse(
            {"error": lockout.message(),
             "locked_until": lockout.until.isoformat() if lockout.until else None},
            status=429)
    else:
        response = render(request, "console/locked_out.html",
                          {"lockout": lockout, "message": lockout.message()}, status=429)
    if lockout.until is not None:
        seconds = max(0, int((lockout.until - timezone.now()).total_seconds()))
        response["Retry-After"] = str(seconds)
    return response
