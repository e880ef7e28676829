"""JSON API of the Failover page: its facts, and dismissing a fault prompt."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from console import clock
from console.api import ApiError, api_view, json_body
from console.fields import Fields
from failover.events import prompt_json
from failover.models import FaultPrompt
from failover.overview import overview, overview_json
from failover.prompts import DECIDERS, PromptDecided, dismiss_prompt


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
