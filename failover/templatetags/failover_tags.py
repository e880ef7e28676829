"""Filters for what prompts and statuses keep as JSON: ISO times and seconds."""

from datetime import datetime, timedelta

from django import template

from failover.events import identity_label
from failover.models import ClusterStatus

register = template.Library()


@register.filter
def moment(value: str | None) -> datetime | None:
    """An ISO time from a JSON record, as a datetime for `date` and `timesince`."""
    return datetime.fromisoformat(value) if value else None


@register.filter
def seconds(value: float | None) -> timedelta | None:
    """A number of seconds from a JSON record, as a length of time for `duration`."""
    return timedelta(seconds=value) if value is not None else None


@register.filter
def identity(status: ClusterStatus) -> str:
    return identity_label(status)


@register.filter
def condition(status: ClusterStatus) -> str:
    """healthy (every endpoint answers), degraded (some do) or unreachable (none does)."""
    answering = [probe["ok"] for probe in status.endpoints.values()]
    if answering and all(answering):
        return "healthy"
    return "degraded" if any(answering) else "unreachable"
