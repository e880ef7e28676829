"""The scheduler's watch on recovery points: each service's verdict (backups/dashboard.py)
compared with the last one seen, so that a breach notifies once when it begins and once
when the service is back within its target (safe), however many passes see it."""

from datetime import datetime

from backups.dashboard import BREACH, SAFE, UNPROTECTED, judge, last_rounds, with_last_moment
from backups.models import Service
from backups.rpo import rpo_status
from notifications import reports
from notifications.models import Kind, RpoWatch


def transition(breached: bool, verdict: str) -> tuple[Kind | None, bool]:
    """What a verdict means given whether a breach is being reported: the notification
    due (None: nothing new) and whether a breach is reported afterwards. At risk on the
    way back from a breach is not yet a recovery; an unprotected service (policy
    disabled, no pairing) ends the watch without a recovery."""
    if verdict == BREACH:
        return (None if breached else Kind.RPO_BREACH), True
    if breached and verdict == SAFE:
        return Kind.RPO_RECOVERED, False
    if verdict == UNPROTECTED:
        return None, False
    return None, breached


def watch_rpo(now: datetime) -> list[tuple[Service, Kind]]:
    """Judge every service now; notify each breach begun and each recovery. Returns what
    it notified."""
    watched = {watch.service_id: watch for watch in RpoWatch.objects.all()}
    notified = []
    services = list(with_last_moment(Service.objects.filter(policy__isnull=False)
                                     .select_related("tenant", "pairing", "policy")))
    newest = last_rounds(services)
    for service in services:
        verdict, why = judge(service, rpo_status(service, now), newest.get(service.pk))
        watch = watched.get(service.pk) or RpoWatch(service=service, changed_at=now)
        kind, breached = transition(watch.breached, verdict)
        if watch.pk is not None and (watch.verdict, watch.breached) == (verdict, breached):
            continue
        watch.verdict, watch.breached, watch.changed_at = verdict, breached, now
        watch.save()
        if kind is not None:
            reports.rpo_changed(service, kind, why)
            notified.append((service, kind))
    return notified
