"""`manage.py pairings list | create PRIMARY SECONDARY | delete PRIMARY`, for scripts."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from console.audit import record
from console.cluster_api import pairing_json
from console.errors import Refused
from console.models import Cluster, Pairing
from console.pairing import pair, unpair


class Command(BaseCommand):
    help = "List, create or delete pairings (the same checks as the pairing page)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "create", "delete"])
        parser.add_argument("clusters", nargs="*", help="create: PRIMARY SECONDARY; "
                            "delete: the primary")
        parser.add_argument("--by", default="manage.py", help="who, for the identity record")

    def handle(self, action: str, clusters: list[str], by: str, **options) -> None:
        if action == "list":
            pairings = Pairing.objects.select_related("primary", "secondary")
            self.stdout.write(json.dumps([pairing_json(p) for p in pairings], indent=2))
            return
        expected = 2 if action == "create" else 1
        if len(clusters) != expected:
            raise CommandError(f"{action} takes {expected} cluster name(s)")
        found = [cluster for name in clusters
                 if (cluster := Cluster.objects.filter(name=name).first()) is not None]
        if len(found) < len(clusters):
            raise CommandError(f"unknown cluster among {', '.join(clusters)}")
        try:
            if action == "create":
                created = pair(found[0], found[1], by=by)
                record(None, "pairing.create", created, detail="manage.py pairings create")
                self.stdout.write(f"paired {created}")
                return
            existing = Pairing.objects.filter(primary=found[0]).first()
            if existing is None:
                raise CommandError(f"{clusters[0]} is not the primary of a pairing")
            label = str(existing)
            for warning in unpair(existing):
                self.stderr.write(warning)
        except Refused as error:
            raise CommandError(str(error)) from error
        record(None, "pairing.delete", label, detail="manage.py pairings delete")
        self.stdout.write(f"unpaired {label}")
