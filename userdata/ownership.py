"""Who owns the pairing's data on the secondary, against its directory and its primary.

HDFS owners, groups, modes and ACLs travel with the rounds; what a sync adds is a check
that the secondary's directory knows every owner and group of the protected paths (a
bounded listing of each data set's root). Table owners are compared and reported:
Spark SQL cannot change a table's owner (it has no `ALTER TABLE ... OWNER`; the owner
is the user whose session created the table, on the secondary the console's account).
"""

from collections import deque
from collections.abc import Iterator

from adapters.hiveserver2 import HiveServer2Error, Queries
from adapters.webhdfs import Status, WebHdfs, WebHdfsError
from backups.metadata import TableNotFound, describe_table, split_table_name
from backups.models import Component, DataSet
from console.clusters import hiveserver2_of, webhdfs_of
from console.models import Cluster, Pairing
from userdata.directories import DirectoryUnavailable, open_directory, read_where
from userdata.entries import GROUP, TENANT, USER, fold

# Paths listed per sync, over every data set's root together: enough for the top of
# each tree, where owners are set, without walking millions of files every round.
MAX_PATHS = 2_000
MAX_REPORTED = 100


def _tables(pairing: Pairing) -> list[str]:
    return sorted(set(DataSet.objects.filter(
        service__pairing=pairing, component__in=[Component.HIVE, Component.SPARKSQL],
    ).values_list("locator", flat=True)))


def _owner(hive: Queries, table: str) -> str:
    try:
        return describe_table(hive, *split_table_name(table)).owner
    except TableNotFound:
        return ""


def table_owner_report(pairing: Pairing) -> list[dict]:
    """Each protected table whose owner on the secondary is not its primary's, or that
    could not be read, with what to do."""
    tables = _tables(pairing)
    if not tables:
        return []
    try:
        with hiveserver2_of(pairing.primary).session() as primary, \
                hiveserver2_of(pairing.secondary).session() as secondary:
            return _owner_report(pairing, tables, primary, secondary)
    except HiveServer2Error as error:
        return [{"table": table, "primary": "", "secondary": "",
                 "note": f"owners not read: {error}"} for table in tables]


def _owner_report(pairing: Pairing, tables: list[str], primary: Queries,
                  secondary: Queries) -> list[dict]:
    report = []
    for table in tables:
        owners = _owner(primary, table), _owner(secondary, table)
        if not owners[1] or owners[0] == owners[1]:
            continue  # not on the secondary until its first consistent round
        report.append({"table": table, "primary": owners[0], "secondary": owners[1],
                       "note": f"Spark SQL cannot change a table's owner: on "
                               f"{pairing.secondary} the table belongs to whoever created "
                               f"it. Its files carry {owners[0]}'s ownership as on "
                               f"{pairing.primary}; on Hive 4, ALTER TABLE {table} SET OWNER "
                               f"USER {owners[0]} aligns the table too."})
    return report


def _roots(pairing: Pairing) -> list[str]:
    return sorted(set(DataSet.objects.filter(service__pairing=pairing).values_list(
        "storage_path", flat=True)))


def _walk(client: WebHdfs, roots: list[str], limit: int) -> Iterator[tuple[str, Status]]:
    """(path, status) of each root and what lies beneath it, breadth first, `limit` in all."""
    pending: deque[tuple[str, Status]] = deque()
    for root in roots:
        status = client.status(root, strict=False)
        if status is not None:
            pending.append((root, status))
    seen = 0
    while pending and seen < limit:
        path, status = pending.popleft()
        seen += 1
        yield path, status
        if status["type"] == "DIRECTORY":
            for name, child in client.list_dir(path):
                pending.append((f"{path.rstrip('/')}/{name}", child))


def _known(secondary: Cluster, owners: set[str], groups: set[str]) -> tuple[set[str], set[str]]:
    """Of `owners` and `groups`, the folded names the secondary's directory holds."""
    with open_directory(secondary) as session:
        users = read_where(session, secondary, USER, USER.key, owners)
        found = {key for kind in (TENANT, GROUP)
                 for key in read_where(session, secondary, kind, kind.key, groups)}
    return set(users), found


def unknown_owner_report(pairing: Pairing, service_accounts: set[str]
                         ) -> tuple[list[dict], int]:
    """Paths of the pairing's data sets on the secondary whose owner is no user of its
    directory, or whose group no tenant or group of it, service accounts aside; and how
    many paths were looked at."""
    accounts = {fold(name) for name in service_accounts}
    try:
        listed = list(_walk(webhdfs_of(pairing.secondary), _roots(pairing), MAX_PATHS))
        owners = {fold(status["owner"]) for _, status in listed} - accounts
        groups = {fold(status["group"]) for _, status in listed} - accounts
        users, tenants = _known(pairing.secondary, owners, groups)
    except (WebHdfsError, DirectoryUnavailable) as error:
        return [{"path": "", "owner": "", "group": "", "unknown": f"not checked: {error}"}], 0
    report: list[dict[str, str]] = []
    for path, status in listed:
        unknown = [what for what, name, known in (
            ("owner", status["owner"], users | accounts),
            ("group", status["group"], tenants | accounts),
        ) if fold(name) not in known]
        if unknown and len(report) < MAX_REPORTED:
            report.append({"path": path, "owner": status["owner"], "group": status["group"],
                           "unknown": " and ".join(unknown)})
    return report, len(listed)
