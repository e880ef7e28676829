from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from backups.dashboard import AT_RISK, BREACH, SAFE, UNPROTECTED, service_states
from console import audit, clock
from console.heartbeats import process_states
from console.listing import filters_of, page_of, query_of, within_dates
from console.middleware import API_PREFIX
from console.models import AuditEntry
from console.roles import Role, has_role, role_required
from failover.models import ClusterStatus
from failover.prompts import open_prompts


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: every service the user may see judged against its target; for
    operators and administrators the clusters, open fault prompts and processes too."""
    assert request.user.is_authenticated  # LoginRequiredMiddleware let no one else in
    now = clock.now()
    states = service_states(request.user, now)
    context: dict = {
        "tenants": request.user.tenants.all(), "states": states,
        "counts": {verdict: sum(state.verdict == verdict for state in states)
                   for verdict in (BREACH, AT_RISK, SAFE, UNPROTECTED)},
    }
    if has_role(request.user, Role.ADMINISTRATOR, Role.OPERATOR):
        context["clusters"] = ClusterStatus.objects.select_related("cluster").order_by(
            "cluster__name")
        context["prompts"] = list(open_prompts())
        context["processes"] = process_states()
    return render(request, "console/home.html", context)


@require_GET
@role_required(Role.ADMINISTRATOR)
def audit_log(request: HttpRequest) -> HttpResponse:
    """Audit entries, newest first, filtered by the query string (`actor`, `action`,
    `outcome`, and the dates `since` and `until`), so that a filtered log is a link."""
    filters = filters_of(request, ("actor", "action", "outcome", "since", "until"))
    entries = within_dates(AuditEntry.objects.all(), filters, "at")
    if filters["actor"]:
        entries = entries.filter(actor_name__icontains=filters["actor"])
    if filters["action"]:
        entries = entries.filter(action__icontains=filters["action"])
    if filters["outcome"] in AuditEntry.Outcome.values:
        entries = entries.filter(outcome=filters["outcome"])
    return render(request, "console/audit.html", {
        "page": page_of(request, entries), "filters": filters, "query": query_of(filters),
        "outcomes": AuditEntry.Outcome.choices,
    })


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403 page; every refusal is audited so that probing shows up in the trail."""
    audit.record(request, "access", request.path, outcome=audit.Outcome.REFUSED,
                 detail=str(exception))
    return render(request, "403.html", {"reason": str(exception)}, status=403)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 page (JSON under the API); a page that found no object it was asked for, such
    as another tenant's service, is audited like a refusal: probing shows in the trail."""
    user = getattr(request, "user", None)
    if request.resolver_match is not None and user is not None and user.is_authenticated:
        audit.record(request, "access", request.path, outcome=audit.Outcome.REFUSED,
                     detail="not found, or not yours")
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"error": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 page naming what was malformed."""
    return render(request, "400.html", {"reason": str(exception)}, status=400)
