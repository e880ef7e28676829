"""Pages for the cluster registry and pairing (administrators change, operators read)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console import audit
from console.clusters import cluster_state, remove_cluster, state_json
from console.errors import Refused
from console.forms import WRITE_ONLY, ClusterForm, PairingForm, error_summary
from console.models import Cluster, Pairing
from console.pairing import PairingRefused, pair, unpair
from console.refusals import refuse
from console.roles import Role, role_required

READERS = (Role.ADMINISTRATOR, Role.OPERATOR)


@require_GET
@role_required(*READERS)
def cluster_list(request: HttpRequest) -> HttpResponse:
    return render(request, "console/clusters.html", {
        "clusters": Cluster.objects.all(),
        "pairings": Pairing.objects.select_related("primary", "secondary"),
        "pairing_form": PairingForm(),
    })


@require_GET
@role_required(*READERS)
def cluster_state_json(request: HttpRequest, name: str) -> JsonResponse:
    cluster = get_object_or_404(Cluster, name=name)
    return JsonResponse(state_json(cluster_state(cluster)))


@sensitive_post_parameters(*WRITE_ONLY)
@require_http_methods(["GET", "POST"])
@role_required(Role.ADMINISTRATOR)
def cluster_edit(request: HttpRequest, name: str | None = None) -> HttpResponse:
    cluster = get_object_or_404(Cluster, name=name) if name else None
    form = ClusterForm(request.POST or None, instance=cluster)
    if request.method == "POST":
        if form.is_valid():
            saved = form.save()
            audit.record(request, "cluster.update" if cluster else "cluster.register", saved)
            messages.success(request, f"Cluster {saved} saved: every endpoint answered.")
            return redirect("clusters")
        audit.record(request, "cluster.update" if cluster else "cluster.register",
                     request.POST.get("name", ""), outcome=audit.Outcome.REFUSED,
                     detail=error_summary(form))
    return render(request, "console/cluster_form.html", {"form": form, "cluster": cluster})


@require_POST
@role_required(Role.ADMINISTRATOR)
def cluster_delete(request: HttpRequest, name: str) -> HttpResponse:
    cluster = get_object_or_404(Cluster, name=name)
    try:
        remove_cluster(cluster)
    except Refused as error:
        refuse(request, "cluster.delete", cluster, error, "Removal refused")
    else:
        messages.success(request, f"Cluster {name} removed from the registry.")
        audit.record(request, "cluster.delete", name)
    return redirect("clusters")


@require_POST
@role_required(Role.ADMINISTRATOR)
def pairing_create(request: HttpRequest) -> HttpResponse:
    form = PairingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a primary and a secondary cluster.")
        return redirect("clusters")
    primary, secondary = form.cleaned_data["primary"], form.cleaned_data["secondary"]
    try:
        pairing = pair(primary, secondary, by=request.user.get_username())
    except PairingRefused as error:
        refuse(request, "pairing.create", f"{primary} → {secondary}", error,
               "Pairing refused")
    else:
        messages.success(request, f"Paired {pairing}: identities written to both ZooKeepers.")
        audit.record(request, "pairing.create", pairing)
    return redirect("clusters")


@require_POST
@role_required(Role.ADMINISTRATOR)
def pairing_delete(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = get_object_or_404(Pairing.objects.select_related("primary", "secondary"), pk=pk)
    label = str(pairing)
    try:
        warnings = unpair(pairing)
    except PairingRefused as error:
        refuse(request, "pairing.delete", label, error, "Unpairing refused")
    else:
        for warning in warnings:
            messages.warning(request, warning)
        messages.success(request, f"Unpaired {label}.")
        audit.record(request, "pairing.delete", label, detail="; ".join(warnings))
    return redirect("clusters")
