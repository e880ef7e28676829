"""Hive and SparkSQL table metadata as HiveServer2 reports it."""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from adapters.hiveserver2 import HiveServer2Error, Queries
from backups import hiveql

# `db.table`, each part a Hive identifier; quoting and anything else is refused.
TABLE_NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$")


class TableNotFound(Exception):
    """No such table on this HiveServer2."""


@dataclass(frozen=True)
class TableInfo:
    database: str
    table: str
    provider: str  # `hive` for Hive-format tables, else the SparkSQL data source
    table_type: str  # MANAGED or EXTERNAL
    location: str
    owner: str
    columns: list[tuple[str, str, str]]  # (name, type, comment)
    partition_columns: list[str]
    comment: str = ""
    serde: str = ""
    input_format: str = ""
    output_format: str = ""
    storage_properties: dict[str, str] = field(default_factory=dict)

    @property
    def is_hive(self) -> bool:
        return self.provider.lower() == "hive"


def split_table_name(name: str) -> tuple[str, str]:
    """(database, table) of `db.table`, lower-cased as Hive stores them; ValueError if malformed."""
    match = TABLE_NAME.match(name.strip())
    if not match:
        raise ValueError(f"{name!r} is not a table name of the form database.table")
    return match.group(1).lower(), match.group(2).lower()


def describe_table(hive: Queries, database: str, table: str) -> TableInfo:
    try:
        rows = hive.query(f"DESCRIBE FORMATTED `{database}`.`{table}`")
    except HiveServer2Error as error:
        if "TABLE_OR_VIEW_NOT_FOUND" in str(error) or "not found" in str(error).lower():
            raise TableNotFound(f"table {database}.{table} does not exist") from error
        raise
    columns: list[tuple[str, str, str]] = []
    partitions: list[str] = []
    details: dict[str, str] = {}
    section = "columns"
    for name, value, comment in rows:
        if name == "# Partition Information":
            section = "partitions"
        elif name == "# Detailed Table Information":
            section = "details"
        elif not name or name.startswith("#"):
            continue
        elif section == "columns":
            columns.append((name, value, comment or ""))
        elif section == "partitions":
            partitions.append(name)
        else:
            details[name] = value
    return TableInfo(
        database=database,
        table=table,
        provider=details.get("Provider", "hive"),
        table_type=details.get("Type", "MANAGED"),
        location=details.get("Location", ""),
        owner=details.get("Owner", ""),
        columns=columns,
        partition_columns=partitions,
        comment=details.get("Comment", ""),
        serde=details.get("Serde Library", ""),
        input_format=details.get("InputFormat", ""),
        output_format=details.get("OutputFormat", ""),
        storage_properties=_bracketed_pairs(details.get("Storage Properties", "")),
    )


def _bracketed_pairs(text: str) -> dict[str, str]:
    """DESCRIBE's `[k1=v1, k2=v2]` as a dict."""
    inner = text.strip().removeprefix("[").removesuffix("]")
    return dict(pair.partition("=")[::2] for pair in inner.split(", ") if "=" in pair)


def list_tables(hive: Queries, database: str) -> list[str]:
    return sorted(row[1] for row in hive.query(f"SHOW TABLES IN `{database}`") if not row[2])


# Where HiveServer2 puts a database's tables when no LOCATION is given (Spark, Hive 2, Hive 3).
_WAREHOUSE_KEYS = ("spark.sql.warehouse.dir", "hive.metastore.warehouse.dir",
                   "hive.metastore.warehouse.external.dir")


def warehouse_locations(hive: Queries) -> list[str]:
    """The server's warehouse directories, as locations (URIs or paths)."""
    found = []
    for key in _WAREHOUSE_KEYS:
        for row in hive.query(f"SET {key}"):
            # Spark answers (key, value); Hive one `key=value` column.
            value = row[1] if len(row) > 1 else str(row[0]).partition("=")[2]
            if value and value != "<undefined>" and value not in found:
                found.append(value)
    return found


def hdfs_path_of_location(location: str, prefix: str = "") -> str:
    """The HDFS path of a table location: `hdfs://nn:8020/p` → `/p`; `PREFIX/p` → `/p`."""
    if prefix and location.startswith(prefix):
        return "/" + location[len(prefix):].lstrip("/")
    parts = urlsplit(location)
    if parts.scheme in {"hdfs", "viewfs", "webhdfs", ""}:
        return parts.path or "/"
    raise ValueError(f"table location {location} is not on this cluster's HDFS")


# Properties the server sets itself, and reserved keys that a CREATE may not name.
_OWN_PROPERTIES = ("transient_", "spark.sql.", "option.")
_RESERVED_PROPERTIES = {"owner", "provider", "location", "comment", "external",
                        "is_managed_location", "collation"}


def capture_table(hive: Queries, database: str, table: str) -> dict:
    """What the secondary needs to serve the table as it was: schema, provider, storage
    format, partitions, owner, comment and properties, each as data, never as HiveQL."""
    info = describe_table(hive, database, table)
    partitions = (sorted(row[0] for row in hive.query(f"SHOW PARTITIONS `{database}`.`{table}`"))
                  if info.partition_columns else [])
    properties = {row[0]: row[1] for row in hive.query(
        f"SHOW TBLPROPERTIES `{database}`.`{table}`")
        if not row[0].startswith(_OWN_PROPERTIES) and row[0] not in _RESERVED_PROPERTIES}
    return {
        "database": database, "table": table, "provider": info.provider,
        "type": info.table_type, "owner": info.owner, "columns": info.columns,
        "partition_columns": info.partition_columns, "partitions": partitions,
        "properties": properties, "comment": info.comment, "serde": info.serde,
        "input_format": info.input_format, "output_format": info.output_format,
        "storage_properties": info.storage_properties, "location": info.location,
    }


def create_statement(captured: dict, location: str) -> str:
    """The CREATE TABLE that serves the captured table over the data at `location`.

    Built from the captured values, each quoted (backups/hiveql.py): a name, comment,
    property or location written on the primary can never become a statement here.
    The table is external (its LOCATION given), so dropping it never deletes the files.
    """
    partitioned = set(captured["partition_columns"])
    types = {name: kind for name, kind, _ in captured["columns"]}
    hive_format = captured["provider"].lower() == "hive"

    def column(name: str, kind: str, comment: str) -> str:
        text = f"{hiveql.identifier(name)} {hiveql.data_type(kind)}"
        return text + (f" COMMENT {hiveql.string(comment)}" if comment else "")

    # A Hive-format table declares its partition columns (with types) apart from the
    # others; a data source table lists them among the columns and names them after.
    listed = [column(*c) for c in captured["columns"]
              if not (hive_format and c[0] in partitioned)]
    clauses = [f"CREATE {'EXTERNAL ' if hive_format else ''}TABLE "
               f"{hiveql.identifier(captured['database'])}.{hiveql.identifier(captured['table'])}"
               f" ({', '.join(listed)})"]
    if hive_format:
        if partitioned:
            clauses.append("PARTITIONED BY (" + ", ".join(
                f"{hiveql.identifier(p)} {hiveql.data_type(types[p])}"
                for p in captured["partition_columns"]) + ")")
        clauses.append(f"ROW FORMAT SERDE {hiveql.java_class(captured['serde'])}")
        if captured["storage_properties"]:
            clauses.append("WITH SERDEPROPERTIES "
                           + hiveql.key_values(captured["storage_properties"]))
        clauses.append(f"STORED AS INPUTFORMAT {hiveql.java_class(captured['input_format'])} "
                       f"OUTPUTFORMAT {hiveql.java_class(captured['output_format'])}")
    else:
        clauses.append(f"USING {hiveql.provider(captured['provider'])}")
        if captured["storage_properties"]:
            clauses.append("OPTIONS " + hiveql.key_values(captured["storage_properties"]))
        if partitioned:
            clauses.append("PARTITIONED BY (" + ", ".join(
                hiveql.identifier(p) for p in captured["partition_columns"]) + ")")
    if captured["comment"]:
        clauses.append(f"COMMENT {hiveql.string(captured['comment'])}")
    clauses.append(f"LOCATION {hiveql.string(location)}")
    if captured["properties"]:
        clauses.append("TBLPROPERTIES " + hiveql.key_values(captured["properties"]))
    return "\n".join(clauses)


def apply_table(hive: Queries, captured: dict, location: str) -> None:
    """Create the captured table on this HiveServer2 over data already at `location`.

    The table is replaced rather than altered: its files are the restore point's, and
    an external table never deletes them when dropped.
    """
    statement = create_statement(captured, location)
    name = f"{hiveql.identifier(captured['database'])}.{hiveql.identifier(captured['table'])}"
    hive.query(f"CREATE DATABASE IF NOT EXISTS {hiveql.identifier(captured['database'])}")
    hive.query(f"DROP TABLE IF EXISTS {name}")
    hive.query(statement)
    if captured["partition_columns"]:
        hive.query(f"MSCK REPAIR TABLE {name}")
