"""`manage.py userdata sync [--pairing CLUSTER] [--dry-run] [--full] | drift [--pairing CLUSTER]`.

`sync` runs in this process and prints every difference with its outcome, then one
summary line; it exits non-zero when the sync failed or left problems.
"""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from console.models import Pairing
from userdata.models import RunState, Trigger
from userdata.syncing import sync_pairing


class Command(BaseCommand):
    help = "Sync a pairing's users, tenants and groups to its secondary, or show its drift."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["sync", "drift"])
        parser.add_argument("--pairing", metavar="CLUSTER",
                            help="the pairing of this cluster (needed when there are several)")
        parser.add_argument("--dry-run", action="store_true",
                            help="list every difference and change nothing")
        parser.add_argument("--full", action="store_true",
                            help="compare every entry, not only what changed since the "
                                 "last comparison")
        parser.add_argument("--by", default="manage.py", help="who, for the audit log")

    def handle(self, action: str, pairing: str | None, dry_run: bool, full: bool, by: str,
               **options) -> None:
        found = _pairing(pairing)
        if action == "drift":
            self.stdout.write(json.dumps([
                {"kind": e.kind, "key": e.key, "action": e.action, "summary": e.summary,
                 "first_seen": e.first_seen.isoformat()}
                for e in found.user_data_drift.all()], indent=2))
            return
        run = sync_pairing(found, by=by, dry_run=dry_run, full=full, trigger=Trigger.DEMAND)
        for item in run.differences:
            line = f"{item['action']:8} {item['kind']:6} {item['key']}: {item['summary']}"
            self.stdout.write(f"{line} [{item['result']}]")
            if item["message"]:
                self.stdout.write(f"         {item['message']}")
        counts = ", ".join(f"{n} {name}" for name, n in run.counts.items()) or "no difference"
        summary = f"{run}: {run.get_state_display()} ({counts})"
        if run.state == RunState.FAILED:
            raise CommandError(f"{summary}: {run.reason}")
        self.stdout.write(summary)
        if run.state == RunState.INCOMPLETE:
            raise CommandError(f"{run.problems} entries left apart: see above")


def _pairing(cluster: str | None) -> Pairing:
    pairings = Pairing.objects.select_related("primary", "secondary")
    if cluster:
        pairings = pairings.filter(Q(primary__name=cluster) | Q(secondary__name=cluster))
    found = list(pairings[:2])
    if len(found) != 1:
        raise CommandError("name a cluster of the pairing with --pairing" if found
                           else "no such pairing")
    return found[0]
