"""When rounds happen: T0 + k·period."""

import math
from datetime import UTC, datetime, timedelta

from backups.models import BackupPolicy

# How far ahead a first moment may lie, and the longest period, and the earliest first
# moment: beyond any backup plan, and far from the ends of datetime's range, where
# showing a moment in a viewer's zone overflows (a T0 of 9999-12-31 broke the service
# list for every viewer east of UTC, one of 0001-01-01 the API's refusal west of it).
HORIZON = timedelta(days=3652)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def next_moment(first_moment: datetime, period: timedelta | None, now: datetime) -> datetime | None:
    """The first moment T0 + k·period at or after `now`; None once a one-off T0 has passed."""
    if now <= first_moment:
        return first_moment
    if period is None:
        return None
    periods = math.ceil((now - first_moment) / period)
    return first_moment + periods * period


def next_round_moment(policy: BackupPolicy, now: datetime) -> datetime | None:
    if not policy.enabled:
        return None
    return next_moment(policy.first_moment, policy.period, now)


def next_whole_minute(now: datetime) -> datetime:
    """The whole minute after `now`: what the policy form offers instead of a past T0."""
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def moments_between(first_moment: datetime, period: timedelta | None, start: datetime,
                    end: datetime) -> list[datetime]:
    """Every moment T0 + k·period with start < T ≤ end."""
    found = []
    moment = next_moment(first_moment, period, start)
    while moment is not None and moment <= end:
        if moment > start:
            found.append(moment)
        if period is None:
            break
        moment += period
    return found


def horizon_problem(first_moment: datetime, now: datetime) -> str | None:
    """Why `first_moment` lies too far ahead (or back), or None."""
    if first_moment < EARLIEST:
        return f"lies before {EARLIEST:%Y}: choose a moment after now."
    if first_moment - now > HORIZON:
        return (f"lies more than ten years ahead: choose a moment before "
                f"{now + HORIZON:%Y-%m-%d}.")
    return None
