"""WebHDFS query parameters parsed with Hadoop's rules.

Names are case-insensitive and the first occurrence wins (clients re-append
`user.name` when they follow a redirect); booleans are case-insensitive.
"""

from collections.abc import Iterable
from urllib.parse import parse_qsl

from minicluster.webhdfs.errors import IllegalArgument

OP_ENUMS = {
    "GET": "GetOpParam",
    "PUT": "PutOpParam",
    "POST": "PostOpParam",
    "DELETE": "DeleteOpParam",
}


def invalid(name: str, reason: str) -> IllegalArgument:
    return IllegalArgument(f'Invalid value for webhdfs parameter "{name}": {reason}')


class Params:
    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, str] = {}
        for key, value in pairs:
            self._values.setdefault(key.lower(), value)

    @classmethod
    def from_query(cls, raw_query: str) -> "Params":
        return cls(parse_qsl(raw_query, keep_blank_values=True))

    def items(self) -> list[tuple[str, str]]:
        return list(self._values.items())

    def text(self, name: str) -> str | None:
        value = self._values.get(name)
        return None if value in (None, "", "null") else value

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

    def integer(self, name: str, default: int | None, minimum: int | None = None) -> int | None:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = int(value, 10)
        except ValueError:
            raise invalid(name, f'Failed to parse "{value}" as a radix-10 integer.') from None
        if minimum is not None and number < minimum:
            raise invalid(name, f'Invalid parameter range: {name} = {number} < {minimum}')
        return number

    def permission(self, default: int) -> int:
        value = self.text("permission")
        if value is None:
            return default
        try:
            mode = int(value, 8)
        except ValueError:
            raise invalid("permission", f'Failed to parse "{value}" as a radix-8 short.') from None
        if not 0 <= mode <= 0o1777:
            raise invalid("permission", f"Invalid parameter range: permission = {value} > 1777")
        return mode
