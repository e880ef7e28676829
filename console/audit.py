"""Writing audit entries: who did what to which object, with what outcome, from where."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from console.lockout import lockout_of
from console.models import AuditEntry

Outcome = AuditEntry.Outcome


def client_address(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def record(
    request: HttpRequest | None,
    action: str,
    obj: object = "",
    outcome: str = Outcome.SUCCESS,
    detail: str = "",
    user=None,
    actor_name: str = "",
) -> AuditEntry:
    """Audit one action. The actor is `user`, else the request's user, else `actor_name`
    (a process acting on its own or for someone: "lockstep", or the operator whose
    failover a job carries on), else anonymous."""
    actor = user if user is not None else getattr(request, "user", None)
    if actor is not None and not actor.is_authenticated:
        actor = None
    entry = unsaved(actor.get_username() if actor is not None else actor_name or "anonymous",
                    action, obj, outcome, detail, actor)
    entry.address = client_address(request)
    entry.save()
    return entry


def unsaved(actor_name: str, action: str, obj: object = "", outcome: str = Outcome.SUCCESS,
            detail: str = "", actor: Any = None) -> AuditEntry:
    """An entry not saved yet: a process that changes many things (a user-data sync)
    saves its entries in bulk. `actor_name` may name a process, such as a round."""
    return AuditEntry(actor=actor, actor_name=actor_name, action=action,
                      object_repr=str(obj)[:300], outcome=outcome, detail=detail)


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    record(request, "login", user, user=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(request, "logout", user, user=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    if "username" not in credentials:
        return  # an API token: console.tokens audits its refusal with the reason
    # The username tried is kept; the password never is.
    record(request, "login", credentials["username"], outcome=Outcome.REFUSED)


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs) -> None:
    # Sent for the failure that reaches the limit and for each attempt refused after it.
    lockout = lockout_of(request)
    record(request, "login.lockout", username or "API token", outcome=Outcome.REFUSED,
           detail=lockout.message())
