"""`manage.py failover status | confirm | rollback ID | commit ID | switchover | resume [ID]`.

The API's checks, roles and audit, for an operator at a shell: `--as` names the operator
(or administrator) who decides. A confirmed failover, a rollback and a resume run their
steps in this process, printing the switchover as it ends: a failover must not wait for a
worker, which may have gone down with the old primary. A planned switchover (`switchover
--pairing ID`) runs here too, while the workers run its final rounds. Killed half-way, a
switchover is resumed by the scheduler's next reaper pass or by `failover resume`.
"""

import json
from collections.abc import Callable

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from console import audit
from console.errors import Refused
from console.models import Pairing
from console.roles import has_role
from failover.events import switchover_json
from failover.holds import hold_reason
from failover.models import FaultPrompt, Switchover, SwitchoverState
from failover.prompts import DECIDERS
from failover.running import resume_switchovers, run_here, run_switchover
from failover.switching import (
    commit_failover,
    confirm_failover,
    failover,
    planned_switchover,
    resume_failed,
    rollback_failover,
)


class Command(BaseCommand):
    help = "Show, confirm, roll back, commit or resume failovers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["status", "confirm", "rollback", "commit",
                                               "switchover", "resume"])
        parser.add_argument("switchover", nargs="?", type=int,
                            help="rollback, commit: the failover; resume: one switchover "
                                 "(default: every running one that no live process runs)")
        parser.add_argument("--prompt", type=int, help="confirm: the open fault prompt")
        parser.add_argument("--pairing", type=int, help="confirm: the pairing, without a "
                            "prompt; switchover: the pairing; status: only this pairing")
        parser.add_argument("--typed-name", default="", help="the cluster that becomes "
                            "primary (commit: the new primary), typed exactly")
        parser.add_argument("--reason", default="")
        parser.add_argument("--as", dest="username", help="the deciding operator")

    def handle(self, action: str, switchover: int | None, **options) -> None:
        if action == "status":
            self._status(options["pairing"])
            return
        user = self._operator(options["username"], action)
        by = user.get_username()
        typed_name, reason = options["typed_name"], options["reason"]
        decisions: dict[str, Callable[[], Switchover]] = {
            "confirm": lambda: self._confirm(options["prompt"], options["pairing"], by,
                                             typed_name, reason),
            "rollback": lambda: rollback_failover(self._switchover(switchover), by,
                                                  typed_name, reason, run=run_here),
            "commit": lambda: commit_failover(self._switchover(switchover), by, typed_name,
                                              reason),
            "switchover": lambda: planned_switchover(self._pairing(options["pairing"]), by,
                                                     typed_name, reason, run=run_here),
            "resume": lambda: self._resume(switchover),
        }
        try:
            decided = decisions[action]()
        except Refused as refusal:
            audit.record(None, f"failover.{action}", switchover or "", user=user,
                         outcome=audit.Outcome.REFUSED, detail=f"manage.py failover: {refusal}")
            raise CommandError(str(refusal)) from refusal
        audit.record(None, f"failover.{action}", decided, user=user,
                     detail=f"manage.py failover: {reason}" if reason else "manage.py failover")
        decided.refresh_from_db()
        self.stdout.write(json.dumps(switchover_json(decided), indent=2))

    def _operator(self, username: str | None, action: str) -> User:
        user = User.objects.filter(username=username).first() if username else None
        if user is None:
            raise CommandError(f"{action} needs --as USER, an operator or administrator")
        if not has_role(user, *DECIDERS):
            audit.record(None, f"failover.{action}", "", user=user,
                         outcome=audit.Outcome.REFUSED,
                         detail="manage.py failover: not an operator or administrator")
            raise CommandError(f"{username} is not an operator or administrator")
        return user

    def _switchover(self, pk: int | None) -> Switchover:
        found = Switchover.objects.filter(pk=pk).first() if pk else None
        if found is None:
            raise CommandError(f"no switchover with id {pk}")
        return found

    def _confirm(self, prompt_id: int | None, pairing_id: int | None, by: str,
                 typed_name: str, reason: str) -> Switchover:
        if (prompt_id is None) == (pairing_id is None):
            raise CommandError("confirm takes --prompt ID or --pairing ID, one of them")
        if prompt_id is not None:
            prompt = FaultPrompt.objects.filter(pk=prompt_id).first()
            if prompt is None:
                raise CommandError(f"no fault prompt with id {prompt_id}")
            return confirm_failover(prompt, by, typed_name, reason, run=run_here)
        return failover(self._pairing(pairing_id), by, typed_name, reason, run=run_here)

    def _pairing(self, pk: int | None) -> Pairing:
        pairing = Pairing.objects.filter(pk=pk).first() if pk else None
        if pairing is None:
            raise CommandError(f"no pairing with id {pk}" if pk else "give --pairing ID")
        return pairing

    def _resume(self, pk: int | None) -> Switchover:
        if pk is not None:
            found = self._switchover(pk)
            if found.state == SwitchoverState.FAILED:
                return resume_failed(found, run=run_here)
            return run_switchover(found.pk)
        resumed = resume_switchovers(run=run_here)
        if not resumed:
            raise CommandError("no running switchover waits to be resumed")
        return resumed[-1]

    def _status(self, pairing_id: int | None) -> None:
        switchovers = Switchover.objects.select_related("old_primary", "new_primary")
        pairings = Pairing.objects.select_related("primary", "secondary")
        if pairing_id is not None:
            switchovers, pairings = (switchovers.filter(pairing=pairing_id),
                                     pairings.filter(pk=pairing_id))
        self.stdout.write(json.dumps({
            "pairings": [{"id": p.pk, "primary": p.primary.name, "secondary": p.secondary.name,
                          "epoch": p.epoch, "paused": hold_reason(p.pk)} for p in pairings],
            "switchovers": [switchover_json(s) for s in switchovers],
        }, indent=2))
