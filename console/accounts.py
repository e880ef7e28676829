"""Creating users with a role, used by the demo seed, administrators' scripts and the
Users page (console/people.py)."""

from collections.abc import Iterable

from django.contrib.auth.models import Group, User
from django.db import transaction

from console.models import Tenant
from console.roles import Role


def stored_roles(user: User) -> set[Role]:
    """The roles granted to `user` (not those implied: an administrator holds every role
    in `roles_of`, but was granted one). A superuser counts as an administrator."""
    names = {group.name for group in user.groups.all()}
    granted = {role for role in Role if role in names}
    return (granted | {Role.ADMINISTRATOR}) if user.is_superuser else granted


def grant_roles(user: User, roles: Iterable[Role]) -> None:
    """Give the saved `user` exactly `roles`."""
    roles = set(roles)
    # Django's own admin pages are for administrators only; and a superuser counts as
    # an administrator, so taking that role away takes superuser status with it.
    user.is_staff = user.is_superuser = Role.ADMINISTRATOR in roles
    user.save(update_fields=["is_staff", "is_superuser"])
    user.groups.set([Group.objects.get_or_create(name=role.value)[0] for role in roles])


@transaction.atomic
def ensure_user(username: str, role: Role, password: str, tenant: Tenant | None = None) -> User:
    """Create or update `username` with exactly `role` (and membership of `tenant`)."""
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.save()
    grant_roles(user, [role])
    if tenant is not None:
        tenant.members.add(user)
    return user
