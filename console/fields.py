"""Typed fields from the API's JSON bodies and from query strings.

One parser for every endpoint: each malformed field (wrong JSON type, out of range,
NUL character, unknown zone offset...) becomes a problem that names the field and
what it takes, and the request is refused with all of them at once. Nothing
malformed reaches the database or the domain, where it would answer 500.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Final, TypeVar

from console.errors import Refused

# Database ids are signed 64-bit integers: a larger one overflows the database driver.
MAX_ID = 2**63 - 1
# Longer text is refused before it reaches a model field (the longest is a few thousand).
MAX_TEXT = 10_000
MAX_LIST = 1_000


class _Required(Enum):
    # A one-member enum rather than object(): `default is _REQUIRED` then tells mypy
    # that any other default is of the field's own type.
    REQUIRED = "required"


_REQUIRED: Final = _Required.REQUIRED
T = TypeVar("T")


class FieldsRefused(Refused):
    """One or more malformed or missing fields; `problems` names each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def parse_id(text: object) -> int | None:
    """A database id written as decimal text (a query string, a form value), else None."""
    if not isinstance(text, str) or not text.isascii() or not text.isdecimal():
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def text_problem(value: object, max_length: int = MAX_TEXT) -> str | None:
    """Why `value` is not acceptable text, or None."""
    if not isinstance(value, str):
        return f"must be a string, not {_json_type(value)}"
    if "\x00" in value:
        return "contains a NUL character"
    if len(value) > max_length:
        return f"is longer than {max_length} characters"
    return None


def _json_type(value: object) -> str:
    for kind, name in ((bool, "a boolean"), (int, "a number"), (float, "a number"),
                       (str, "a string"), (list, "a list"), (dict, "an object")):
        if isinstance(value, kind):
            return name
    return "null"


class Fields:
    """Typed reads from one JSON object or query string.

    Each read returns the value, or a harmless stand-in while it records a problem;
    `check()` then refuses the request with every problem found. Call it before using
    what was read.
    """

    def __init__(self, data: Mapping[str, object], *, from_text: bool = False) -> None:
        self.data = data
        # Query strings carry numbers as text; JSON must carry them as numbers.
        self.from_text = from_text
        self.problems: list[str] = []

    @classmethod
    def query(cls, params: Mapping[str, str]) -> "Fields":
        return cls(params, from_text=True)

    def refuse(self, name: str, problem: str) -> None:
        self.problems.append(f"`{name}` {problem}.")

    def check(self) -> None:
        if self.problems:
            raise FieldsRefused(self.problems)

    def _given(self, name: str, default: object) -> bool:
        """Whether `name` was sent; records a problem when it is required and missing."""
        if name in self.data:
            return True
        if default is _REQUIRED:
            self.refuse(name, "is required")
        return False

    @staticmethod
    def _absent(default: T | _Required, stand_in: T) -> T:
        return stand_in if default is _REQUIRED else default

    def text(self, name: str, default: str | _Required = _REQUIRED, *,
             max_length: int = MAX_TEXT) -> str:
        if not self._given(name, default):
            return self._absent(default, "")
        value = self.data[name]
        problem = text_problem(value, max_length)
        if problem:
            self.refuse(name, problem)
            return ""
        assert isinstance(value, str)  # text_problem refuses anything else
        return value

    def choice(self, name: str, choices: Sequence[str], default: str | _Required = _REQUIRED
               ) -> str:
        failed = len(self.problems)
        value = self.text(name, default)
        if len(self.problems) == failed and value not in choices:
            self.refuse(name, f"is one of {', '.join(choices)}")
        return value

    def integer(self, name: str, default: int | _Required | None = _REQUIRED, *, minimum: int,
                maximum: int, nullable: bool = False) -> int | None:
        if not self._given(name, default):
            return self._absent(default, None)
        value = self.data[name]
        if value is None and nullable:
            return None
        if self.from_text and isinstance(value, str) and value.isascii() and value.isdecimal():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.refuse(name, "must be a whole number" + (", or null" if nullable else ""))
            return None
        if not minimum <= value <= maximum:
            self.refuse(name, f"must be between {minimum} and {maximum}")
            return None
        return value

    def identifier(self, name: str, noun: str, default: int | _Required | None = _REQUIRED, *,
                   nullable: bool = False) -> int | None:
        """The id of a `noun` (a pairing, a service): a positive whole number."""
        failed = len(self.problems)
        value = self.integer(name, default, minimum=1, maximum=MAX_ID, nullable=nullable)
        if len(self.problems) > failed and name in self.data:
            self.problems[-1] = f"`{name}` must be the id of a {noun} (a whole number)."
        return value

    def decimal(self, name: str, default: Decimal | _Required | None = _REQUIRED, *,
                nullable: bool = False) -> Decimal | None:
        if not self._given(name, default):
            return self._absent(default, None)
        value = self.data[name]
        if value is None and nullable:
            return None
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InvalidOperation
            number = Decimal(str(value))
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.refuse(name, "must be a number" + (", or null" if nullable else ""))
            return None
        return number

    def boolean(self, name: str, default: bool | _Required = _REQUIRED) -> bool:
        if not self._given(name, default):
            return self._absent(default, False)
        value = self.data[name]
        if not isinstance(value, bool):
            # "false" is a non-empty string, which Python reads as true: refuse it.
            self.refuse(name, "must be true or false (a JSON boolean)")
            return False
        return value

    def moment(self, name: str, default: datetime | _Required | None = _REQUIRED
               ) -> datetime | None:
        """An ISO 8601 moment with a UTC offset, within the range datetimes can hold."""
        if not self._given(name, default):
            return self._absent(default, None)
        failed = len(self.problems)
        text = self.text(name)
        if len(self.problems) > failed:
            return None
        try:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is not None:
                # Refuses moments that exist only in their own zone: 9999-12-31T23:00-14:00.
                moment.astimezone(UTC)
        except (ValueError, OverflowError):
            self.refuse(name, f"is not an ISO 8601 moment: {text[:40]!r}")
            return None
        if moment.tzinfo is None:
            self.refuse(name, "needs a UTC offset, e.g. 2026-12-01T13:00:00+01:00")
            return None
        return moment

    def items(self, name: str, default: list | _Required = _REQUIRED) -> list:
        if not self._given(name, default):
            return self._absent(default, [])
        value = self.data[name]
        if not isinstance(value, list):
            self.refuse(name, f"must be a list, not {_json_type(value)}")
            return []
        if len(value) > MAX_LIST:
            self.refuse(name, f"has more than {MAX_LIST} items")
            return []
        return value
