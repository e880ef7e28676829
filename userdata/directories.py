"""A cluster's directory as the console reaches it: where each kind of entry lives, a
read of all of them a page at a time, and the session a sync writes through."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings

from adapters.ldap import LdapError, LdapSession, any_of, rdn
from console.clusters import ldap_of
from console.models import Cluster
from userdata.entries import KINDS, Entry, Kind, Snapshot, entry_from_ldap, fold

PAGE_SIZE = 2000
# Entries asked for by name in one search: a filter of this many alternatives.
BATCH = 200


class DirectoryUnavailable(Exception):
    """A cluster's directory that the console cannot reach or read; the message names the
    cluster, its endpoint and what to do."""


def unit_dn(cluster: Cluster, kind: Kind) -> str:
    return f"ou={kind.unit},{cluster.ldap_base_dn}"


def entry_dn(cluster: Cluster, kind: Kind, key: str) -> str:
    return f"{rdn(kind.key, key)},{unit_dn(cluster, kind)}"


@contextmanager
def open_directory(cluster: Cluster) -> Iterator[LdapSession]:
    """A session with the cluster's directory as the console's account; any failure to
    reach or read it on the way becomes DirectoryUnavailable."""
    missing = [label for label, value in (
        ("LDAP URL", cluster.ldap_url), ("LDAP base DN", cluster.ldap_base_dn),
        ("LDAP bind DN", cluster.ldap_bind_dn), ("LDAP password", cluster.ldap_password),
    ) if not value]
    if missing:
        raise DirectoryUnavailable(
            f"{cluster} has no directory the console may read: set its {', '.join(missing)} "
            f"(Clusters → edit {cluster}).")
    try:
        with ldap_of(cluster).session(settings.LOCKSTEP_LDAP_TIMEOUT) as session:
            yield session
    except LdapError as error:
        raise DirectoryUnavailable(
            f"The directory of {cluster} is unavailable: {error}. Check that it runs and "
            f"that the cluster's LDAP URL, bind DN and password are right (Clusters → edit "
            f"{cluster}).") from error


def read_kind(session: LdapSession, cluster: Cluster, kind: Kind,
              condition: str = "") -> dict[str, Entry]:
    """Every entry of `kind` (that also matches the filter `condition`), by folded key, a
    page at a time."""
    found = {}
    for item in session.search(unit_dn(cluster, kind), _filter(kind, condition),
                               kind.attributes, PAGE_SIZE):
        entry = entry_from_ldap(kind, item)
        if entry is not None:
            found[fold(entry.key)] = entry
    return found


def read_where(session: LdapSession, cluster: Cluster, kind: Kind, attribute: str,
               values: Iterable[str]) -> dict[str, Entry]:
    """The entries of `kind` whose `attribute` is one of `values`, asked for in batches."""
    ordered = sorted(values)
    found: dict[str, Entry] = {}
    for start in range(0, len(ordered), BATCH):
        found.update(read_kind(session, cluster, kind,
                               any_of(attribute, ordered[start:start + BATCH])))
    return found


def list_keys(session: LdapSession, cluster: Cluster, kind: Kind,
              condition: str = "") -> set[str]:
    """The folded keys of every entry of `kind` (that also matches the filter
    `condition`): its naming attribute alone."""
    return {fold(item.attributes[kind.key][0])
            for item in session.search(unit_dn(cluster, kind), _filter(kind, condition),
                                       [kind.key], PAGE_SIZE)
            if item.attributes.get(kind.key)}


def _filter(kind: Kind, condition: str) -> str:
    return f"(&{kind.filter}{condition})" if condition else kind.filter


def read_directory(cluster: Cluster) -> Snapshot:
    with open_directory(cluster) as session:
        return {kind: read_kind(session, cluster, kind) for kind in KINDS}
