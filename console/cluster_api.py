"""JSON API for clusters and pairings, with the pages' validation and roles.

Refusals are audited once per request by `console.api`; the views audit what they change.
"""

from django.db import models
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from console import audit
from console.api import ApiError, api_view, json_body
from console.clusters import cluster_state, remove_cluster, state_json
from console.fields import MAX_ID, Fields
from console.forms import WRITE_ONLY, ClusterForm
from console.models import Cluster, Pairing
from console.pairing import pair, unpair
from console.roles import Role, has_role

READERS = (Role.ADMINISTRATOR, Role.OPERATOR)


def cluster_json(cluster: Cluster) -> dict:
    data = model_to_dict(cluster, fields=[name for name in ClusterForm.Meta.fields
                                          if name not in WRITE_ONLY])
    # Taken by the API but never answered with: only whether one is stored.
    for name in WRITE_ONLY:
        data[f"{name}_set"] = bool(getattr(cluster, name))
    data["storage_tib"] = float(cluster.storage_tib) if cluster.storage_tib is not None else None
    pairing = cluster.pairing
    data["pairing"] = pairing_json(pairing) if pairing else None
    return data


def pairing_json(pairing: Pairing) -> dict:
    return {"id": pairing.pk, "primary": pairing.primary.name,
            "secondary": pairing.secondary.name, "epoch": pairing.epoch,
            "created_by": pairing.created_by,
            "created_at": pairing.created_at.isoformat()}


def registration_from_json(body: dict) -> dict:
    """The registration fields of `body`, each of its JSON type (numbers as numbers);
    also `manage.py clusters add`."""
    fields = Fields(body)
    data: dict[str, object] = {}
    for name in ClusterForm.Meta.fields:
        kind = Cluster._meta.get_field(name)
        if isinstance(kind, models.DecimalField):
            data[name] = fields.decimal(name, None, nullable=True)
        elif isinstance(kind, models.IntegerField):
            data[name] = fields.integer(name, None, minimum=0, maximum=MAX_ID, nullable=True)
        else:
            data[name] = fields.text(name, "")
    fields.check()
    return data


def _save_cluster(request: HttpRequest, cluster: Cluster | None) -> Cluster:
    body = json_body(request)
    if cluster is not None:  # PUT may send only the fields it changes
        body = {**cluster_json(cluster), **body}
    form = ClusterForm(registration_from_json(body), instance=cluster)
    if not form.is_valid():
        problems = [f"{field}: {message}" if field != "__all__" else message
                    for field, messages in form.errors.items() for message in messages]
        raise ApiError(400, "The cluster was not saved.", problems=problems)
    saved = form.save()
    audit.record(request, "cluster.update" if cluster else "cluster.register", saved)
    return saved


@api_view({"GET", "POST"}, READERS)
def clusters(request: HttpRequest) -> tuple[int, object]:
    if request.method == "GET":
        return 200, [cluster_json(c) for c in Cluster.objects.all()]
    if not _is_admin(request):
        raise ApiError(403, "Only administrators register clusters.")
    return 201, cluster_json(_save_cluster(request, None))


@api_view({"GET", "PUT", "DELETE"}, READERS)
def cluster(request: HttpRequest, name: str) -> tuple[int, object]:
    found = get_object_or_404(Cluster, name=name)
    if request.method == "GET":
        return 200, cluster_json(found)
    if not _is_admin(request):
        raise ApiError(403, "Only administrators change clusters.")
    if request.method == "PUT":
        return 200, cluster_json(_save_cluster(request, found))
    remove_cluster(found)
    audit.record(request, "cluster.delete", name)
    return 200, {"deleted": name}


@api_view({"GET"}, READERS)
def cluster_live_state(request: HttpRequest, name: str) -> tuple[int, object]:
    return 200, state_json(cluster_state(get_object_or_404(Cluster, name=name)))


@api_view({"GET", "POST"}, READERS)
def pairings(request: HttpRequest) -> tuple[int, object]:
    if request.method == "GET":
        return 200, [pairing_json(p) for p in Pairing.objects.select_related("primary",
                                                                             "secondary")]
    if not _is_admin(request):
        raise ApiError(403, "Only administrators pair clusters.")
    fields = Fields(json_body(request))
    names = {role: fields.text(role) for role in ("primary", "secondary")}
    fields.check()
    found = {role: Cluster.objects.filter(name=name).first() for role, name in names.items()}
    for role, cluster in found.items():
        if cluster is None:
            fields.refuse(role, f"names no registered cluster: {names[role][:63]!r}")
    fields.check()
    primary, secondary = found["primary"], found["secondary"]
    assert primary is not None and secondary is not None  # refused above
    created = pair(primary, secondary, by=request.user.get_username())
    audit.record(request, "pairing.create", created)
    return 201, pairing_json(created)


@api_view({"DELETE"}, (Role.ADMINISTRATOR,))
def pairing(request: HttpRequest, pk: int) -> tuple[int, object]:
    found = get_object_or_404(Pairing.objects.select_related("primary", "secondary"), pk=pk)
    label = str(found)
    warnings = unpair(found)
    audit.record(request, "pairing.delete", label, detail="; ".join(warnings))
    return 200, {"deleted": label, "warnings": warnings}


def _is_admin(request: HttpRequest) -> bool:
    return has_role(request.user, Role.ADMINISTRATOR)
