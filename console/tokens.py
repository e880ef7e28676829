"""Per-user API tokens: issuing, revoking, and knowing a script by its token.

A token is `lst_` and 43 URL-safe characters (256 random bits). The database keeps only
its SHA-256 digest, so a stolen database or backup yields no usable token; the secret is
shown once, to the administrator who issues it. A script sends it as
`Authorization: Bearer <token>` and acts as the token's owner, with the owner's roles.
Django's `authenticate()` reaches `TokenBackend`, so django-axes counts wrong tokens like
wrong passwords (per address) and locks them out the same way.
"""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from console import audit
from console.models import ApiToken

PREFIX = "lst_"
# How stale "last used" may be: a script calling every second should not write every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def issue(token: ApiToken, request: HttpRequest | None = None) -> str:
    """Save `token` (its user and name set) with a fresh secret; audit it; return the secret.

    Without a request the token is issued from `manage.py tokens`.
    """
    secret = PREFIX + secrets.token_urlsafe(32)
    token.digest = digest_of(secret)
    token.created_by = request.user.get_username() if request else "manage.py tokens"
    token.save()
    audit.record(request, "token.issue", token, detail="" if request else "manage.py tokens")
    return secret


@transaction.atomic
def revoke(token: ApiToken, request: HttpRequest | None = None) -> bool:
    """Revoke `token` for good; False when it already was (then nothing is audited)."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
        revoked_at=timezone.now())
    if revoked:
        audit.record(request, "token.revoke", token,
                     detail="" if request else "manage.py tokens")
    return bool(revoked)


def _refusal(token: ApiToken | None) -> str:
    """Why `token` may not be used, or "" when it may."""
    if token is None:
        return "No API token has this secret."
    if token.revoked:
        return f"The token was revoked at {token.revoked_at:%Y-%m-%d %H:%M:%S %Z}."
    if not token.user.is_active:
        return f"The token's owner {token.user} is deactivated."
    return ""


def user_for(request: HttpRequest, secret: str) -> User | None:
    """The owner of the usable token `secret`; a refused token is audited with the reason."""
    token = ApiToken.objects.select_related("user").filter(digest=digest_of(secret)).first()
    refusal = _refusal(token)
    if refusal:
        audit.record(request, "token.use", token or "unknown API token",
                     outcome=audit.Outcome.REFUSED, detail=refusal)
        return None
    assert token is not None  # _refusal refuses a missing token
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class TokenBackend(BaseBackend):
    """`authenticate(request, api_token=SECRET)`: the API's way in for scripts."""

    # Narrower than BaseBackend's `**kwargs` on purpose: Django passes the credentials
    # only to backends whose signature takes them, so a password login skips this one.
    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, api_token: str | None = None
    ) -> User | None:
        if request is None or api_token is None:
            return None
        return user_for(request, api_token)
