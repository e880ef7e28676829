"""URL converters: the console's object ids in paths."""

from console.fields import MAX_ID


class IdConverter:
    """A database id: digits up to 2**63 - 1; a larger number is a 404, never an overflow."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(f"{value} is not a database id")  # Django answers 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)
