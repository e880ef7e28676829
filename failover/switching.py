"""What operators decide: confirm a failover, and within its window roll it back or
commit it; start a planned switchover; resume a switchover that failed half-way.

Each decision names the cluster that is primary after it, typed exactly, and gives a
reason (the patent's guard against one wrong click, or a faulty program, flipping
identities). Deciding records the switchover and hands its steps (failover/steps.py) to a
worker, or to the caller's process (`run`): the decision itself calls no cluster. Pages,
the API and the commands audit each decision and each refusal.

A failover holds the pairing's backups (failover/holds.py) until it is committed or
rolled back: committing accepts the new primary for good (backups resume from it, and
the old primary's data beyond the last restore point is given up); rolling back
promotes the old primary again in a new epoch, as the failover left it.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from console import clock
from console.errors import Refused
from console.models import Cluster, Pairing
from failover.events import publish_switchover
from failover.holds import holding_failover
from failover.models import (
    ClusterStatus,
    FaultPrompt,
    PromptState,
    Switchover,
    SwitchoverKind,
    SwitchoverState,
)
from failover.release import enqueue_release
from failover.running import enqueue_switchover
from failover.transitions import move_prompt, move_switchover
from notifications import reports

Run = Callable[[Switchover], None]
# How recent the monitor's probe of both clusters must be for a planned switchover.
STATUS_FRESH = timedelta(minutes=1)


class FailoverRefused(Refused):
    """A decision asked for wrongly (the name typed, the reason); the problems say what to
    change (the API's 400)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


class FailoverConflict(Refused):
    """A decision that the state of the pairing, prompt or switchover rules out now
    (the API's 409); the message says why."""


def _check_decision(typed_name: str, primary_after: Cluster, reason: str) -> None:
    problems = []
    if typed_name != primary_after.name:
        problems.append(f"Type the name of the cluster that becomes primary, {primary_after}, "
                        "exactly as it is written, to confirm.")
    if not reason.strip():
        problems.append("Give a reason: it is kept with the switchover and in the audit "
                        "trail.")
    if problems:
        raise FailoverRefused(problems)


def _start(run: Run, switchover: Switchover) -> Switchover:
    publish_switchover(switchover)
    reports.switchover_started(switchover)
    transaction.on_commit(lambda: run(switchover))
    return switchover


def confirm_failover(prompt: FaultPrompt, by: str, typed_name: str, reason: str,
                     run: Run = enqueue_switchover) -> Switchover:
    """Confirm the failover an open fault prompt asks for: the prompt's cluster must still
    be its pairing's primary, and the confirmer types the secondary's name."""
    if prompt.pairing is None:
        raise FailoverConflict("The prompt's pairing no longer exists: nothing to fail over.")
    return failover(prompt.pairing, by, typed_name, reason, prompt=prompt, run=run)


def failover(pairing: Pairing, by: str, typed_name: str, reason: str,
             prompt: FaultPrompt | None = None, run: Run = enqueue_switchover) -> Switchover:
    """Fail `pairing` over to its secondary. Without a prompt (the API, the command), the
    open prompt of the pairing's primary, if one is open, is confirmed with it."""
    pairing = Pairing.objects.select_related("primary", "secondary").get(pk=pairing.pk)
    _check_decision(typed_name, pairing.secondary, reason)
    if prompt is None:
        prompt = FaultPrompt.objects.filter(cluster=pairing.primary,
                                            state=PromptState.OPEN).first()
    elif prompt.state != PromptState.OPEN:
        raise FailoverConflict(f"The prompt is {prompt.get_state_display()}: only an open "
                               "prompt can be confirmed.")
    elif (prompt.cluster_id, prompt.pairing_id) != (pairing.primary_id, pairing.pk):
        raise FailoverConflict(f"The prompt is about {prompt.cluster}, which is not the "
                               f"primary of {pairing} now: nothing to fail over.")
    _refuse_if_held(pairing)
    now = clock.now()
    steps = {"fault_seen": prompt.fault_since.isoformat(),
             "prompted": prompt.opened_at.isoformat()} if prompt else {}
    with _one_running():
        if prompt is not None and not move_prompt(
                prompt, PromptState.CONFIRMED, decided_by=by, decided_at=now,
                reason=reason.strip()):
            raise FailoverConflict(f"The prompt was {prompt.get_state_display()} just now "
                                   "by someone else: reload the page.")
        switchover = _record_switchover(pairing, SwitchoverKind.FAILOVER, by, reason, now,
                                        steps, prompt)
    return _start(run, switchover)


@contextmanager
def _one_running() -> Iterator[None]:
    """A transaction in which a second running switchover of a pairing is refused."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        raise FailoverConflict("Another switchover of this pairing is running: wait for it, "
                               "then reload.") from error


def _record_switchover(pairing: Pairing, kind: str, by: str, reason: str, now: datetime,
                       steps: dict, prompt: FaultPrompt | None = None) -> Switchover:
    """A failover or planned switchover of the pairing's primary to its secondary."""
    return Switchover.objects.create(
        pairing=pairing, kind=kind, prompt=prompt,
        old_primary=pairing.primary, new_primary=pairing.secondary,
        epoch_before=pairing.epoch, epoch_after=pairing.epoch + 1, by=by,
        reason=reason.strip(),
        # Paused by the switchover's very record (failover/holds.py).
        steps={**steps, "confirmed": now.isoformat(), "backups_paused": now.isoformat()},
        services=_service_entries(pairing))


def _refuse_if_held(pairing: Pairing) -> None:
    holding = holding_failover(pairing.pk)
    if holding is None:
        return
    if holding.kind == SwitchoverKind.PLANNED:
        raise FailoverConflict(f"The planned switchover {holding.pk} of this pairing is "
                               f"{holding.get_state_display()}: wait for it to end, or "
                               "resume it.")
    raise FailoverConflict(f"The failover {holding.pk} of this pairing is "
                           f"{holding.get_state_display()}: commit it or roll it back first.")


def _service_entries(pairing: Pairing) -> list[dict]:
    """Each service of the pairing, with its policy as the switchover found it."""
    return [{"service": service.pk, "name": str(service),
             "policy": "enabled" if service.policy.enabled else "disabled"}
            for service in pairing.services.select_related("tenant", "policy")]


def planned_switchover(pairing: Pairing, by: str, typed_name: str, reason: str,
                       run: Run = enqueue_switchover) -> Switchover:
    """Make the healthy secondary primary without losing a write: the primary is fenced,
    every service's final round runs, and the roles reverse (failover/planned.py)."""
    pairing = Pairing.objects.select_related("primary", "secondary").get(pk=pairing.pk)
    _check_decision(typed_name, pairing.secondary, reason)
    _check_healthy(pairing)
    _refuse_if_held(pairing)
    with _one_running():
        switchover = _record_switchover(pairing, SwitchoverKind.PLANNED, by, reason,
                                        clock.now(), {})
    return _start(run, switchover)


def _check_healthy(pairing: Pairing) -> None:
    """Both clusters answered the monitor's last probe, and it was recent."""
    problems = []
    for cluster in (pairing.primary, pairing.secondary):
        status = ClusterStatus.objects.filter(cluster=cluster).first()
        if status is None or status.checked_at is None:
            problems.append(f"The monitor has not checked {cluster} yet (is `manage.py "
                            "monitor` running?).")
        elif clock.now() - status.checked_at > STATUS_FRESH:
            problems.append(f"The monitor last checked {cluster} at "
                            f"{status.checked_at:%Y-%m-%d %H:%M:%S %Z} (is `manage.py "
                            "monitor` running?).")
        elif not status.healthy:
            failing = ", ".join(name for name, endpoint in status.endpoints.items()
                                if not endpoint.get("ok"))
            problems.append(f"{cluster} is not healthy: {failing or 'see the Failover page'} "
                            "failed the monitor's last probe.")
    if problems:
        raise FailoverConflict(" ".join(problems) + " A planned switchover needs both "
                               "clusters answering; when the primary has failed, fail over "
                               "instead.")


def _undecided_failover(switchover: Switchover) -> Switchover:
    switchover = Switchover.objects.select_related(
        "pairing", "old_primary", "new_primary").get(pk=switchover.pk)
    if switchover.kind != SwitchoverKind.FAILOVER:
        raise FailoverConflict(f"Switchover {switchover.pk} is a "
                               f"{switchover.get_kind_display()}: only a failover is committed "
                               "or rolled back.")
    if switchover.state != SwitchoverState.DONE:
        raise FailoverConflict(f"The failover is {switchover.get_state_display()}: only one "
                               "that is done can be committed or rolled back.")
    if switchover.decided_by:
        rollback = switchover.rollbacks.get()
        raise FailoverConflict(
            f"{switchover.decided_by} is rolling it back (switchover {rollback.pk}, "
            f"{rollback.get_state_display()}): resume that one if it failed.")
    return switchover


def rollback_failover(switchover: Switchover, by: str, typed_name: str, reason: str,
                      run: Run = enqueue_switchover) -> Switchover:
    """Promote the failover's old primary again, in a new epoch, within its window;
    returns the rollback, a switchover of its own."""
    failed_over = _undecided_failover(switchover)
    now = clock.now()
    if failed_over.window_until is not None and now > failed_over.window_until:
        raise FailoverConflict(
            f"Its window closed at {failed_over.window_until:%Y-%m-%d %H:%M:%S %Z} "
            "(LOCKSTEP_FAILOVER_WINDOW): the old primary is too far behind to return to. "
            "Commit it.")
    _check_decision(typed_name, failed_over.old_primary, reason)
    pairing = failed_over.pairing
    if (pairing.primary_id, pairing.epoch) != (failed_over.new_primary_id,
                                              failed_over.epoch_after):
        raise FailoverConflict("The pairing changed since the failover: it can no longer be "
                               "rolled back.")
    with _one_running():
        # The decision is claimed: a commit at the same moment loses.
        if not Switchover.objects.filter(pk=failed_over.pk, state=SwitchoverState.DONE,
                                         decided_by="").update(decided_by=by, decided_at=now):
            raise FailoverConflict("Someone else decided on it just now: reload.")
        rollback = Switchover.objects.create(
            pairing=pairing, kind=SwitchoverKind.ROLLBACK, rolls_back=failed_over,
            old_primary=failed_over.new_primary, new_primary=failed_over.old_primary,
            epoch_before=pairing.epoch, epoch_after=pairing.epoch + 1, by=by,
            reason=reason.strip(), steps={"confirmed": now.isoformat()})
    publish_switchover(failed_over)
    return _start(run, rollback)


def commit_failover(switchover: Switchover, by: str, typed_name: str,
                    reason: str) -> Switchover:
    """Accept the failover for good: its hold ends, so backups resume from the new primary
    and retention may delete restore points again; a worker releases the old direction's
    snapshots (failover/release.py)."""
    failed_over = _undecided_failover(switchover)
    _check_decision(typed_name, failed_over.new_primary, reason)
    if not move_switchover(failed_over, SwitchoverState.COMMITTED, where={"decided_by": ""},
                           decided_by=by, decided_at=clock.now()):
        raise FailoverConflict("Someone else decided on it just now: reload.")
    publish_switchover(failed_over)
    transaction.on_commit(lambda: enqueue_release(failed_over))
    return failed_over


def resume_failed(switchover: Switchover, run: Run = enqueue_switchover) -> Switchover:
    """Carry on a switchover that failed, once the operator removed what failed it: its
    steps run again from the first one not recorded."""
    try:
        with transaction.atomic():
            moved = move_switchover(switchover, SwitchoverState.RUNNING, finished_at=None)
    except IntegrityError as error:
        raise FailoverConflict("Another switchover of this pairing is running: wait for it, "
                               "then resume this one.") from error
    if not moved:
        raise FailoverConflict(f"Switchover {switchover.pk} is "
                               f"{switchover.get_state_display()}: only a failed one is "
                               "resumed by hand.")
    return _start(run, switchover)
