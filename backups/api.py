"""JSON API for services, their protection groups and policies."""

from datetime import datetime, timedelta

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from backups.access import can_change, tenants_for, visible_services
from backups.discovery import discover
from backups.forms import parse_identifier
from backups.models import Direction, Service
from backups.protection import ServiceRequest, save_service
from backups.scheduling import next_round_moment
from console import audit
from console.api import ApiError, api_view, json_body
from console.errors import Refused
from console.models import Pairing
from console.roles import Role

ANY_ROLE = (Role.ADMINISTRATOR, Role.OPERATOR, Role.TENANT)
CHANGERS = (Role.ADMINISTRATOR, Role.TENANT)


def service_json(service: Service) -> dict:
    policy = service.policy
    moment = next_round_moment(policy, timezone.now())
    return {
        "id": service.pk,
        "tenant": service.tenant.name,
        "name": service.name,
        "description": service.description,
        "pairing": service.pairing_id,
        "data_sets": [{"component": d.component, "locator": d.locator,
                       "storage_path": d.storage_path} for d in service.data_sets.all()],
        "policy": {
            "first_moment": policy.first_moment.isoformat(),
            "period_seconds": int(policy.period.total_seconds()) if policy.period else None,
            "retention": policy.retention,
            "consistency": policy.consistency,
            "skew_limit_ms": int(policy.skew_limit.total_seconds() * 1000),
            "direction": policy.direction,
            "enabled": policy.enabled,
            "next_moment": moment.isoformat() if moment else None,
        },
    }


def _data_sets(raw: object) -> list[tuple[str, str]]:
    if not isinstance(raw, list):
        raise ApiError(400, "`data_sets` must be a list of identifiers or "
                            "{component, locator} objects.")
    found = []
    for item in raw:
        if isinstance(item, str):
            found.append(parse_identifier(item))
        elif isinstance(item, dict) and {"component", "locator"} <= item.keys():
            found.append((str(item["component"]), str(item["locator"])))
        else:
            raise ApiError(400, f"Not a data set: {item!r}.")
    return found


def _moment(raw: object) -> datetime:
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError as error:
        raise ApiError(400, f"`first_moment` is not an ISO 8601 moment: {raw!r}.") from error
    if moment.tzinfo is None:
        raise ApiError(400, "`first_moment` needs a UTC offset, e.g. 2026-12-01T13:00:00+01:00.")
    return moment


def request_from_json(body: dict, user, current: Service | None) -> ServiceRequest:
    """A service request from the API's JSON (also `manage.py services save`)."""
    if current is not None:
        body = {**service_json(current), **service_json(current)["policy"], **body}
    tenant = tenants_for(user).filter(name=body.get("tenant")).first()
    if tenant is None:
        raise ApiError(400, f"You may not define services for tenant {body.get('tenant')!r}.")
    period = body.get("period_seconds")
    if period is not None and (not isinstance(period, int) or isinstance(period, bool)):
        raise ApiError(400, "`period_seconds` must be a whole number of seconds, or null.")
    direction = body.get("direction", Direction.PULL)
    if direction not in Direction.values:
        raise ApiError(400, f"`direction` is one of {', '.join(Direction.values)}.")
    try:
        retention = int(body.get("retention", 24))
        skew = timedelta(milliseconds=int(body.get("skew_limit_ms", 50)))
    except (TypeError, ValueError) as error:
        raise ApiError(400, "`retention` and `skew_limit_ms` must be numbers.") from error
    return ServiceRequest(
        tenant=tenant,
        name=str(body.get("name", "")),
        pairing=Pairing.objects.filter(pk=body.get("pairing")).first(),
        data_sets=_data_sets(body.get("data_sets", [])),
        first_moment=_moment(body.get("first_moment")),
        period=timedelta(seconds=period) if period is not None else None,
        retention=retention,
        description=str(body.get("description", "")),
        direction=direction,
        skew_limit=skew,
        enabled=bool(body.get("enabled", True)),
    )


def _save(request: HttpRequest, current: Service | None) -> Service:
    service_request = request_from_json(json_body(request), request.user, current)
    try:
        saved = save_service(service_request, request.user.get_username(), current)
    except Refused as error:
        audit.record(request, "service.save", service_request.name,
                     outcome=audit.Outcome.REFUSED, detail=str(error))
        raise
    audit.record(request, "service.update" if current else "service.create", saved)
    return saved


@api_view({"GET", "POST"}, ANY_ROLE)
def services(request: HttpRequest) -> tuple[int, object]:
    if request.method == "GET":
        return 200, [service_json(s) for s in visible_services(request.user)]
    return 201, service_json(_save(request, None))


@api_view({"GET", "PUT", "DELETE"}, ANY_ROLE)
def service(request: HttpRequest, pk: int) -> tuple[int, object]:
    found = get_object_or_404(visible_services(request.user), pk=pk)
    if request.method == "GET":
        return 200, service_json(found)
    if not can_change(request.user, found):
        raise ApiError(403, "Only the service's tenant or an administrator may change it.")
    if request.method == "PUT":
        return 200, service_json(_save(request, found))
    label = str(found)
    found.delete()
    audit.record(request, "service.delete", label)
    return 200, {"deleted": label}


@api_view({"GET"}, CHANGERS)
def candidates(request: HttpRequest) -> tuple[int, object]:
    """The data sets a tenant may protect on a pairing's primary, found live."""
    tenant = tenants_for(request.user).filter(name=request.GET.get("tenant")).first()
    found_pairing = Pairing.objects.filter(pk=request.GET.get("pairing")).first()
    if tenant is None or found_pairing is None:
        raise ApiError(400, "Give ?tenant=NAME (one of yours) and ?pairing=ID.")
    return 200, [{"component": c.component, "locator": c.locator,
                  "storage_path": c.storage_path, "size_bytes": c.size_bytes}
                 for c in discover(found_pairing.primary, tenant)]
