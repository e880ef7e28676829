"""Who sees which entries of a cluster's directory, and which console tenant each maps to.

Administrators and operators see every user, tenant and group. A tenant's people see
their own tenants' entries (a directory tenant maps to the console tenant of the same
name) and those tenants' members; no group, no other tenant, no one else. Their
directory page is for checking who will have access after a failover.
"""

from dataclasses import dataclass

from console.models import Tenant
from console.roles import Role, has_role
from userdata.entries import GROUP, TENANT, USER, Entry, Snapshot, fold


def sees_everything(user) -> bool:
    return has_role(user, Role.ADMINISTRATOR, Role.OPERATOR)


def visible_snapshot(snapshot: Snapshot, user) -> Snapshot:
    """What of `snapshot` the user may see."""
    if sees_everything(user):
        return snapshot
    own = {fold(name) for name in user.tenants.values_list("name", flat=True)}
    tenants = {key: entry for key, entry in snapshot.get(TENANT, {}).items() if key in own}
    members = {fold(uid) for entry in tenants.values() for uid in entry.members}
    users = {key: entry for key, entry in snapshot.get(USER, {}).items() if key in members}
    return {USER: users, TENANT: tenants, GROUP: {}}


@dataclass(frozen=True)
class UserRow:
    entry: Entry
    tenants: list[str]  # the directory tenants it belongs to
    console_tenants: list[str]  # of those, the ones the console knows


@dataclass(frozen=True)
class TenantRow:
    entry: Entry
    console_tenant: str  # the console tenant of the same name, or ''


def user_rows(snapshot: Snapshot) -> list[UserRow]:
    console = {fold(name) for name in Tenant.objects.values_list("name", flat=True)}
    member_of: dict[str, list[str]] = {}
    for tenant in snapshot.get(TENANT, {}).values():
        for uid in tenant.members:
            member_of.setdefault(fold(uid), []).append(tenant.key)
    return [UserRow(entry, sorted(member_of.get(key, [])),
                    sorted(t for t in member_of.get(key, []) if fold(t) in console))
            for key, entry in sorted(snapshot.get(USER, {}).items())]


def tenant_rows(snapshot: Snapshot) -> list[TenantRow]:
    console = {fold(name): name for name in Tenant.objects.values_list("name", flat=True)}
    return [TenantRow(entry, console.get(key, ""))
            for key, entry in sorted(snapshot.get(TENANT, {}).items())]
