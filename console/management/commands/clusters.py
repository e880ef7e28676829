"""`manage.py clusters list | add FILE.json | remove NAME | state NAME`, for scripts."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from console.audit import record
from console.cluster_api import cluster_json, registration_from_json
from console.clusters import cluster_state, remove_cluster, state_json
from console.errors import Refused
from console.forms import ClusterForm
from console.models import Cluster


class Command(BaseCommand):
    help = "List, register (from a JSON file of the API's fields), remove or probe clusters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "add", "remove", "state"])
        parser.add_argument("target", nargs="?", help="add: a JSON file; remove/state: a name")

    def handle(self, action: str, target: str | None, **options) -> None:
        if action == "list":
            self.stdout.write(json.dumps([cluster_json(c) for c in Cluster.objects.all()],
                                         indent=2))
            return
        if not target:
            raise CommandError(f"{action} needs a {'JSON file' if action == 'add' else 'name'}")
        if action == "add":
            try:
                form = ClusterForm(registration_from_json(json.loads(Path(target).read_text())))
            except Refused as error:
                raise CommandError(str(error)) from error
            if not form.is_valid():
                raise CommandError("; ".join(str(m) for ms in form.errors.values() for m in ms))
            cluster = form.save()
            record(None, "cluster.register", cluster, detail="manage.py clusters add")
            self.stdout.write(f"registered {cluster}")
            return
        cluster = Cluster.objects.filter(name=target).first()
        if cluster is None:
            raise CommandError(f"no cluster named {target}")
        if action == "state":
            self.stdout.write(json.dumps(state_json(cluster_state(cluster)), indent=2))
            return
        try:
            remove_cluster(cluster)
        except Refused as error:
            raise CommandError(str(error)) from error
        record(None, "cluster.delete", target, detail="manage.py clusters remove")
        self.stdout.write(f"removed {target}")
