"""JSON API of the Failover page: its facts, dismissing a fault prompt, confirming a
failover, rolling it back or committing it, starting a planned switchover, resuming a
failed switchover, listing them;
the checks, roles and audit of the page.

Operators and administrators only (administrators hold every role); a tenant's token is
refused (403). A decision answers 202 with the switchover: its steps run on a worker and
its page (or GET) shows them as they are done.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from console import audit, clock
from console.api import ApiError, api_view, json_body
from console.fields import Fields
from console.models import Pairing
from failover.events import prompt_json, switchover_json
from failover.models import FaultPrompt, Switchover
from failover.overview import overview, overview_json
from failover.prompts import DECIDERS, PromptDecided, dismiss_prompt
from failover.switching import (
    FailoverConflict,
    commit_failover,
    confirm_failover,
    failover,
    planned_switchover,
    resume_failed,
    rollback_failover,
)


@api_view({"GET"}, DECIDERS)
def status(request: HttpRequest) -> tuple[int, object]:
    return 200, overview_json(overview(clock.now()))


@api_view({"POST"}, DECIDERS)
def prompt_dismiss(request: HttpRequest, pk: int) -> tuple[int, object]:
    prompt = get_object_or_404(FaultPrompt, pk=pk)
    fields = Fields(json_body(request))
    reason = fields.text("reason")
    fields.check()
    try:
        dismiss_prompt(prompt, reason, by=request.user, request=request)
    except PromptDecided as refusal:
        raise ApiError(409, str(refusal)) from refusal
    return 200, prompt_json(prompt)


def _switchovers():
    return Switchover.objects.select_related("old_primary", "new_primary")


def _decision(request: HttpRequest, fields: Fields) -> tuple[str, str, str]:
    """(who, the name typed, the reason) of a decision's body."""
    typed_name, reason = fields.text("typed_name"), fields.text("reason")
    fields.check()
    return request.user.get_username(), typed_name, reason


def _decide(decide: Callable[[], Switchover]) -> Switchover:
    try:
        return decide()
    except FailoverConflict as conflict:
        raise ApiError(409, str(conflict)) from conflict


@api_view({"POST"}, DECIDERS)
def confirm(request: HttpRequest) -> tuple[int, object]:
    """`{"prompt": ID}` (an open fault prompt) or `{"pairing": ID}`, with `typed_name`
    (the secondary's name) and `reason`."""
    fields = Fields(json_body(request))
    prompt_id = fields.identifier("prompt", "fault prompt", None)
    pairing_id = fields.identifier("pairing", "pairing", None)
    if ("prompt" in fields.data) == ("pairing" in fields.data):
        fields.refuse("prompt", "or `pairing` is required, one of them")
    by, typed_name, reason = _decision(request, fields)
    if prompt_id is not None:
        prompt = get_object_or_404(FaultPrompt.objects.select_related("pairing"), pk=prompt_id)
        switchover = _decide(lambda: confirm_failover(prompt, by, typed_name, reason))
    else:
        pairing = get_object_or_404(Pairing, pk=pairing_id)
        switchover = _decide(lambda: failover(pairing, by, typed_name, reason))
    audit.record(request, "failover.confirm", switchover, detail=reason)
    return 202, switchover_json(switchover)


@api_view({"POST"}, DECIDERS)
def switchover_planned(request: HttpRequest) -> tuple[int, object]:
    """`{"pairing": ID}` with `typed_name` (the secondary's name) and `reason`: both
    clusters must be healthy."""
    fields = Fields(json_body(request))
    pairing_id = fields.identifier("pairing", "pairing")
    by, typed_name, reason = _decision(request, fields)
    pairing = get_object_or_404(Pairing, pk=pairing_id)
    started = _decide(lambda: planned_switchover(pairing, by, typed_name, reason))
    audit.record(request, "failover.switchover", started, detail=reason)
    return 202, switchover_json(started)


@api_view({"GET"}, DECIDERS)
def switchovers(request: HttpRequest) -> tuple[int, object]:
    return 200, [switchover_json(found) for found in _switchovers()]


@api_view({"GET"}, DECIDERS)
def switchover(request: HttpRequest, pk: int) -> tuple[int, object]:
    return 200, switchover_json(get_object_or_404(_switchovers(), pk=pk))


@api_view({"POST"}, DECIDERS)
def rollback(request: HttpRequest, pk: int) -> tuple[int, object]:
    """`typed_name` (the old primary's name, primary again after) and `reason`."""
    found = get_object_or_404(_switchovers(), pk=pk)
    by, typed_name, reason = _decision(request, Fields(json_body(request)))
    started = _decide(lambda: rollback_failover(found, by, typed_name, reason))
    audit.record(request, "failover.rollback", found, detail=reason)
    return 202, switchover_json(started)


@api_view({"POST"}, DECIDERS)
def commit(request: HttpRequest, pk: int) -> tuple[int, object]:
    """`typed_name` (the new primary's name) and `reason`."""
    found = get_object_or_404(_switchovers(), pk=pk)
    by, typed_name, reason = _decision(request, Fields(json_body(request)))
    committed = _decide(lambda: commit_failover(found, by, typed_name, reason))
    audit.record(request, "failover.commit", committed, detail=reason)
    return 200, switchover_json(committed)


@api_view({"POST"}, DECIDERS)
def resume(request: HttpRequest, pk: int) -> tuple[int, object]:
    """A failed switchover, once what failed it is put right."""
    found = get_object_or_404(_switchovers(), pk=pk)
    resumed = _decide(lambda: resume_failed(found))
    audit.record(request, "failover.resume", resumed)
    return 202, switchover_json(resumed)
