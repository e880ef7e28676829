"""HiveQL text built from values that a tenant controls: quoted, or refused.

Table metadata read on the primary (names, comments, properties, a location) is data,
not statements: everything that reaches a statement run on the secondary passes
through one of these functions.
"""

import re


class UnsafeMetadata(ValueError):
    """A value that cannot be written into HiveQL safely; the message names it."""


_JAVA_CLASS = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")
_PROVIDER = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")
_PRIMITIVE = re.compile(r"^[a-z][a-z0-9_]*( +[a-z][a-z0-9_]*)*( *\( *\d+( *, *\d+)? *\))?$")
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def identifier(name: str) -> str:
    """A backquoted identifier; a backquote inside is doubled, as Hive and Spark read it."""
    if not name or "\x00" in name:
        raise UnsafeMetadata(f"{name!r} is not a usable identifier")
    return "`" + name.replace("`", "``") + "`"


def string(value: str) -> str:
    """A single-quoted string literal with backslash escapes (Hive's and Spark's)."""
    if "\x00" in value:
        raise UnsafeMetadata(f"{value!r} contains a NUL character")
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def java_class(name: str) -> str:
    """A quoted serde or input/output format class name."""
    if not _JAVA_CLASS.match(name):
        raise UnsafeMetadata(f"{name!r} is not a Java class name")
    return string(name)


def provider(name: str) -> str:
    """A SparkSQL data source name for USING (parquet, orc, csv, ...)."""
    if not _PROVIDER.match(name):
        raise UnsafeMetadata(f"{name!r} is not a data source name")
    return name


def data_type(text: str) -> str:
    """A column type as DESCRIBE reports it, checked against Hive's type grammar."""
    checked = _check_type(text.strip().lower())
    if checked is None:
        raise UnsafeMetadata(f"column type {text!r} is not a Hive type this console recreates")
    return checked


def _check_type(text: str) -> str | None:
    for kind, inner in (("array", 1), ("map", 2)):
        if text.startswith(kind + "<") and text.endswith(">"):
            parts = _split_top(text[len(kind) + 1:-1])
            if len(parts) != inner or any(_check_type(p.strip()) is None for p in parts):
                return None
            return text
    if text.startswith("struct<") and text.endswith(">"):
        for field in _split_top(text[len("struct<"):-1]):
            name, colon, kind = field.partition(":")
            if not colon or not _FIELD_NAME.match(name.strip()) or \
                    _check_type(kind.strip()) is None:
                return None
        return text
    return text if _PRIMITIVE.match(text) else None


def _split_top(text: str) -> list[str]:
    """`text` split at the commas outside <> and ()."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def key_values(pairs: dict[str, str]) -> str:
    """`('k' = 'v', ...)` for TBLPROPERTIES, SERDEPROPERTIES and OPTIONS."""
    return "(" + ", ".join(f"{string(k)} = {string(v)}" for k, v in sorted(pairs.items())) + ")"
