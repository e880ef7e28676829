"""`manage.py services list | save FILE.json [--id N] | delete N | enable N | disable N`.

The JSON file holds what the API's POST /api/services/ takes; `--as` names the user
whose tenants and role apply.
"""

import json
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups.access import can_change, visible_services
from backups.api import request_from_json, service_json
from backups.protection import save_service
from backups.removal import RemovalRefused, delete_service
from console.audit import record
from console.errors import Refused


class Command(BaseCommand):
    help = "List, save, delete, enable or disable services and their backup policies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "save", "delete", "enable", "disable"])
        parser.add_argument("target", nargs="?", help="save: a JSON file; otherwise an id")
        parser.add_argument("--id", type=int, help="save: update this service")
        parser.add_argument("--as", dest="username", required=True, help="acting user")
        parser.add_argument("--keep-restore-points", action="store_true",
                            help="delete: keep the service's restore points on the clusters")

    def handle(self, action: str, target: str | None, username: str, **options) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username}")
        services = visible_services(user)
        if action == "list":
            self.stdout.write(json.dumps([service_json(s) for s in services], indent=2))
            return
        if action == "save":
            self._save(user, services, target, options["id"])
            return
        service = services.filter(pk=target).first() if target else None
        if service is None:
            raise CommandError(f"{username} sees no service with id {target}")
        if not can_change(user, service):
            raise CommandError(f"{username} may not change {service}")
        if action == "delete":
            try:
                removal = delete_service(service, options["keep_restore_points"])
            except RemovalRefused as refusal:
                raise CommandError(str(refusal)) from refusal
            record(None, "service.delete", removal.service, user=user,
                   detail=f"manage.py services: {removal.summary()}")
            self.stdout.write(removal.summary())
            return
        else:
            service.policy.enabled = action == "enable"
            service.policy.save(update_fields=["enabled", "updated_at"])
            record(None, f"policy.{action}", service, user=user, detail="manage.py services")
        self.stdout.write(f"{action}d {service}")

    def _save(self, user, services, target: str | None, pk: int | None) -> None:
        if not target:
            raise CommandError("save needs a JSON file")
        current = services.filter(pk=pk).first() if pk else None
        if pk and current is None:
            raise CommandError(f"{user} sees no service with id {pk}")
        try:
            request = request_from_json(json.loads(Path(target).read_text()), user, current)
            saved = save_service(request, user.get_username(), current)
        except Refused as error:
            raise CommandError("\n".join(getattr(error, "problems", [str(error)]))) from error
        record(None, "service.update" if current else "service.create", saved, user=user,
               detail="manage.py services save")
        self.stdout.write(json.dumps(service_json(saved), indent=2))
