"""The one clock: aware wall-clock time and a monotonic clock, replaceable in tests."""

import time
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def monotonic() -> float:
    return time.monotonic()


def sleep_until(moment: datetime) -> float:
    """Sleep until `moment` by the monotonic clock; return how late we woke (seconds).

    The wall clock is read once, to turn the moment into a monotonic deadline, so a
    clock step while waiting does not move the moment.
    """
    deadline = monotonic() + (moment - now()).total_seconds()
    while (remaining := deadline - monotonic()) > 0:
        # Coarse sleep, then a short spin for the last milliseconds.
        time.sleep(remaining - 0.002 if remaining > 0.005 else 0)
    return monotonic() - deadline


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str) -> ZoneInfo | None:
    """The IANA time zone `name`, or None for anything else.

    Only names from the zone database are opened: ZoneInfo("Europe") finds a directory
    (IsADirectoryError), and other strings fail in other ways.
    """
    return ZoneInfo(name) if name in _zone_names() else None
