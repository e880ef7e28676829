"""Rounds: their list and pages, live over the console's websocket; run now, cancel, retry,
and the dry run of a service's next round."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backups.access import changeable_service, visible_services
from backups.cancelling import CancelRefused, cancel_round
from backups.list_filters import moment_filters
from backups.models import Round, RoundState, TaskState
from backups.preflight import preflight
from backups.preparing import run_now
from backups.retrying import RetryRefused, retry_refusal, retry_round
from backups.rpo import expected_finish, rpo_status
from backups.scheduling import next_round_moment
from console import audit, clock
from console.errors import Refused
from console.listing import page_of, query_of
from console.refusals import refuse
from console.roles import Role, role_required

ANY_ROLE = (Role.ADMINISTRATOR, Role.OPERATOR, Role.TENANT)


def visible_rounds(user):
    return Round.objects.filter(service__in=visible_services(user)).select_related(
        "service__tenant", "service__policy")


@require_GET
@role_required(*ANY_ROLE)
def round_list(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    services = list(visible_services(request.user))
    breaches = {s.pk: rpo_status(s, now) for s in services}
    rounds, filters = moment_filters(request, visible_rounds(request.user), "state")
    if filters["state"] in RoundState.values:
        rounds = rounds.filter(state=filters["state"])
    page = page_of(request, rounds)
    rows = [(r, breaches.get(r.service_id),
             None if r.finished else expected_finish(r.service, r.started_at),
             next_round_moment(r.service.policy, now)) for r in page]
    template = ("backups/round_rows.html" if request.GET.get("part") == "rows"
                else "backups/rounds.html")
    return render(request, template, {
        "page": page, "rows": rows, "filters": filters, "states": RoundState.choices,
        "services": services,
        "query": query_of(filters),
        "breached": [(s, breaches[s.pk]) for s in services if breaches[s.pk].breach],
        "breach_periods": settings.LOCKSTEP_RPO_BREACH_PERIODS,
    })


@require_GET
@role_required(*ANY_ROLE)
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's page; `?part=live` is the part its script fetches again when the
    round or one of its tasks changes state."""
    round_ = get_object_or_404(visible_rounds(request.user), pk=pk)
    failed = round_.state == RoundState.FAILED
    tasks = list(round_.tasks.all())
    template = ("backups/round_live.html" if request.GET.get("part") == "live"
                else "backups/round_detail.html")
    return render(request, template, {
        "round": round_, "tasks": tasks,
        "restore_point": getattr(round_, "restore_point", None),
        # Whoever sees a round may retry it, as they may cancel it.
        "retry_refusal": retry_refusal(round_) if failed else None,
        "failed": failed,
        "failed_tasks": sum(task.state == TaskState.FAILED for task in tasks),
        "moving": {key: sum(getattr(task, key) for task in tasks)
                   for key in ("files_done", "files_total", "bytes_done", "bytes_total")},
        # A retried copy undoes its earlier attempt's partial copy again: list each once.
        "rolled_back": list(dict.fromkeys(round_.rolled_back)),
    })


@require_POST
@role_required(Role.ADMINISTRATOR, Role.TENANT)
def service_run_now(request: HttpRequest, pk: int) -> HttpResponse:
    service = changeable_service(request.user, pk)
    if service.pairing is None:
        messages.error(request, "The service has no pairing: edit it to choose one.")
        return redirect("service-detail", pk=pk)
    try:
        round_ = run_now(service)
    except Refused as refusal:
        refuse(request, "round.run_now", service, refusal)
        return redirect("service-detail", pk=pk)
    audit.record(request, "round.run_now", round_)
    messages.success(request, f"Round at {round_.moment:%H:%M:%S} prepared.")
    return redirect("round-detail", pk=round_.pk)


@require_POST
@role_required(*ANY_ROLE)
def round_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = get_object_or_404(visible_rounds(request.user), pk=pk)
    try:
        cancel_round(round_, by=request.user.get_username())
    except CancelRefused as refusal:
        refuse(request, "round.cancel", round_, refusal)
    else:
        audit.record(request, "round.cancel", round_)
        messages.success(request, "Round cancelled: its copies stop and its snapshot is "
                                  "deleted; the next round starts from the last restore point.")
    return redirect("round-detail", pk=pk)


@require_POST
@role_required(*ANY_ROLE)
def round_retry(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = get_object_or_404(visible_rounds(request.user), pk=pk)
    try:
        tasks = retry_round(round_)
    except RetryRefused as refusal:
        refuse(request, "round.retry", round_, refusal)
    else:
        audit.record(request, "round.retry", round_,
                     detail=", ".join(task.locator for task in tasks))
        messages.success(request, f"Copying {len(tasks)} failed data "
                                  f"set{'s' if len(tasks) != 1 else ''} again from the "
                                  "round's snapshot at T.")
    return redirect("round-detail", pk=pk)


@require_http_methods(["GET", "POST"])
@role_required(*ANY_ROLE)
def service_dry_run(request: HttpRequest, pk: int) -> HttpResponse:
    """The checks of a service's next round, read-only: at a URL of its own that can be
    bookmarked and reloaded (a POST from an older page is sent there)."""
    service = get_object_or_404(visible_services(request.user), pk=pk)
    if request.method == "POST":
        return redirect("service-dry-run", pk=pk)
    if service.pairing is None:
        messages.error(request, "The service has no pairing: edit it to choose one.")
        return redirect("service-detail", pk=pk)
    checks = preflight(service, service.pairing)
    return render(request, "backups/preflight.html", {"service": service, "checks": checks})
