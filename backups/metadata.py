"""Hive and SparkSQL table metadata as HiveServer2 reports it."""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from adapters.hiveserver2 import HiveServer2, HiveServer2Error

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
    columns: list[tuple[str, str]]
    partition_columns: list[str]

    @property
    def is_hive(self) -> bool:
        return self.provider.lower() == "hive"


def split_table_name(name: str) -> tuple[str, str]:
    """(database, table) of `db.table`, lower-cased as Hive stores them; ValueError if malformed."""
    match = TABLE_NAME.match(name.strip())
    if not match:
        raise ValueError(f"{name!r} is not a table name of the form database.table")
    return match.group(1).lower(), match.group(2).lower()


def describe_table(hive: HiveServer2, database: str, table: str) -> TableInfo:
    try:
        rows = hive.query(f"DESCRIBE FORMATTED `{database}`.`{table}`")
    except HiveServer2Error as error:
        if "TABLE_OR_VIEW_NOT_FOUND" in str(error) or "not found" in str(error).lower():
            raise TableNotFound(f"table {database}.{table} does not exist") from error
        raise
    columns: list[tuple[str, str]] = []
    partitions: list[str] = []
    details: dict[str, str] = {}
    section = "columns"
    for name, value, _ in rows:
        if name == "# Partition Information":
            section = "partitions"
        elif name == "# Detailed Table Information":
            section = "details"
        elif not name or name.startswith("#"):
            continue
        elif section == "columns":
            columns.append((name, value))
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
    )


def list_tables(hive: HiveServer2, database: str) -> list[str]:
    return sorted(row[1] for row in hive.query(f"SHOW TABLES IN `{database}`") if not row[2])


def hdfs_path_of_location(location: str, prefix: str = "") -> str:
    """The HDFS path of a table location: `hdfs://nn:8020/p` → `/p`; `PREFIX/p` → `/p`."""
    if prefix and location.startswith(prefix):
        return "/" + location[len(prefix):].lstrip("/")
    parts = urlsplit(location)
    if parts.scheme in {"hdfs", "viewfs", "webhdfs", ""}:
        return parts.path or "/"
    raise ValueError(f"table location {location} is not on this cluster's HDFS")


_LOCATION = re.compile(r"LOCATION\s+'[^']*'", re.IGNORECASE)


def capture_table(hive: HiveServer2, database: str, table: str) -> dict:
    """What the secondary needs to serve the table as it was: schema, provider,
    partitions, owner, properties and the statement that creates it."""
    info = describe_table(hive, database, table)
    # AS SERDE keeps a Hive-format table a Hive table (plain SHOW CREATE says USING ...).
    serde = " AS SERDE" if info.is_hive else ""
    create = hive.query(f"SHOW CREATE TABLE `{database}`.`{table}`{serde}")[0][0]
    partitions = (sorted(row[0] for row in hive.query(f"SHOW PARTITIONS `{database}`.`{table}`"))
                  if info.partition_columns else [])
    properties = {row[0]: row[1] for row in hive.query(
        f"SHOW TBLPROPERTIES `{database}`.`{table}`")
        if not row[0].startswith(("transient_lastDdlTime", "spark.sql.create.version"))}
    return {
        "database": database, "table": table, "provider": info.provider,
        "type": info.table_type, "owner": info.owner, "columns": info.columns,
        "partition_columns": info.partition_columns, "partitions": partitions,
        "properties": properties, "create": create, "location": info.location,
    }


def apply_table(hive: HiveServer2, captured: dict, location: str) -> None:
    """Create the captured table on this HiveServer2 over data already at `location`.

    The table is replaced rather than altered: its files are the restore point's, and
    an external table (LOCATION given) never deletes them when dropped.
    """
    name = f"`{captured['database']}`.`{captured['table']}`"
    statement = _LOCATION.sub(f"LOCATION '{location}'", captured["create"])
    if not _LOCATION.search(captured["create"]):
        statement += f" LOCATION '{location}'"
    hive.query(f"CREATE DATABASE IF NOT EXISTS `{captured['database']}`")
    hive.query(f"DROP TABLE IF EXISTS {name}")
    hive.query(statement)
    if captured["partition_columns"]:
        hive.query(f"MSCK REPAIR TABLE {name}")
