"""Rounds end to end on the real mini cluster: snapshot at T, replicate, restore point."""

import pytest

from backups.models import RestorePoint, RoundState, TaskState
from backups.preparing import run_now
from console.roles import Role
from tests.backups.conftest import hive, site, tree, work


@pytest.mark.django_db(transaction=True)
def test_first_round_copies_everything_and_takes_a_restore_point(bill_clearing, minicluster):
    round_ = run_now(bill_clearing)
    work()
    round_.refresh_from_db()
    assert round_.state == RoundState.CONSISTENT, round_.reason
    assert round_.full_copy and round_.skew_ms == 0
    assert abs(round_.moment_error_ms) < 1000
    tasks = list(round_.tasks.all())
    assert all(t.state == TaskState.VERIFIED for t in tasks)
    # Each copy's span is recorded, inside the round (the benchmarks time copies by it).
    assert all(round_.moment <= t.started_at <= t.finished_at <= round_.finished_at
               for t in tasks)
    point = RestorePoint.objects.get(round=round_)
    secondary = site(minicluster, "site-b")
    assert point.name in {s.name for s in secondary.snapshots("/data")}
    for path in ("/data/acme/bills", "/data/warehouse/acme.db/customers"):
        assert tree(secondary, path) == tree(site(minicluster, "site-a"), path)
    rows = "SELECT id, name FROM acme.customers ORDER BY id"
    assert (1, "Ada") in hive(minicluster, "site-b").query(rows)
    assert hive(minicluster, "site-b").query(rows) == hive(minicluster, "site-a").query(rows)


@pytest.mark.django_db(transaction=True)
def test_next_round_copies_only_what_changed_and_rolls_back_the_secondary(
    bill_clearing, minicluster, tenant_data
):
    first = run_now(bill_clearing)
    work()
    primary, secondary = site(minicluster, "site-a"), site(minicluster, "site-b")
    primary.write(f"{tenant_data.bills}/2026-11/bill-0002.csv", b"bill,customer\n2,1\n",
                  overwrite=True)
    secondary.write(f"{tenant_data.bills}/stray.csv", b"written on the secondary\n")
    hive(minicluster, "site-a").query("INSERT INTO acme.customers VALUES (2, 'Grace')")
    second = run_now(bill_clearing)
    work()
    second.refresh_from_db()
    assert second.state == RoundState.CONSISTENT, second.reason
    assert second.base_id == first.pk and not second.full_copy
    assert any("stray.csv" in change for change in second.rolled_back)
    assert secondary.status(f"{tenant_data.bills}/stray.csv", strict=False) is None
    bills = second.tasks.get(locator=tenant_data.bills)
    assert bills.files_done == 1 and bills.bytes_done == len(b"bill,customer\n2,1\n")
    assert tree(secondary, tenant_data.bills) == tree(primary, tenant_data.bills)
    rows = "SELECT id FROM acme.customers ORDER BY id"
    assert (2,) in hive(minicluster, "site-b").query(rows)
    assert hive(minicluster, "site-b").query(rows) == hive(minicluster, "site-a").query(rows)


def read(client, path: str) -> bytes:
    with client.read(path) as chunks:
        return b"".join(chunks)


@pytest.mark.django_db(transaction=True)
def test_a_round_that_only_restores_the_secondary_says_what_it_restored(
    bill_clearing, minicluster, tenant_data, make_user, client
):
    """A file overwritten by hand on the secondary: the round moves nothing from the
    primary, and its page says which file and how much it copied back (it once said
    "0 files, 0 bytes" after restoring a 5 MB file)."""
    run_now(bill_clearing)
    work()
    secondary = site(minicluster, "site-b")
    bill = f"{tenant_data.bills}/2026-11/bill-0001.csv"
    kept = read(secondary, bill)
    secondary.write(bill, b"x" * 300_000, overwrite=True)
    second = run_now(bill_clearing)
    work()
    second.refresh_from_db()
    assert second.state == RoundState.CONSISTENT, second.reason
    assert (second.files, second.bytes) == (0, 0)
    assert (second.restored_files, second.restored_bytes) == (1, len(kept))
    assert read(secondary, bill) == kept
    client.force_login(make_user("otto", Role.OPERATOR))
    page = client.get(f"/rounds/{second.pk}/").content.decode()
    assert "0 files, 0 bytes from the primary" in page
    assert f"; first 1 file ({len(kept)} bytes) restored on the secondary" in page


@pytest.mark.django_db(transaction=True)
def test_retention_keeps_the_policys_count_of_restore_points(bill_clearing, minicluster):
    bill_clearing.policy.retention = 2
    bill_clearing.policy.save()
    rounds = []
    for _ in range(3):
        rounds.append(run_now(bill_clearing))
        work()
    for round_ in rounds:
        round_.refresh_from_db()
        assert round_.state == RoundState.CONSISTENT, round_.reason
    names = [r.snapshot_name for r in rounds]
    assert list(RestorePoint.objects.values_list("name", flat=True)) == names[:0:-1]
    on_secondary = {s.name for s in site(minicluster, "site-b").snapshots("/data")}
    assert names[0] not in on_secondary and set(names[1:]) <= on_secondary
    # The primary keeps only what the next diff starts from.
    on_primary = {s.name for s in site(minicluster, "site-a").snapshots("/data")}
    assert names[2] in on_primary and not {names[0], names[1]} & on_primary
