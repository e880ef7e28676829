"""Sizes as people read them: binary multiples under their binary names (300,000,000
bytes is 286.1 MiB, never "286.1 MB")."""

UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def size(count: int | None) -> str:
    if count is None:
        return ""
    if abs(count) < 1024:
        return f"{count:,} byte{'' if count == 1 else 's'}"
    value, index = count / 1024, 0
    while abs(value) >= 1024 and index < len(UNITS) - 1:
        value, index = value / 1024, index + 1
    return f"{value:,.1f} {UNITS[index]}"
