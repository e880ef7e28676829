"""The three roles and the one check that views and consumers use to enforce them.

Administrators may do everything operators and tenants may; a Django superuser
counts as an administrator.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


class Role(StrEnum):
    ADMINISTRATOR = "administrators"
    TENANT = "tenants"
    OPERATOR = "operators"


def roles_of(user) -> set[Role]:
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return set(Role)
    names = {group.name for group in user.groups.all()}
    if Role.ADMINISTRATOR in names:
        return set(Role)
    return {role for role in Role if role in names}


def has_role(user, *roles: Role) -> bool:
    """True when the user holds any of `roles` (administrators hold them all)."""
    return bool(roles_of(user) & set(roles))


def role_required(*roles: Role) -> Callable:
    """View decorator: 403 unless the logged-in user holds one of `roles`."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not has_role(request.user, *roles):
                raise PermissionDenied("This page needs the role: " + " or ".join(roles))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def roles_context(request: HttpRequest) -> dict:
    """Template context: `roles`, the set of role names the user holds."""
    user = getattr(request, "user", None)  # absent on errors raised before authentication
    return {"roles": {str(role) for role in roles_of(user)} if user is not None else set()}
