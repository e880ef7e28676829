"""User-data pages: each cluster's directory, each pairing's sync and drift, each run.

Administrators change the settings and start syncs; operators read everything; a
tenant's people read their own tenants' directory entries (userdata/access.py).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from console import audit
from console.models import Cluster, Pairing
from console.roles import Role, role_required
from userdata.access import sees_everything, tenant_rows, user_rows, visible_snapshot
from userdata.directories import DirectoryUnavailable, read_directory
from userdata.entries import GROUP, fold
from userdata.forms import SyncSettingsForm
from userdata.models import COMPARING_STATES, SyncRun, Trigger
from userdata.ownership import MAX_PATHS
from userdata.syncing import request_sync, settings_of

ANY_ROLE = (Role.ADMINISTRATOR, Role.OPERATOR, Role.TENANT)
READERS = (Role.ADMINISTRATOR, Role.OPERATOR)
PAGE_SIZE = 100
RUNS_SHOWN = 20


@require_GET
@role_required(*ANY_ROLE)
def user_data_home(request: HttpRequest) -> HttpResponse:
    pairings = Pairing.objects.select_related("primary", "secondary")
    rows = [(pairing, pairing.user_data_runs.first(), pairing.user_data_drift.count())
            for pairing in pairings] if sees_everything(request.user) else []
    return render(request, "userdata/home.html", {
        "pairings": rows, "clusters": Cluster.objects.exclude(ldap_url="")})


@require_GET
@role_required(*ANY_ROLE)
def cluster_directory(request: HttpRequest, name: str) -> HttpResponse:
    cluster = get_object_or_404(Cluster, name=name)
    query = fold(request.GET.get("q", "").strip())
    try:
        snapshot = visible_snapshot(read_directory(cluster), request.user)
    except DirectoryUnavailable as error:
        return render(request, "userdata/directory.html",
                      {"cluster": cluster, "error": str(error)}, status=503)
    users = [row for row in user_rows(snapshot)
             if not query or query in fold(row.entry.key) or query in fold(
                 " ".join(row.entry.values.get("cn", ())))]
    return render(request, "userdata/directory.html", {
        "cluster": cluster, "query": request.GET.get("q", ""),
        "users": Paginator(users, PAGE_SIZE).get_page(request.GET.get("page")),
        "tenants": tenant_rows(snapshot), "groups": sorted(
            snapshot[GROUP].values(), key=lambda entry: fold(entry.key)),
    })


@require_GET
@role_required(*READERS)
def pairing_user_data(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = get_object_or_404(Pairing.objects.select_related("primary", "secondary"), pk=pk)
    return _pairing_page(request, pairing, SyncSettingsForm(instance=settings_of(pairing)))


def _pairing_page(request: HttpRequest, pairing: Pairing, form: SyncSettingsForm,
                  status: int = 200) -> HttpResponse:
    runs = pairing.user_data_runs.all()[:RUNS_SHOWN]
    compared = pairing.user_data_runs.filter(state__in=COMPARING_STATES).first()
    return render(request, "userdata/pairing.html", {
        "pairing": pairing, "form": form, "runs": runs, "compared": compared,
        "drift": pairing.user_data_drift.all(),
    }, status=status)


@require_POST
@role_required(Role.ADMINISTRATOR)
def pairing_settings(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = get_object_or_404(Pairing.objects.select_related("primary", "secondary"), pk=pk)
    options = settings_of(pairing)
    before = {"remove_missing": options.remove_missing,
              "service_accounts": options.service_accounts}
    form = SyncSettingsForm(request.POST, instance=options)
    if not form.is_valid():
        audit.record(request, "userdata.settings", pairing, outcome=audit.Outcome.REFUSED,
                     detail=form.errors.as_text())
        return _pairing_page(request, pairing, form, status=400)
    form.instance.updated_by = request.user.get_username()
    saved = form.save()
    audit.record(request, "userdata.settings", pairing, detail=(
        f"before: {before}; after: {{'remove_missing': {saved.remove_missing}, "
        f"'service_accounts': {saved.service_accounts!r}}}"))
    messages.success(request, "Saved: the next sync of this pairing applies it.")
    return redirect("userdata-pairing", pk=pairing.pk)


@require_POST
@role_required(Role.ADMINISTRATOR)
def pairing_sync(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = get_object_or_404(Pairing.objects.select_related("primary", "secondary"), pk=pk)
    dry_run = request.POST.get("dry_run") == "on"
    run = request_sync(pairing, by=request.user.get_username(), trigger=Trigger.DEMAND,
                       dry_run=dry_run)
    audit.record(request, "userdata.request", run)
    return redirect("userdata-run", pk=run.pk)


@require_GET
@role_required(*READERS)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(SyncRun.objects.select_related("pairing", "round"), pk=pk)
    return render(request, "userdata/run.html", {"run": run, "max_paths": MAX_PATHS})
