"""Fault prompts: opened by the monitor, decided by an operator, or closed by a recovery.

A prompt's state changes only through `failover.transitions.move_prompt`. One fault
opens one prompt: the monitor opens it once per fault (`fault_since` names the
fault), and the database keeps one open prompt per cluster at most.
"""

from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from console import audit, clock
from console.errors import Refused
from console.fields import text_problem
from console.models import Cluster, Pairing
from console.roles import Role, has_role
from failover.events import publish_prompt
from failover.models import FaultPrompt, PromptState
from failover.transitions import move_prompt
from notifications import reports

S = PromptState
# Who receives prompts and decides them.
DECIDERS = (Role.OPERATOR, Role.ADMINISTRATOR)


class PromptRefused(Refused):
    """A decision that cannot be taken on this prompt; the message says why."""


class PromptDecided(PromptRefused):
    """The prompt was decided (or closed itself) before this decision."""


def open_prompts() -> QuerySet[FaultPrompt]:
    return FaultPrompt.objects.filter(state=S.OPEN).select_related("cluster")


def prompted(cluster: Cluster, fault_since: datetime) -> bool:
    """Whether this fault of `cluster` was put to the operators already (whatever they
    decided)."""
    return FaultPrompt.objects.filter(cluster=cluster, fault_since=fault_since).exists()


def open_prompt(pairing: Pairing, fault_since: datetime, evidence: dict,
                at_risk: list[dict]) -> FaultPrompt | None:
    """Put the fault of `pairing`'s primary since `fault_since` to the operators; None
    when it was put already, or another prompt for the primary is still open."""
    cluster = pairing.primary
    try:
        with transaction.atomic():
            if prompted(cluster, fault_since):
                return None
            prompt = FaultPrompt.objects.create(pairing=pairing, cluster=cluster,
                                                fault_since=fault_since, evidence=evidence,
                                                at_risk=at_risk)
    except IntegrityError:  # the one open prompt per cluster
        return None
    publish_prompt(prompt)
    reports.prompt_opened(prompt)
    return prompt


def update_at_risk(prompt: FaultPrompt, at_risk: list[dict]) -> None:
    """The data at risk, measured after the prompt opened; shown while it is open."""
    FaultPrompt.objects.filter(pk=prompt.pk).update(at_risk=at_risk)
    prompt.refresh_from_db()
    publish_prompt(prompt)


def close_recovered(cluster: Cluster, note: str) -> list[FaultPrompt]:
    """Close `cluster`'s open prompts: the fault is over. Returns those it closed."""
    closed = []
    for prompt in open_prompts().filter(cluster=cluster):
        with transaction.atomic():
            if move_prompt(prompt, S.RECOVERED, note=note, decided_at=clock.now()):
                closed.append(prompt)
    return closed


def dismiss_prompt(prompt: FaultPrompt, reason: str, by: User | AnonymousUser,
                   request: HttpRequest | None = None) -> None:
    """Dismiss `prompt` for `reason`: recorded with who and when, and audited in the same
    transaction. Refused without a reason, for a role other than operators and
    administrators, and once the prompt was decided."""
    reason = reason.strip()
    if not has_role(by, *DECIDERS):
        raise PromptRefused("Only operators and administrators decide fault prompts.")
    if not reason:
        raise PromptRefused("Say why the fault needs no failover: a dismissal needs a reason.")
    if problem := text_problem(reason):
        raise PromptRefused(f"The reason {problem}.")
    with transaction.atomic(durable=True):
        if not move_prompt(prompt, S.DISMISSED, decided_by=by.get_username(),
                           decided_at=clock.now(), reason=reason):
            raise PromptDecided(f"This prompt was {prompt.get_state_display()} already"
                                + (f" by {prompt.decided_by}" if prompt.decided_by else "")
                                + ": nothing was changed.")
        audit.record(request, "prompt.dismiss", prompt, detail=reason, user=by)


def prompt_banner(request: HttpRequest) -> dict:
    """Template context: `fault_prompts`, the open prompts, for operators and
    administrators on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not has_role(user, *DECIDERS):
        return {"fault_prompts": []}
    return {"fault_prompts": list(open_prompts())}
