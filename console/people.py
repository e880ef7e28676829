"""Users, their roles and tenants, tenants and their members: what administrators change
on the Users and Tenants pages, with the guards that keep the console administrable.

Every change is audited in its own transaction with what it changed; a refusal is a
`PeopleRefused` whose message says what to do instead.
"""

from collections.abc import Iterable, Mapping

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from console import audit
from console.accounts import grant_roles, stored_roles
from console.errors import Refused
from console.fields import parse_id
from console.models import Tenant
from console.roles import Role

# What an audit entry's detail compares: text, or a set of names shown as +added -removed.
Facts = Mapping[str, str | frozenset[str]]
NO_ROLE = "none"
NO_TENANT = "none"


class PeopleRefused(Refused):
    """A change to users or tenants that may not happen; the message says why."""


def changes(before: Facts, after: Facts) -> str:
    """What differs, for the audit log: "roles: +operators -tenants; active: yes → no"."""
    parts = []
    for key, new in after.items():
        old = before.get(key, frozenset() if isinstance(new, frozenset) else "")
        if old == new:
            continue
        if isinstance(new, frozenset) and isinstance(old, frozenset):
            moved = [f"+{name}" for name in sorted(new - old)]
            moved += [f"-{name}" for name in sorted(old - new)]
            parts.append(f"{key}: {' '.join(moved)}")
        else:
            parts.append(f"{key}: {old or 'none'} → {new or 'none'}")
    return "; ".join(parts)


def user_facts(user: User) -> Facts:
    return {
        "e-mail": user.email,
        "roles": frozenset(str(role) for role in stored_roles(user)),
        "tenants": frozenset(user.tenants.values_list("name", flat=True)),
        "active": "yes" if user.is_active else "no",
    }


def tenant_facts(tenant: Tenant) -> Facts:
    return {
        "display name": tenant.display_name,
        "HDFS roots": frozenset(tenant.hdfs_roots.split()),
        "databases": frozenset(tenant.databases.split()),
        "members": frozenset(tenant.members.values_list("username", flat=True)),
    }


def active_administrators() -> QuerySet[User]:
    return User.objects.filter(Q(is_superuser=True) | Q(groups__name=Role.ADMINISTRATOR),
                               is_active=True).distinct()


def filtered_users(filters: Mapping[str, str]) -> QuerySet[User]:
    """Users matching `q` (username, name or e-mail), `role` (a role, or "none") and
    `tenant` (a tenant's id, or "none"); an unknown role or tenant filters nothing."""
    users = User.objects.prefetch_related("groups", "tenants").order_by("username")
    if query := filters.get("q", ""):
        users = users.filter(Q(username__icontains=query) | Q(first_name__icontains=query)
                             | Q(last_name__icontains=query) | Q(email__icontains=query))
    role = filters.get("role", "")
    if role == Role.ADMINISTRATOR:
        users = users.filter(Q(is_superuser=True) | Q(groups__name=role))
    elif role in set(Role):
        users = users.filter(groups__name=role)
    elif role == NO_ROLE:
        users = users.filter(is_superuser=False).exclude(groups__name__in=list(Role))
    tenant = filters.get("tenant", "")
    if tenant == NO_TENANT:
        users = users.filter(tenants=None)
    elif tenant_id := parse_id(tenant):
        users = users.filter(tenants=tenant_id)
    return users.distinct()


@transaction.atomic
def create_user(request: HttpRequest, username: str, email: str, password: str,
                roles: Iterable[Role], tenants: Iterable[Tenant]) -> User:
    """A new active user with `roles` and membership of `tenants`; audited (never the
    password)."""
    user = User.objects.create_user(username, email, password)
    grant_roles(user, roles)
    user.tenants.set(tenants)
    audit.record(request, "user.create", user, detail=changes({}, user_facts(user)))
    return user


def _losing_administrator(actor_pk: int | None, user: User, keeps_role: bool, active: bool
                          ) -> str:
    """Why `user` may not lose the administrator role or be deactivated now, or ""."""
    if keeps_role and active:
        return ""
    if user.pk == actor_pk:
        return ("You cannot remove your own administrator role: ask another administrator."
                if not keeps_role else
                "You cannot deactivate your own account: ask another administrator.")
    # Locked, so that two administrators demoting each other at once cannot both pass.
    # (PostgreSQL locks no DISTINCT query: the lock is on the rows the subquery names.)
    others = list(User.objects.select_for_update().filter(
        pk__in=active_administrators().exclude(pk=user.pk).values("pk")))
    if not others:
        return (f"{user} is the last active administrator: make another user an "
                "administrator first, so that someone can still manage the console.")
    return ""


@transaction.atomic
def change_user(request: HttpRequest, user: User, email: str, roles: Iterable[Role],
                tenants: Iterable[Tenant], active: bool) -> str:
    """Give `user` these e-mail, roles, tenants and active flag; what changed, audited.

    Refused when it would take the administrator role from the acting administrator, or
    leave no active administrator."""
    roles = set(roles)
    before = user_facts(user)
    was_administrator = Role.ADMINISTRATOR in stored_roles(user) and user.is_active
    if was_administrator:
        refusal = _losing_administrator(request.user.pk, user, Role.ADMINISTRATOR in roles,
                                        active)
        if refusal:
            raise PeopleRefused(refusal)
    user.email, user.is_active = email, active
    user.save(update_fields=["email", "is_active"])
    grant_roles(user, roles)
    user.tenants.set(tenants)
    detail = changes(before, user_facts(user))
    audit.record(request, "user.update", user, detail=detail or "nothing changed")
    return detail


@transaction.atomic
def reset_password(request: HttpRequest, user: User, password: str) -> None:
    """Set a password an administrator chose (the user's sessions end: Django signs them
    with the password's hash; the administrator's own session, if it is theirs, goes on);
    audited, never the password."""
    user.set_password(password)
    user.save(update_fields=["password"])
    if user.pk == request.user.pk:
        update_session_auth_hash(request, user)
    audit.record(request, "user.password", user, detail="reset by an administrator")


@transaction.atomic
def save_tenant(request: HttpRequest, tenant: Tenant, members: Iterable[User]) -> str:
    """Save the validated `tenant` (new or changed) with `members`; what changed, audited."""
    stored = Tenant.objects.filter(pk=tenant.pk).first() if tenant.pk else None
    before = tenant_facts(stored) if stored is not None else {}
    tenant.save()
    tenant.members.set(members)
    detail = changes(before, tenant_facts(tenant))
    audit.record(request, "tenant.update" if stored else "tenant.create", tenant,
                 detail=detail or "nothing changed")
    return detail


@transaction.atomic
def delete_tenant(request: HttpRequest, tenant: Tenant) -> None:
    """Delete `tenant`, refused while it has services (they hold its backups)."""
    services = tenant.services.count()
    if services:
        raise PeopleRefused(
            f"{tenant.name} has {services} service{'s' if services != 1 else ''}: delete "
            f"{'them' if services != 1 else 'it'} first, on the Services page.")
    members = ", ".join(tenant.members.values_list("username", flat=True)) or "none"
    audit.record(request, "tenant.delete", tenant,
                 detail=f"HDFS roots {', '.join(tenant.roots)}; members {members}")
    tenant.delete()
