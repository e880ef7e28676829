"""The data sets a tenant may protect on a cluster, found live through its endpoints.

`discover` lists candidates for the policy page; `resolve` turns one typed
identifier into a data set or refuses it with a message that says why.
"""

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.core.cache import cache

from adapters.hiveserver2 import HiveServer2Error, Queries
from adapters.webhdfs import WebHdfsError
from backups.metadata import (
    TableNotFound,
    describe_table,
    hdfs_path_of_location,
    list_tables,
    split_table_name,
    warehouse_locations,
)
from backups.models import MAX_LOCATOR, MAX_STORAGE_PATH, Component
from console.clusters import hiveserver2_of, webhdfs_of
from console.errors import Refused
from console.models import Cluster, Tenant
from console.paths import PathRefused, is_within, normalize_hdfs_path

# How deep below a tenant's root the page offers directories.
DISCOVERY_DEPTH = 2


class DataSetRefused(Refused):
    """A data set that cannot join a protection group."""


@dataclass(frozen=True)
class Candidate:
    component: str
    locator: str
    storage_path: str
    size_bytes: int | None

    @property
    def key(self) -> str:
        """The identifier the policy form submits for this candidate."""
        return f"{self.component}:{self.locator}"


def storage_areas(cluster: Cluster, tenant: Tenant, hive: Queries | None = None) -> list[str]:
    """Where a table of `tenant` may keep its files: the tenant's HDFS roots and, in each
    warehouse of the cluster, its own databases' directories (`WAREHOUSE/DB.db`).

    A table's location is whatever its creator wrote, so it proves nothing about whose
    files lie there; the warehouse setting is the cluster administrator's.
    """
    if hive is None:
        with hiveserver2_of(cluster).session() as session:
            return storage_areas(cluster, tenant, session)
    warehouses = [hdfs_path_of_location(location, cluster.table_location_prefix)
                  for location in warehouse_locations(hive)]
    return tenant.roots + [f"{warehouse.rstrip('/')}/{database}.db"
                           for warehouse in warehouses for database in tenant.database_names]


def check_storage(cluster: Cluster, tenant: Tenant, locator: str, storage_path: str,
                  areas: list[str] | None = None) -> None:
    """Refuse a data set whose files lie outside the tenant's own storage areas."""
    areas = storage_areas(cluster, tenant) if areas is None else areas
    if not any(is_within(storage_path, area) for area in areas):
        # The path is the tenant's own table's location, but not whose files lie there.
        raise DataSetRefused(
            f"{locator} keeps its files at {storage_path}, outside tenant {tenant.name}'s "
            f"roots and its databases' warehouse directories ({', '.join(areas)}): move the "
            "table there (ALTER TABLE ... SET LOCATION), or ask an administrator to add "
            "the directory to the tenant's roots if it is the tenant's own."
        )


DISCOVERY_TTL_SECONDS = 60


def discover_recent(cluster: Cluster, tenant: Tenant, fresh: bool = False) -> list[Candidate]:
    """`discover`, reusing what this process found for the same cluster and tenant in
    the last minute: the policy page asks again after every refused save, and a
    discovery takes seconds on a real cluster. `fresh` asks the cluster again."""
    # What the answer depends on: the cluster's address and the tenant's areas.
    scope = repr((cluster.pk, cluster.webhdfs_url, cluster.hiveserver2_host,
                  cluster.hiveserver2_port, tenant.pk, tenant.roots, tenant.databases))
    key = "lockstep:discovery:" + hashlib.sha256(scope.encode()).hexdigest()
    found = None if fresh else cache.get(key)
    if found is None:
        found = discover(cluster, tenant)
        cache.set(key, found, DISCOVERY_TTL_SECONDS)
    return found


def discover(cluster: Cluster, tenant: Tenant) -> list[Candidate]:
    """Every directory under the tenant's roots and every table of its databases whose
    files lie in the tenant's storage areas."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        directories = pool.submit(lambda: list(_directories(cluster, tenant)))
        tables = pool.submit(_tables, cluster, tenant)
        found = directories.result() + tables.result()
        sizes = pool.map(lambda c: _size(cluster, c.storage_path), found)
        return [Candidate(c.component, c.locator, c.storage_path, size)
                for c, size in zip(found, sizes, strict=True)]


def _directories(cluster: Cluster, tenant: Tenant) -> Iterator[Candidate]:
    client = webhdfs_of(cluster)
    pending = [(root, 0) for root in tenant.roots]
    while pending:
        path, depth = pending.pop(0)
        try:
            status = client.status(path)
        except WebHdfsError:
            continue
        if status["type"] != "DIRECTORY":
            continue
        yield Candidate(Component.HDFS, path, path, None)
        if depth < DISCOVERY_DEPTH:
            children = client.list_dir(path)
            pending += [(f"{path.rstrip('/')}/{name}", depth + 1)
                        for name, child in children if child["type"] == "DIRECTORY"]


def _tables(cluster: Cluster, tenant: Tenant) -> list[Candidate]:
    found = []
    with hiveserver2_of(cluster).session() as hive:
        databases = {row[0] for row in hive.query("SHOW DATABASES")}
        areas = storage_areas(cluster, tenant, hive)
        for database in tenant.database_names:
            if database not in databases:
                continue
            for table in list_tables(hive, database):
                candidate = _table_candidate(cluster, hive, database, table)
                if any(is_within(candidate.storage_path, area) for area in areas):
                    found.append(candidate)
    return found


def _table_candidate(cluster: Cluster, hive: Queries, database: str, table: str) -> Candidate:
    info = describe_table(hive, database, table)
    component = Component.HIVE if info.is_hive else Component.SPARKSQL
    path = hdfs_path_of_location(info.location, cluster.table_location_prefix)
    return Candidate(component, f"{database}.{table}", path, None)


def _size(cluster: Cluster, path: str) -> int | None:
    try:
        return webhdfs_of(cluster).content(path)["length"]
    except WebHdfsError:
        return None


def resolve(cluster: Cluster, tenant: Tenant, component: str, locator: str) -> Candidate:
    """One typed identifier as a data set of `tenant` on `cluster`, or DataSetRefused."""
    if component == Component.HDFS:
        candidate = _resolve_directory(cluster, tenant, locator)
    elif component in (Component.HIVE, Component.SPARKSQL):
        candidate = _resolve_table(cluster, tenant, component, locator)
    else:
        raise DataSetRefused(f"Unknown component {component!r}: choose hdfs, hive or sparksql.")
    for what, value, limit in (("path", candidate.locator, MAX_LOCATOR),
                               ("storage path", candidate.storage_path, MAX_STORAGE_PATH)):
        if len(value) > limit:
            shown = candidate.locator if len(candidate.locator) <= 60 else \
                candidate.locator[:60] + "…"
            raise DataSetRefused(f"{shown}: its {what} has {len(value)} characters, more "
                                 f"than the {limit} Lockstep stores.")
    return candidate


def _resolve_directory(cluster: Cluster, tenant: Tenant, locator: str) -> Candidate:
    try:
        path = normalize_hdfs_path(locator)
    except PathRefused as error:
        raise DataSetRefused(str(error)) from error
    if not any(is_within(path, root) for root in tenant.roots):
        raise DataSetRefused(
            f"{path} is outside tenant {tenant.name}'s roots ({', '.join(tenant.roots)})."
        )
    try:
        status = webhdfs_of(cluster).status(path)
    except WebHdfsError as error:
        if error.exception == "FileNotFoundException":
            raise DataSetRefused(f"{path} does not exist on {cluster}.") from error
        raise DataSetRefused(f"{path} cannot be read on {cluster}: {error}") from error
    if status["type"] != "DIRECTORY":
        raise DataSetRefused(f"{path} is a file: a data set is a directory.")
    return Candidate(Component.HDFS, path, path, None)


def _resolve_table(cluster: Cluster, tenant: Tenant, component: str, locator: str) -> Candidate:
    try:
        database, table = split_table_name(locator)
    except ValueError as error:
        raise DataSetRefused(str(error)) from error
    if database not in tenant.database_names:
        raise DataSetRefused(
            f"{database}.{table} is outside tenant {tenant.name}'s databases "
            f"({', '.join(tenant.database_names)})."
        )
    try:
        candidate = _table_candidate(cluster, hiveserver2_of(cluster), database, table)
    except TableNotFound as error:
        raise DataSetRefused(f"Table {database}.{table} does not exist on {cluster}.") from error
    except (HiveServer2Error, ValueError) as error:
        raise DataSetRefused(f"Table {database}.{table} cannot be used: {error}") from error
    if candidate.component != component:
        kind = "a Hive" if candidate.component == Component.HIVE else "a SparkSQL"
        raise DataSetRefused(f"{database}.{table} is {kind} table, not {component}.")
    try:
        check_storage(cluster, tenant, candidate.locator, candidate.storage_path)
    except HiveServer2Error as error:
        raise DataSetRefused(f"Table {database}.{table} cannot be used: {error}") from error
    return candidate
