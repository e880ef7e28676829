"""JSON API for rounds: read one, start one now, cancel or retry one; the pages' roles
and checks."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from backups.access import changeable_service
from backups.cancelling import CancelRefused, cancel_round
from backups.events import round_json, task_json
from backups.preparing import run_now
from backups.retrying import RetryRefused, retry_round
from backups.round_views import ANY_ROLE, visible_rounds
from console import audit
from console.api import ApiError, api_view
from console.errors import Refused
from console.roles import Role


def _round_json(round_) -> dict:
    return {**round_json(round_), "tasks": [task_json(t) for t in round_.tasks.all()]}


@api_view({"GET"}, ANY_ROLE)
def round_detail(request: HttpRequest, pk: int) -> tuple[int, object]:
    return 200, _round_json(get_object_or_404(visible_rounds(request.user), pk=pk))


@api_view({"POST"}, (Role.ADMINISTRATOR, Role.TENANT))
def service_run_now(request: HttpRequest, pk: int) -> tuple[int, object]:
    service = changeable_service(request.user, pk)
    if service.pairing is None:
        raise ApiError(409, "The service has no pairing: edit it to choose one.")
    try:
        round_ = run_now(service)
    except Refused as refusal:
        raise ApiError(409, str(refusal)) from refusal
    audit.record(request, "round.run_now", round_)
    return 201, _round_json(round_)


@api_view({"POST"}, ANY_ROLE)
def round_cancel(request: HttpRequest, pk: int) -> tuple[int, object]:
    round_ = get_object_or_404(visible_rounds(request.user), pk=pk)
    try:
        cancel_round(round_, by=request.user.get_username())
    except CancelRefused as refusal:
        raise ApiError(409, str(refusal)) from refusal
    audit.record(request, "round.cancel", round_)
    return 200, _round_json(round_)


@api_view({"POST"}, ANY_ROLE)
def round_retry(request: HttpRequest, pk: int) -> tuple[int, object]:
    round_ = get_object_or_404(visible_rounds(request.user), pk=pk)
    try:
        tasks = retry_round(round_)
    except RetryRefused as refusal:
        raise ApiError(409, str(refusal)) from refusal
    audit.record(request, "round.retry", round_,
                 detail=", ".join(task.locator for task in tasks))
    return 200, _round_json(round_)
