"""Recovery point objective: how old the newest consistent restore point is."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from backups.models import RoundState, Service


@dataclass(frozen=True)
class RpoStatus:
    age: timedelta | None  # None: no consistent restore point yet
    breach: bool
    limit: timedelta | None


def breach_limit(service: Service) -> timedelta | None:
    """The recovery point age beyond which the service is in breach (None: backed up once)."""
    period = service.policy.period
    return period * settings.LOCKSTEP_RPO_BREACH_PERIODS if period else None


def rpo_status(service: Service, now: datetime) -> RpoStatus:
    newest = service.restore_points.filter(round__state=RoundState.CONSISTENT).first()
    limit = breach_limit(service)
    if newest is None:
        # No point yet counts as a breach once the first moment is long past.
        overdue = limit is not None and now - service.policy.first_moment > limit
        return RpoStatus(None, overdue, limit)
    age = now - newest.moment
    return RpoStatus(age, limit is not None and age > limit, limit)


def expected_finish(service: Service, started_at: datetime | None) -> datetime | None:
    """When a running round should end, judged by the last consistent round's duration."""
    last = service.rounds.filter(state=RoundState.CONSISTENT, started_at__isnull=False,
                                 finished_at__isnull=False).first()
    if started_at is None or last is None:
        return None
    assert last.finished_at is not None and last.started_at is not None  # filtered on
    return started_at + (last.finished_at - last.started_at)
