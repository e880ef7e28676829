"""WebHDFS query parameters parsed with Hadoop's rules.

Names are case-insensitive and the first occurrence wins (clients re-append
`user.name` when they follow a redirect); booleans are case-insensitive. Numbers are
parsed as Java parses them, within the range of the parameter's Java type, and a NUL
character is refused in any value: each malformed value is a 400 naming the parameter.
"""

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

from minicluster.webhdfs.errors import IllegalArgument

OP_ENUMS = {
    "GET": "GetOpParam",
    "PUT": "PutOpParam",
    "POST": "PostOpParam",
    "DELETE": "DeleteOpParam",
}


# Hadoop's Java type of each numeric parameter (the others are longs): its bits and
# what its parse error calls it.
SHORT, INT, LONG = (16, "short integer"), (32, "integer"), (64, "long integer")
NUMBER_TYPES = {"buffersize": INT, "replication": SHORT, "snapshotdiffindex": INT}
# Typed parameters: as in Hadoop, a malformed one is refused whatever the operation.
NUMBERS = ("offset", "length", "buffersize", "replication", "blocksize",
           "modificationtime", "accesstime", "namespacequota", "storagespacequota",
           "newlength", "snapshotdiffindex")
BOOLEANS = ("overwrite", "recursive", "noredirect", "createparent")
DIGITS = {8: re.compile(r"[+-]?[0-7]+"), 10: re.compile(r"[+-]?[0-9]+")}


def invalid(name: str, reason: str) -> IllegalArgument:
    return IllegalArgument(f'Invalid value for webhdfs parameter "{name}": {reason}')


class Params:
    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, str] = {}
        self._repeated: dict[str, list[str]] = {}
        for key, value in pairs:
            if "\0" in key or "\0" in value:
                raise invalid(key.replace("\0", "\\0"),
                              "a NUL character is not allowed in a parameter")
            self._values.setdefault(key.lower(), value)
            self._repeated.setdefault(key.lower(), []).append(value)

    @classmethod
    def from_query(cls, raw_query: str) -> "Params":
        return cls(parse_qsl(raw_query, keep_blank_values=True))

    def check_types(self) -> None:
        """Refuse a malformed number, boolean or permission, used by the operation or not."""
        for name in NUMBERS:
            self.integer(name, None)
        for name in BOOLEANS:
            self.boolean(name, False)
        self.permission(0)

    def items(self) -> list[tuple[str, str]]:
        return list(self._values.items())

    def text(self, name: str) -> str | None:
        value = self._values.get(name)
        return None if value in (None, "", "null") else value

    def every(self, name: str) -> list[str]:
        """Each non-empty value of a parameter that may be repeated (xattr.name)."""
        return [value for value in self._repeated.get(name, []) if value not in ("", "null")]

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            op = (self._values.get("op") or "").upper()
            raise IllegalArgument(f"Required param {name} for op: {op} is null or empty")
        return value

    def op(self, method: str, known: Iterable[str]) -> str:
        value = (self._values.get("op") or "").upper()
        if value not in known:
            enum = OP_ENUMS.get(method, "GetOpParam")
            raise invalid(
                "op", f"No enum constant org.apache.hadoop.hdfs.web.resources.{enum}.Op.{value}"
            )
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.text(name)
        if value is None:
            return default
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise invalid(name, f'Failed to parse "{value}" to Boolean.')

    def integer(self, name: str, default: int | None, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        value = self.text(name)
        if value is None:
            return default
        number = _parse_java(name, value, 10, NUMBER_TYPES.get(name, LONG))
        if minimum is not None and number < minimum:
            raise invalid(name, f"Invalid parameter range: {name} = {number} < {minimum}")
        if maximum is not None and number > maximum:
            raise invalid(name, f"Invalid parameter range: {name} = {number} > {maximum}")
        return number

    def permission(self, default: int) -> int:
        value = self.text("permission")
        if value is None:
            return default
        mode = _parse_java("permission", value, 8, SHORT)
        if mode < 0:
            raise invalid("permission", f"Invalid parameter range: permission = {value} < 0")
        if mode > 0o1777:
            raise invalid("permission", f"Invalid parameter range: permission = {value} > 1777")
        return mode


def _parse_java(name: str, value: str, radix: int, java_type: tuple[int, str]) -> int:
    """`value` as Java's Long/Integer/Short.parse*(value, radix) reads it: digits with
    an optional sign, within the type's range."""
    bits, kind = java_type
    # Longer strings cannot be in range, and would be slow (or refused) to convert.
    number = int(value, radix) if len(value) <= 24 and DIGITS[radix].fullmatch(value) else None
    if number is None or not -(1 << (bits - 1)) <= number < 1 << (bits - 1):
        raise invalid(name, f'Failed to parse "{value}" as a radix-{radix} {kind}.')
    return number
