"""After a comparison, a sync reads only what may differ since: entries changed on
either side, entries on one side only, the drift, and the holders of their numbers.
It finds what a full comparison finds."""

import time
from datetime import timedelta

import pytest

from adapters.ldap import Write
from tests.userdata.conftest import add, people, person, write
from userdata import reading
from userdata.comparison import compare
from userdata.directories import entry_dn, read_directory
from userdata.entries import USER
from userdata.models import RunState
from userdata.syncing import sync_pairing

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_sync_after_a_comparison_reads_what_may_differ_and_finds_every_difference(
    directories, pairing, monkeypatch
):
    # Timestamps are whole seconds: a margin of none, and a pause, let this test tell
    # entries changed after the first sync from the rest.
    monkeypatch.setattr(reading, "CLOCK_MARGIN", timedelta(0))
    a, b = pairing.primary, pairing.secondary
    add(directories, "site-a", a, person("bob", "2002"), person("carol", "2003"),
        person("dave", "2004"))
    add(directories, "site-b", b, person("mallory", "2666"))
    first = sync_pairing(pairing, by="ada")
    assert first.state == RunState.SYNCED and first.since is None
    time.sleep(1.5)  # the first sync's writes are older than the second's start
    second = sync_pairing(pairing, by="ada")
    assert second.since is not None and second.counts == {"keep": 1}
    time.sleep(1.5)

    write(directories, "site-a",
          Write("modify", entry_dn(a, USER, "bob"), {"mail": ["robert@acme.example"]}))
    write(directories, "site-b",  # by hand, on the secondary
          Write("modify", entry_dn(b, USER, "carol"), {"mail": ["carol@elsewhere"]}))
    # A new user with dave's number: dave is unchanged on both sides, yet the conflict
    # is found.
    add(directories, "site-a", a, person("erin", "2004"))
    full = compare(read_directory(a), read_directory(b), remove=False)

    third = sync_pairing(pairing, by="ada")
    assert third.since == second.started_at
    assert {(d["action"], d["key"]) for d in third.differences} == {
        (d.action, d.key) for d in full} == {
        ("update", "bob"), ("update", "carol"), ("conflict", "erin"), ("keep", "mallory")}
    assert people(b)["carol"].values["mail"] == ("carol@acme.example",)
    assert people(b)["bob"].values["mail"] == ("robert@acme.example",)
    assert "erin" not in people(b)
