"""Services and their backup policies: tenants change their own, operators read."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from adapters.hiveserver2 import HiveServer2Error
from adapters.webhdfs import WebHdfsError
from backups.access import can_change, changeable_service, tenants_for, visible_services
from backups.dashboard import VERDICTS, service_states
from backups.discovery import discover_recent
from backups.forms import ServiceForm
from backups.models import Service
from backups.protection import (
    ProtectionRefused,
    ServiceRequest,
    protected_elsewhere,
    save_service,
)
from backups.removal import RemovalRefused, delete_service
from backups.rpo import rpo_status
from backups.scheduling import next_round_moment
from backups.series import ROUNDS_SHOWN
from console import audit
from console.fields import parse_id
from console.listing import filters_of, page_of, query_of
from console.models import Pairing, Tenant
from console.refusals import refuse
from console.roles import Role, role_required
from failover.holds import hold_reason

ANY_ROLE = (Role.ADMINISTRATOR, Role.OPERATOR, Role.TENANT)


@require_GET
@role_required(*ANY_ROLE)
def service_list(request: HttpRequest) -> HttpResponse:
    """Services with their recovery point and last round; searched and filtered by the
    query string (`q`, `tenant`, `state`, `policy`), so a filtered list is a link."""
    filters = filters_of(request, ("q", "tenant", "state", "policy"))
    services = visible_services(request.user)
    if filters["q"]:
        services = services.filter(Q(name__icontains=filters["q"])
                                   | Q(tenant__name__icontains=filters["q"])
                                   | Q(data_sets__locator__icontains=filters["q"])).distinct()
    if tenant_id := parse_id(filters["tenant"]):
        services = services.filter(tenant_id=tenant_id)
    if filters["policy"] in ("enabled", "disabled"):
        services = services.filter(policy__enabled=filters["policy"] == "enabled")
    states = sorted(service_states(request.user, timezone.now(), services),
                    key=lambda state: str(state.service))
    if filters["state"] in VERDICTS:
        states = [state for state in states if state.verdict == filters["state"]]
    page = page_of(request, states)
    return render(request, "backups/services.html", {
        "page": page, "filters": filters, "verdicts": VERDICTS,
        "tenants": Tenant.objects.filter(services__in=visible_services(request.user))
        .distinct().order_by("name"),
        "query": query_of(filters),
        "may_create": tenants_for(request.user).exists()})


@require_GET
@role_required(*ANY_ROLE)
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(visible_services(request.user), pk=pk)
    now = timezone.now()
    return render(request, "backups/service_detail.html", {
        "service": service,
        "policy": service.policy,
        "next_moment": next_round_moment(service.policy, now),
        "may_change": can_change(request.user, service),
        "rpo": rpo_status(service, now),
        "paused": hold_reason(service.pairing_id),
        "restore_points": service.restore_points.select_related("round"),
        # The charts' captions; their data comes from chart_views.service_series_json.
        "rounds_shown": ROUNDS_SHOWN,
        "moment_bound_s": settings.LOCKSTEP_MOMENT_BOUND,
    })


def _initial_from(service: Service) -> dict:
    policy = service.policy
    period = policy.period
    unit, count = "once", None
    if period is not None:
        for unit_name, seconds in (("days", 86400), ("hours", 3600), ("minutes", 60)):
            if period.total_seconds() % seconds == 0:
                unit, count = unit_name, int(period.total_seconds() // seconds)
                break
    return {
        "tenant": service.tenant, "name": service.name, "description": service.description,
        "pairing": service.pairing, "first_moment": timezone.localtime(policy.first_moment),
        "period_count": count, "period_unit": unit, "retention": policy.retention,
        "skew_limit_ms": int(policy.skew_limit.total_seconds() * 1000),
        "direction": policy.direction, "enabled": policy.enabled,
        "data_set": [f"{d.component}:{d.locator}" for d in service.data_sets.all()],
    }


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMINISTRATOR, Role.TENANT)
def service_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The policy page. Its first paint asks no cluster anything: the data sets found
    on the primary are fetched by the page (`?part=candidates`) and shown when they come;
    a refused save reuses the last minute's discovery."""
    service = changeable_service(request.user, pk) if pk else None
    part = request.GET.get("part")
    deferred = request.method == "GET" and part != "candidates"
    tenants = tenants_for(request.user)
    source = request.POST if request.method == "POST" else request.GET
    # Read ahead of the form, for discovery: a malformed id falls back to the default
    # here, and the form then names the field.
    tenant_id, pairing_id = parse_id(source.get("tenant")), parse_id(source.get("pairing"))
    tenant = (tenants.filter(pk=tenant_id).first() if tenant_id else None) or (
        service.tenant if service else tenants.first())
    pairing = (Pairing.objects.filter(pk=pairing_id).first() if pairing_id else None) or (
        service.pairing if service and service.pairing else Pairing.objects.first())
    candidates, discovery_error, protected = [], "", {}
    if tenant and pairing and not deferred:
        protected = protected_elsewhere(pairing.primary, tenant, service)
        try:
            candidates = discover_recent(pairing.primary, tenant,
                                         fresh=bool(request.GET.get("fresh")))
        except (WebHdfsError, HiveServer2Error, ValueError) as error:
            discovery_error = f"Discovery on {pairing.primary} failed: {error}"
    initial = _initial_from(service) if service else {"tenant": tenant, "pairing": pairing}
    form = ServiceForm(request.POST or None, tenants=tenants, candidates=candidates,
                       initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        service_request = ServiceRequest(
            tenant=data["tenant"], name=data["name"], pairing=data["pairing"],
            data_sets=[tuple(item) for item in data["identifiers"]],
            first_moment=data["first_moment"], period=data["period"],
            retention=data["retention"], description=data["description"],
            direction=data["direction"], enabled=data["enabled"],
            skew_limit=timedelta(milliseconds=data["skew_limit_ms"]),
        )
        try:
            # Moments in the messages read in the zone the user typed T0 in.
            with timezone.override(data["first_moment"].tzinfo):
                saved = save_service(service_request, request.user.get_username(), service)
        except ProtectionRefused as error:
            for problem in error.problems:
                form.add_error(None, problem)
            audit.record(request, "service.save", data["name"], outcome=audit.Outcome.REFUSED,
                         detail=str(error))
        else:
            audit.record(request, "service.update" if service else "service.create", saved)
            messages.success(request, f"Service {saved.name} saved.")
            return redirect("service-detail", pk=saved.pk)
    template = ("backups/candidate_rows.html" if part == "candidates"
                else "backups/service_form.html")
    return render(request, template, {
        "form": form, "service": service, "candidates": candidates,
        "discovery_error": discovery_error, "pairing": pairing, "protected": protected,
        "pairings": Pairing.objects.select_related("primary", "secondary"),
        "deferred": deferred and bool(tenant and pairing),
    })


@require_POST
@role_required(Role.ADMINISTRATOR, Role.TENANT)
def service_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    service = changeable_service(request.user, pk)
    policy = service.policy
    if not policy.enabled and service.pairing is None:
        messages.error(request, "Point the service at a pairing before enabling its policy.")
        return redirect("service-detail", pk=pk)
    policy.enabled = not policy.enabled
    policy.save(update_fields=["enabled", "updated_at"])
    action = "policy.enable" if policy.enabled else "policy.disable"
    audit.record(request, action, service)
    return redirect("service-detail", pk=pk)


@require_POST
@role_required(Role.ADMINISTRATOR, Role.TENANT)
def service_delete(request: HttpRequest, pk: int) -> HttpResponse:
    service = changeable_service(request.user, pk)
    try:
        removal = delete_service(service, request.POST.get("keep_restore_points") == "on")
    except RemovalRefused as refusal:
        refuse(request, "service.delete", service, refusal)
        return redirect("service-detail", pk=pk)
    audit.record(request, "service.delete", removal.service, detail=removal.summary())
    messages.success(request, removal.summary())
    return redirect("services")
