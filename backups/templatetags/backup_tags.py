from datetime import timedelta

from django import template

from backups.models import Component
from console import units

register = template.Library()

UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


@register.filter
def get_item(mapping: dict, key: str):
    """`mapping|get_item:key`: a dictionary lookup with a variable key."""
    return mapping.get(key)


@register.filter
def period(value: timedelta | None) -> str:
    """A policy period in words: `every 5 minutes`, `every day`, or `once`."""
    if value is None:
        return "once"
    seconds = int(value.total_seconds())
    for name, size in UNITS:
        if seconds % size == 0:
            count = seconds // size
            return f"every {name}" if count == 1 else f"every {count} {name}s"
    return f"every {value}"


@register.filter
def duration(value: timedelta | None) -> str:
    """`3 h 5 min`, `4.2 s`: a length of time as people say it."""
    if value is None:
        return ""
    if value.total_seconds() < 60:
        return f"{value.total_seconds():.1f} s"
    seconds = int(value.total_seconds())
    parts = [(seconds // 86400, "d"), (seconds % 86400 // 3600, "h"),
             (seconds % 3600 // 60, "min"), (seconds % 60, "s")]
    shown = [f"{count} {unit}" for count, unit in parts if count][:2]
    return " ".join(shown)


@register.filter
def size(count: int | None) -> str:
    """`{{ round.bytes|size }}`: 286.1 MiB (binary multiples under binary names)."""
    return units.size(count)


@register.filter
def component(code: str) -> str:
    """A component as people name it: `sparksql` is a "SparkSQL table"."""
    return Component(code).label if code in Component.values else code


@register.filter
def split(text: str) -> list[str]:
    """`"a b"|split`: a list written inline in a template."""
    return text.split()
