"""The charts' data, as JSON for the pages' scripts, and the pairing's chart page.

Whoever sees a service sees its charts: a tenant only its own services' (another
tenant's service is a 404, as its page is), also on a pairing's page."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from backups.access import visible_services
from backups.series import ROUNDS_SHOWN, pairing_series, service_series
from console import clock
from console.models import Pairing
from console.roles import Role, role_required

ANY_ROLE = (Role.ADMINISTRATOR, Role.OPERATOR, Role.TENANT)


@require_GET
@role_required(*ANY_ROLE)
def service_series_json(request: HttpRequest, pk: int) -> JsonResponse:
    service = get_object_or_404(visible_services(request.user), pk=pk)
    return JsonResponse(service_series(service, clock.now()))


@require_GET
@role_required(*ANY_ROLE)
def pairing_charts(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = get_object_or_404(Pairing.objects.select_related("primary", "secondary"), pk=pk)
    services = visible_services(request.user).filter(pairing=pairing)
    return render(request, "backups/pairing_charts.html", {
        "pairing": pairing, "services": services, "rounds_shown": ROUNDS_SHOWN})


@require_GET
@role_required(*ANY_ROLE)
def pairing_series_json(request: HttpRequest, pk: int) -> JsonResponse:
    pairing = get_object_or_404(Pairing, pk=pk)
    services = visible_services(request.user).filter(pairing=pairing)
    return JsonResponse(pairing_series(services, clock.now()))
