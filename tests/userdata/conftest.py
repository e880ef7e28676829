"""Fixtures for user data: both sites' real directories, reset to what the mini cluster
seeds (the console's account and alice, no tenant, no group) before each test."""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from adapters.ldap import Ldap, LdapSession, Write
from minicluster import services
from minicluster.layout import CONSOLE_USER, SITES, Layout
from tests.backups.test_failures import stopped
from userdata.directories import entry_dn, read_directory
from userdata.entries import GROUP, KINDS, TENANT, USER, Entry, make_entry


@contextmanager
def as_admin(layout: Layout, site: str) -> Iterator[LdapSession]:
    """A session as the site's directory administrator (rootdn): what a person at that
    site changes by hand."""
    with Ldap(layout.ldap_url(site), layout.ldap_admin_dn(site),
              layout.ldap_password()).session() as session:
        yield session


def write(layout: Layout, site: str, *writes: Write) -> None:
    with as_admin(layout, site) as session:
        results = list(session.apply(writes))
    assert all(result.ok for result in results), results


def person(uid: str, number: str, **values: str) -> Entry:
    return make_entry(USER, uid, **{"cn": uid.title(), "sn": uid.title(),
                                    "mail": f"{uid}@acme.example", "uidNumber": number,
                                    "gidNumber": "3001", "homeDirectory": f"/home/{uid}",
                                    **values})


def tenant(name: str, number: str, members: list[str]) -> Entry:
    return make_entry(TENANT, name, gidNumber=number, memberUid=members)


def add(layout: Layout, site: str, cluster, *entries: Entry) -> None:
    write(layout, site, *(Write("add", entry_dn(cluster, e.kind, e.key), e.add_attributes(),
                                e.object_classes) for e in entries))


def _reset(layout: Layout, site: str) -> None:
    with as_admin(layout, site) as session:
        suffix = layout.ldap_suffix(site)
        doomed = [item.dn for kind in KINDS
                  for item in session.search(f"ou={kind.unit},{suffix}", "(objectClass=*)",
                                             ["1.1"])
                  if item.dn != layout.ldap_console_dn(site)]
        assert all(result.ok for result in session.apply(Write("delete", dn) for dn in doomed))
        # The console's own entry, as the mini cluster seeds it (a test may change it).
        assert next(session.apply([Write("modify", layout.ldap_console_dn(site), {
            "cn": [CONSOLE_USER], "sn": [CONSOLE_USER]})])).ok
    services.ldap_service(layout, site).after_start()  # alice again, with her password


def ldap_stopped(layout: Layout, site: str) -> AbstractContextManager[None]:
    """The site's slapd stopped for the block, started again after it."""
    return stopped(layout, services.ldap_service(layout, site))


@pytest.fixture
def directories(minicluster: Layout) -> Layout:
    for site in SITES:
        _reset(minicluster, site)
    return minicluster


def people(cluster) -> dict[str, Entry]:
    return read_directory(cluster)[USER]


def tenants(cluster) -> dict[str, Entry]:
    return read_directory(cluster)[TENANT]


def groups(cluster) -> dict[str, Entry]:
    return read_directory(cluster)[GROUP]
