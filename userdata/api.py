"""JSON API for user data, with the pages' roles: a cluster's directory, a pairing's
settings, drift and runs, starting a sync or dry run, and a run's outcome."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from console import audit
from console.api import ApiError, api_view, json_body
from console.fields import Fields
from console.models import Cluster, Pairing
from console.roles import Role, has_role
from userdata.access import tenant_rows, user_rows, visible_snapshot
from userdata.directories import DirectoryUnavailable, read_directory
from userdata.entries import GROUP
from userdata.forms import SyncSettingsForm
from userdata.models import SyncRun, SyncSettings, Trigger
from userdata.syncing import request_sync, settings_of

ANY_ROLE = (Role.ADMINISTRATOR, Role.OPERATOR, Role.TENANT)
READERS = (Role.ADMINISTRATOR, Role.OPERATOR)


def run_json(run: SyncRun, entries: bool = True) -> dict:
    data = {
        "id": run.pk, "pairing": run.pairing_id, "round": run.round_id,
        "trigger": run.trigger, "by": run.by, "dry_run": run.dry_run, "full": run.full,
        "since": run.since.isoformat() if run.since else None,
        "source": run.source, "target": run.target, "state": run.state,
        "reason": run.reason, "counts": run.counts,
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
    if entries:
        data.update(differences=run.differences, table_owners=run.table_owners,
                    unknown_owners=run.unknown_owners, paths_checked=run.paths_checked)
    return data


def settings_json(options: SyncSettings) -> dict:
    return {"remove_missing": options.remove_missing,
            "service_accounts": options.service_accounts,
            "updated_by": options.updated_by, "updated_at": options.updated_at.isoformat()}


@api_view({"GET"}, ANY_ROLE)
def cluster_directory(request: HttpRequest, name: str) -> tuple[int, object]:
    cluster = get_object_or_404(Cluster, name=name)
    try:
        snapshot = visible_snapshot(read_directory(cluster), request.user)
    except DirectoryUnavailable as error:
        raise ApiError(503, str(error)) from error
    return 200, {
        "cluster": cluster.name,
        "users": [{**row.entry.as_dict(), "tenants": row.tenants,
                   "console_tenants": row.console_tenants} for row in user_rows(snapshot)],
        "tenants": [{**row.entry.as_dict(), "console_tenant": row.console_tenant or None}
                    for row in tenant_rows(snapshot)],
        "groups": [entry.as_dict() for entry in snapshot[GROUP].values()],
    }


@api_view({"GET", "PUT"}, READERS)
def pairing_user_data(request: HttpRequest, pk: int) -> tuple[int, object]:
    pairing = get_object_or_404(Pairing, pk=pk)
    options = settings_of(pairing)
    if request.method == "PUT":
        if not has_role(request.user, Role.ADMINISTRATOR):
            raise ApiError(403, "Only administrators change how user data is synced.")
        body = {**settings_json(options), **json_body(request)}
        fields = Fields(body)
        data = {"remove_missing": fields.boolean("remove_missing"),
                "service_accounts": fields.text("service_accounts")}
        fields.check()
        form = SyncSettingsForm(data, instance=options)
        if not form.is_valid():
            raise ApiError(400, "The settings were not saved.", problems=[
                f"{field}: {message}" for field, messages in form.errors.items()
                for message in messages])
        before = settings_json(options)
        form.instance.updated_by = request.user.get_username()
        options = form.save()
        audit.record(request, "userdata.settings", pairing,
                     detail=f"before: {before}; after: {settings_json(options)}")
    return 200, {
        "pairing": pairing.pk, "settings": settings_json(options),
        "drift": [{"kind": e.kind, "key": e.key, "action": e.action, "summary": e.summary,
                   "first_seen": e.first_seen.isoformat(), "last_seen": e.last_seen.isoformat()}
                  for e in pairing.user_data_drift.all()],
        "runs": [run_json(run, entries=False) for run in pairing.user_data_runs.all()[:20]],
    }


@api_view({"POST"}, (Role.ADMINISTRATOR,))
def pairing_sync(request: HttpRequest, pk: int) -> tuple[int, object]:
    pairing = get_object_or_404(Pairing, pk=pk)
    fields = Fields(json_body(request))
    dry_run = fields.boolean("dry_run", False)
    full = fields.boolean("full", False)
    fields.check()
    run = request_sync(pairing, by=request.user.get_username(), trigger=Trigger.DEMAND,
                       dry_run=dry_run, full=full)
    audit.record(request, "userdata.request", run)
    return 202, run_json(run)


@api_view({"GET"}, READERS)
def run_detail(request: HttpRequest, pk: int) -> tuple[int, object]:
    return 200, run_json(get_object_or_404(SyncRun, pk=pk))
