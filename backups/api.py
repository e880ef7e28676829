"""JSON API for services, their protection groups and policies.

Refusals are audited once per request by `console.api`; the views audit what they change.
"""

from datetime import timedelta

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from adapters.hiveserver2 import HiveServer2Error
from adapters.webhdfs import WebHdfsError
from backups.access import can_change, tenants_for, visible_services
from backups.discovery import discover
from backups.forms import parse_identifier
from backups.models import MAX_RETENTION, MAX_SKEW_LIMIT_MS, Direction, Service
from backups.protection import ServiceRequest, save_service
from backups.removal import RemovalRefused, delete_service
from backups.scheduling import HORIZON, horizon_problem, next_round_moment
from console import audit
from console.api import ApiError, api_view, json_body
from console.fields import Fields, text_problem
from console.models import Pairing
from console.roles import Role
from failover.holds import hold_reason

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
            # Why no round runs now although the policy is enabled (an undecided failover).
            "paused": hold_reason(service.pairing_id),
        },
    }


def _data_sets(fields: Fields) -> list[tuple[str, str]]:
    found = []
    for index, item in enumerate(fields.items("data_sets", [])):
        if isinstance(item, str) and not text_problem(item):
            found.append(parse_identifier(item))
        elif isinstance(item, dict) and not (text_problem(item.get("component"))
                                             or text_problem(item.get("locator"))):
            found.append((item["component"], item["locator"]))
        else:
            fields.refuse(f"data_sets[{index}]", "must be an identifier (/path, "
                          "hive:db.table, sparksql:db.table) or a {component, locator} "
                          "object of strings")
    return found


def request_from_json(body: dict, user, current: Service | None) -> ServiceRequest:
    """A service request from the API's JSON (also `manage.py services save`)."""
    if current is not None:
        body = {**service_json(current), **service_json(current)["policy"], **body}
    fields = Fields(body)
    tenant_name = fields.text("tenant")
    pairing_id = fields.identifier("pairing", "pairing", None, nullable=True)
    first_moment = fields.moment("first_moment")
    period = fields.integer("period_seconds", None, minimum=1,
                            maximum=int(HORIZON.total_seconds()), nullable=True)
    skew_ms = fields.integer("skew_limit_ms", 50, minimum=1, maximum=MAX_SKEW_LIMIT_MS)
    name, description = fields.text("name", ""), fields.text("description", "")
    data_sets = _data_sets(fields)
    retention = fields.integer("retention", 24, minimum=1, maximum=MAX_RETENTION)
    direction = fields.choice("direction", Direction.values, Direction.PULL)
    enabled = fields.boolean("enabled", True)
    fields.check()
    # check() refused what was missing or malformed: these are no stand-ins.
    assert first_moment is not None and skew_ms is not None and retention is not None
    tenant = tenants_for(user).filter(name=tenant_name).first()
    if tenant is None:
        fields.refuse("tenant", f"names no tenant you may define services for: "
                                f"{tenant_name[:63]!r}")
    pairing = Pairing.objects.filter(pk=pairing_id).first() if pairing_id else None
    if pairing_id and pairing is None:
        fields.refuse("pairing", f"names no pairing: {pairing_id}")
    if problem := horizon_problem(first_moment, timezone.now()):
        fields.refuse("first_moment", problem)
    fields.check()
    assert tenant is not None  # refused above
    return ServiceRequest(
        tenant=tenant, name=name, pairing=pairing, data_sets=data_sets,
        first_moment=first_moment,
        period=timedelta(seconds=period) if period is not None else None,
        retention=retention, description=description, direction=direction,
        skew_limit=timedelta(milliseconds=skew_ms), enabled=enabled)


def _save(request: HttpRequest, current: Service | None) -> Service:
    service_request = request_from_json(json_body(request), request.user, current)
    saved = save_service(service_request, request.user.get_username(), current)
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
    keep = request.GET.get("keep_restore_points", "false")
    if keep not in ("true", "false"):
        raise ApiError(400, "keep_restore_points must be true or false.",
                       problems=["keep_restore_points: true or false"])
    try:
        removal = delete_service(found, keep_restore_points=keep == "true")
    except RemovalRefused as refusal:
        raise ApiError(409, str(refusal)) from refusal
    audit.record(request, "service.delete", removal.service, detail=removal.summary())
    return 200, {"deleted": removal.service, "snapshots_deleted": removal.snapshots,
                 "restore_points_kept": removal.kept_restore_points}


@api_view({"GET"}, CHANGERS)
def candidates(request: HttpRequest) -> tuple[int, object]:
    """The data sets a tenant may protect on a pairing's primary, found live."""
    query = Fields.query(request.GET)
    tenant_name = query.text("tenant")
    pairing_id = query.identifier("pairing", "pairing")
    query.check()
    assert pairing_id is not None  # check() refused a missing or malformed one
    tenant = tenants_for(request.user).filter(name=tenant_name).first()
    if tenant is None:
        query.refuse("tenant", f"names no tenant of yours: {tenant_name[:63]!r}")
    found_pairing = Pairing.objects.filter(pk=pairing_id).first()
    if found_pairing is None:
        query.refuse("pairing", f"names no pairing: {pairing_id}")
    query.check()
    assert tenant is not None and found_pairing is not None  # refused above
    try:
        found = discover(found_pairing.primary, tenant)
    except (WebHdfsError, HiveServer2Error, ValueError) as error:
        raise ApiError(503, f"Discovery on {found_pairing.primary} failed: {error}") from error
    return 200, [{"component": c.component, "locator": c.locator,
                  "storage_path": c.storage_path, "size_bytes": c.size_bytes} for c in found]
