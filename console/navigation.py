"""The main navigation: each page, and the roles that see its link."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from console.roles import Role, has_role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    # None: every logged-in user sees it.
    roles: tuple[Role, ...] | None = None


NAV = [
    NavItem("Overview", "home"),
    NavItem("Clusters", "clusters", (Role.ADMINISTRATOR, Role.OPERATOR)),
    NavItem("Services", "services", tuple(Role)),
    NavItem("Rounds", "rounds", tuple(Role)),
    NavItem("Restore points", "restore-points", tuple(Role)),
    NavItem("Failover", "failover", (Role.ADMINISTRATOR, Role.OPERATOR)),
    NavItem("User data", "userdata", tuple(Role)),
    NavItem("Notifications", "notifications", tuple(Role)),
    NavItem("Users", "users", (Role.ADMINISTRATOR,)),
    NavItem("Tenants", "tenants", (Role.ADMINISTRATOR,)),
    NavItem("API tokens", "tokens", (Role.ADMINISTRATOR,)),
    NavItem("Audit", "audit", (Role.ADMINISTRATOR,)),
]


def navigation(request: HttpRequest) -> dict:
    """Template context: `nav_items`, the links this user may follow, the current one marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for item in NAV:
        if item.roles is not None and not has_role(user, *item.roles):
            continue
        url = reverse(item.url_name)
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"name": item.url_name, "label": item.label, "url": url,
                      "active": active})
    return {"nav_items": items}
