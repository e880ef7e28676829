"""The demo's logins: one per role, with passwords generated once per machine."""

import json
import os
import secrets
from pathlib import Path

from console.accounts import ensure_user
from console.models import Tenant
from console.roles import Role

DEMO_USERS = {"admin": Role.ADMINISTRATOR, "operator": Role.OPERATOR, "alice": Role.TENANT}
DEMO_TENANT = "acme"


def demo_passwords(var_dir: Path) -> dict[str, str]:
    """The demo users' passwords, generated on first use and kept (mode 600) in var/."""
    path = var_dir / "demo-logins.json"
    if path.exists():
        return json.loads(path.read_text())
    passwords = {name: secrets.token_urlsafe(9) for name in DEMO_USERS}
    var_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(passwords, handle)
    return passwords


def seed_logins(var_dir: Path) -> dict[str, str]:
    tenant, _ = Tenant.objects.get_or_create(
        name=DEMO_TENANT, defaults={"display_name": "ACME Billing"}
    )
    passwords = demo_passwords(var_dir)
    for username, role in DEMO_USERS.items():
        ensure_user(username, role, passwords[username],
                    tenant if role is Role.TENANT else None)
    return passwords
