from datetime import timedelta

from django import template

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
