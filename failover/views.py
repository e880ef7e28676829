"""The Failover page and its decisions: operators and administrators only."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from console import audit, clock
from console.errors import Refused
from console.models import Pairing
from console.roles import role_required
from failover.models import FaultPrompt
from failover.overview import overview
from failover.prompts import DECIDERS, PromptRefused, dismiss_prompt
from failover.switching import confirm_failover, planned_switchover


@require_GET
@role_required(*DECIDERS)
def failover_page(request: HttpRequest) -> HttpResponse:
    return render(request, "failover/failover.html", {"overview": overview(clock.now())})


@require_POST
@role_required(*DECIDERS)
def prompt_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    prompt = get_object_or_404(FaultPrompt, pk=pk)
    try:
        dismiss_prompt(prompt, request.POST.get("reason", ""), by=request.user,
                       request=request)
    except PromptRefused as refusal:
        audit.record(request, "prompt.dismiss", prompt, outcome=audit.Outcome.REFUSED,
                     detail=str(refusal))
        messages.error(request, f"Not dismissed: {refusal}")
    else:
        messages.success(request, f"Dismissed the fault prompt for {prompt.cluster}: "
                                  "nothing was switched.")
    return redirect("failover")


@require_POST
@role_required(*DECIDERS)
def prompt_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    prompt = get_object_or_404(FaultPrompt, pk=pk)
    typed_name, reason = request.POST.get("typed_name", ""), request.POST.get("reason", "")
    try:
        switchover = confirm_failover(prompt, by=request.user.get_username(),
                                      typed_name=typed_name, reason=reason)
    except Refused as refusal:
        audit.record(request, "failover.confirm", prompt, outcome=audit.Outcome.REFUSED,
                     detail=str(refusal))
        messages.error(request, f"Failover not started: {refusal}")
    else:
        audit.record(request, "failover.confirm", switchover, detail=reason)
        messages.success(request, f"Failover started: {switchover}.")
    return redirect("failover")


@require_POST
@role_required(*DECIDERS)
def switchover_start(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = get_object_or_404(Pairing, pk=pk)
    typed_name, reason = request.POST.get("typed_name", ""), request.POST.get("reason", "")
    try:
        switchover = planned_switchover(pairing, by=request.user.get_username(),
                                        typed_name=typed_name, reason=reason)
    except Refused as refusal:
        audit.record(request, "failover.switchover", pairing, outcome=audit.Outcome.REFUSED,
                     detail=str(refusal))
        messages.error(request, f"Planned switchover not started: {refusal}")
    else:
        audit.record(request, "failover.switchover", switchover, detail=reason)
        messages.success(request, f"Planned switchover started: {switchover}. The primary's "
                                  "writes are fenced until its final rounds are done.")
    return redirect("failover")
