"""Creating users with a role, used by the demo seed and by administrators' scripts."""

from django.contrib.auth.models import Group, User
from django.db import transaction

from console.models import Tenant
from console.roles import Role


@transaction.atomic
def ensure_user(username: str, role: Role, password: str, tenant: Tenant | None = None) -> User:
    """Create or update `username` with exactly `role` (and membership of `tenant`)."""
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    # Django's own admin pages are for administrators only.
    user.is_staff = user.is_superuser = role is Role.ADMINISTRATOR
    user.save()
    user.groups.set([Group.objects.get_or_create(name=role.value)[0]])
    if tenant is not None:
        tenant.members.add(user)
    return user
