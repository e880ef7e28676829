"""A user-data sync of one pairing: primary's directory → secondary's (the patent's
fourth instruction), whichever cluster is primary when it runs.

Every sync is a `SyncRun`: recorded first, then run here, by an RQ job on `control`
(after a consistent round, or on demand from a page or the API) or in the caller's
process (`sync_pairing`: the failover engine before identities are reversed, and
`manage.py userdata sync`). One sync of a pairing runs at a time. A run reads both
directories, compares them, records the drift, writes the differences (not in a dry
run), reports table owners and unknown path owners, and ends synced, synced with
problems (conflicts, refused writes), failed (a directory out of reach) or skipped.
It never touches a round's state or a restore point.
"""

from datetime import datetime, timedelta

import django_rq
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from redis.exceptions import RedisError

from console import audit, clock
from console.models import Pairing
from userdata import ownership
from userdata.applying import Outcome, Result, actor_of, apply_differences, left_alone
from userdata.comparison import Action, compare
from userdata.directories import DirectoryUnavailable
from userdata.drift import record_drift
from userdata.entries import KIND_BY_NAME, Kind, fold
from userdata.models import (
    COMPARING_STATES,
    FINAL_RUN_STATES,
    RunState,
    SyncRun,
    SyncSettings,
    Trigger,
)
from userdata.reading import read_pair

# Differences a run keeps for its page, problems first: they are the last to be cut.
MAX_LISTED = 2_000
# An incremental read starts from the last comparison only while a full comparison is
# at most this old: a change the timestamps missed (a directory restored from a backup)
# is found within a day.
FULL_EVERY = timedelta(hours=24)


def settings_of(pairing: Pairing) -> SyncSettings:
    return SyncSettings.objects.get_or_create(pairing=pairing)[0]


def last_synced(pairing: Pairing) -> SyncRun | None:
    """The pairing's newest sync that wrote to its secondary in its current direction."""
    return pairing.user_data_runs.filter(
        dry_run=False, state__in={RunState.SYNCED, RunState.INCOMPLETE},
        source=pairing.primary.name).first()


def job_id(run: SyncRun) -> str:
    return f"lockstep-userdata-{run.pk}"


def request_sync(pairing: Pairing, *, by: str, trigger: str, dry_run: bool = False,
                 full: bool = False, round_=None) -> SyncRun:
    """Record a sync and queue it on `control` once the record is committed."""
    run = SyncRun.objects.create(pairing=pairing, by=by, trigger=trigger, dry_run=dry_run,
                                 full=full, round=round_)
    transaction.on_commit(lambda: _enqueue(run))
    return run


def request_after_round(round_) -> SyncRun | None:
    """Queue the sync of a consistent round's pairing: its data is on the secondary, and
    the users, tenants and groups that own it follow."""
    pairing = round_.service.pairing
    if pairing is None:
        return None  # unpaired since the round was prepared
    return request_sync(pairing, by=f"round {round_.pk}", trigger=Trigger.ROUND,
                        round_=round_)


def _enqueue(run: SyncRun) -> None:
    try:
        django_rq.get_queue(settings.CONTROL_QUEUE).enqueue(
            "userdata.jobs.run_sync", run.pk, job_id=job_id(run),
            job_timeout=settings.LOCKSTEP_USERDATA_SYNC_TIMEOUT)
    except RedisError as error:
        _end(run, RunState.FAILED, f"It could not be queued: Redis does not answer ({error}). "
                                   "Start Redis (manage.py minicluster up, or your Redis "
                                   "service), then sync again.")


def sync_pairing(pairing: Pairing, *, by: str, dry_run: bool = False, full: bool = False,
                 trigger: str = Trigger.DEMAND) -> SyncRun:
    """Sync the pairing now, in this process; the finished run says how it went (its
    `state`, `reason` and `differences`): it raises only for faults of the console.
    `full`: compare every entry, whatever the last comparison found."""
    run = SyncRun.objects.create(pairing=pairing, by=by, trigger=trigger, dry_run=dry_run,
                                 full=full)
    return run_sync(run.pk)


def run_sync(run_id: int) -> SyncRun:
    """Run a recorded sync, unless it ran already (a retried job) or another sync of its
    pairing is running."""
    run = SyncRun.objects.select_related("pairing__primary", "pairing__secondary").get(
        pk=run_id)
    if run.state != RunState.QUEUED:
        return run
    holder = _claim(run)
    if holder is not None:
        _end(run, RunState.SKIPPED, f"Sync #{holder.pk} of this pairing was running "
                                    f"(started by {holder.by}); one runs at a time.")
        _audit_run(run)
        return run
    try:
        _sync(run)
    except DirectoryUnavailable as error:
        _end(run, RunState.FAILED, f"{error} The next consistent round syncs again.")
    except Exception as error:
        _end(run, RunState.FAILED, f"The sync stopped on an unexpected error: {error}")
        raise
    finally:
        SyncSettings.objects.filter(pairing=run.pairing, active_run=run).update(active_run=None)
        _audit_run(run)
    return run


def _claim(run: SyncRun) -> SyncRun | None:
    """Take the pairing's claim for `run`; the run that holds it otherwise. A claim older
    than LOCKSTEP_USERDATA_SYNC_TIMEOUT is taken over: its worker died."""
    held = settings_of(run.pairing)
    stale = clock.now() - timedelta(seconds=settings.LOCKSTEP_USERDATA_SYNC_TIMEOUT)
    free = (Q(active_run__isnull=True) | Q(active_run__state__in=FINAL_RUN_STATES)
            | Q(active_run__started_at__lt=stale))
    previous = held.active_run
    if not SyncSettings.objects.filter(free, pk=held.pk).update(active_run=run):
        held.refresh_from_db()
        return held.active_run or previous or run
    if previous is not None and not previous.finished:
        _end(previous, RunState.FAILED, "It did not finish within "
             f"{settings.LOCKSTEP_USERDATA_SYNC_TIMEOUT:.0f} s: its worker probably died.")
    return None


def _end(run: SyncRun, state: str, reason: str = "", **fields) -> None:
    run.state, run.reason, run.finished_at = state, reason, clock.now()
    for name, value in fields.items():
        setattr(run, name, value)
    run.save()


def _since(run: SyncRun) -> datetime | None:
    """When the last comparison of the pair began, if an incremental read may start
    there: a full comparison took place within FULL_EVERY and the run was not asked to
    compare every entry."""
    if run.full or run.dry_run:
        return None
    compared = run.pairing.user_data_runs.filter(state__in=COMPARING_STATES)
    last, last_full = compared.first(), compared.filter(since__isnull=True).first()
    full_at = last_full.started_at if last_full is not None else None
    if last is None or full_at is None or full_at < clock.now() - FULL_EVERY:
        return None
    return last.started_at


def _drift_keys(pairing: Pairing) -> dict[Kind, set[str]]:
    keys: dict[Kind, set[str]] = {}
    for kind, key in pairing.user_data_drift.values_list("kind", "key"):
        keys.setdefault(KIND_BY_NAME[kind], set()).add(fold(key))
    return keys


def _sync(run: SyncRun) -> None:
    pairing = run.pairing
    options = settings_of(pairing)
    since = _since(run)
    run.state, run.started_at = RunState.RUNNING, clock.now()
    run.source, run.target = pairing.primary.name, pairing.secondary.name
    run.save()
    reading = read_pair(pairing, since, _drift_keys(pairing))
    run.since = reading.since
    differences = compare(reading.primary, reading.secondary, options.remove_missing,
                          (pairing.primary.name, pairing.secondary.name))
    if run.dry_run:
        outcomes = [left_alone(d, dry_run=True) for d in differences]
    else:
        outcomes = apply_differences(differences, pairing.secondary, run.by, run.pk)
    record_drift(pairing, [o.difference for o in outcomes if not o.settled], clock.now())
    unknown, paths = ownership.unknown_owner_report(pairing, options.service_account_names)
    counts = _counts(outcomes)
    _end(run, _verdict(run, counts), differences=_listed(outcomes), counts=counts,
         table_owners=ownership.table_owner_report(pairing), unknown_owners=unknown,
         paths_checked=paths)


def _verdict(run: SyncRun, counts: dict[str, int]) -> str:
    if run.dry_run:
        return RunState.COMPARED
    return RunState.INCOMPLETE if counts.get("conflict") or counts.get("refused") \
        else RunState.SYNCED


def _counts(outcomes: list[Outcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        for name in (outcome.difference.action, *(
                ("refused",) if outcome.result == Result.REFUSED else ())):
            counts[name] = counts.get(name, 0) + 1
    return counts


_DONE = {"add": "added", "update": "updated", "rename": "renamed", "remove": "removed",
         "keep": "kept", "conflict": "in conflict", "refused": "refused"}


def summary(run: SyncRun) -> str:
    """What the run did, in words: "2 added, 1 updated", or "no change"."""
    return ", ".join(f"{count} {_DONE.get(action, action)}"
                     for action, count in sorted(run.counts.items())) or "no change"


def outcome_json(outcome: Outcome) -> dict:
    difference = outcome.difference
    return {"kind": difference.kind.name, "key": difference.key,
            "action": difference.action, "summary": difference.summary,
            "result": outcome.result, "message": outcome.message,
            "before": difference.before.as_dict() if difference.before else None,
            "after": difference.after.as_dict() if difference.after else None}


def _listed(outcomes: list[Outcome]) -> list[dict]:
    problems: list[Outcome] = []
    rest: list[Outcome] = []
    for outcome in outcomes:
        problem = (outcome.result == Result.REFUSED
                   or outcome.difference.action is Action.CONFLICT)
        (problems if problem else rest).append(outcome)
    return [outcome_json(o) for o in (problems + rest)[:MAX_LISTED]]


def _audit_run(run: SyncRun) -> None:
    outcomes: dict[str, str] = {RunState.FAILED: audit.Outcome.FAILED,
                                RunState.SKIPPED: audit.Outcome.REFUSED}
    outcome = outcomes.get(run.state, audit.Outcome.SUCCESS)
    counts = ", ".join(f"{n} {name}" for name, n in run.counts.items())
    audit.unsaved(run.by, "userdata.dry_run" if run.dry_run else "userdata.sync", run,
                  outcome, run.reason or counts or "no differences", actor_of(run.by)).save()
