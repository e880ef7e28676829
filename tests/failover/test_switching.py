"""Confirming a failover, rolling it back or committing it, on the real mini cluster: the
secondary lands on each service's own last consistent restore point, identities and the
pairing reverse with a new epoch, and only a well-formed decision is taken."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backups.models import RoundState
from backups.preparing import RoundRefused, run_now
from console.models import Pairing
from console.roles import Role
from failover.models import PromptState, Switchover, SwitchoverState
from failover.running import run_here
from failover.switching import (
    FailoverConflict,
    FailoverRefused,
    commit_failover,
    confirm_failover,
    failover,
    rollback_failover,
)
from tests.backups.conftest import hive, make_service, site, tree, wait_for, walk, work
from tests.failover.conftest import ROWS, consistent_round, identity_of, open_prompt
from tests.minicluster.test_standby import alice, app_dirs, writes  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def listing(client, path: str) -> dict[str, tuple]:
    """Every path under `path` with its type and length."""
    return {child: (status["type"], status["length"]) for child, status in walk(client, path)}


def in_point(path: str, point: str) -> str:
    """`path` (under /data) as the restore point's snapshot holds it."""
    return f"/data/.snapshot/{point}/{path.removeprefix('/data/')}"


def copy_file(source, target, path: str) -> None:
    with source.read(path) as chunks:
        target.write(path, b"".join(chunks), overwrite=True)


def test_a_confirmed_failover_lands_the_secondary_on_its_last_restore_point(
    service, pairing, clusters, tenant_data, minicluster, client, make_user
):
    primary, secondary = site(minicluster, "site-a"), site(minicluster, "site-b")
    bills, table = tenant_data.bills, service.data_sets.get(component="hive").storage_path
    primary.write(f"{bills}/2026-11/bill-0010.csv", b"bill,customer\n10,1\n", overwrite=True)
    point = consistent_round(service).restore_point
    rows_at_point = hive(minicluster, "site-b").query(ROWS)
    # The primary moves on after the point: a bill added, one removed, a customer added.
    primary.write(f"{bills}/2026-11/bill-0011.csv", b"bill,customer\n11,3\n", overwrite=True)
    primary.delete(f"{bills}/2026-11/bill-0010.csv")
    hive(minicluster, "site-a").query("INSERT INTO acme.customers VALUES (3, 'Edsger')")
    half = run_now(service)
    work("site-a")  # its snapshot at T; its copies wait on site-b's queue
    half.refresh_from_db()
    assert half.state == RoundState.REPLICATING
    # Half of its copies landed on the secondary: a bill cut short, a delete, a new part
    # file of the table; and a bill of the point was rewritten there.
    secondary.write(f"{bills}/2026-11/bill-0011.csv", b"bill,cus", overwrite=True)
    secondary.delete(f"{bills}/2026-11/bill-0010.csv")
    secondary.write(f"{bills}/2026-11/bill-0001.csv", b"rewritten\n", overwrite=True)
    new_part = next(name for name, _ in primary.list_dir(table)
                    if secondary.status(f"{table}/{name}", strict=False) is None)
    copy_file(primary, secondary, f"{table}/{new_part}")
    for path in (bills, table):
        assert tree(secondary, path) != tree(secondary, in_point(path, point.name))
    prompt = open_prompt(pairing)

    started = confirm_failover(prompt, "olga", "site-b", "site-a lost power")
    work("control")

    switchover = Switchover.objects.get(pk=started.pk)
    assert switchover.state == SwitchoverState.DONE, switchover.error
    assert list(switchover.steps) == ["fault_seen", "prompted", "confirmed", "backups_paused",
                                      "rounds_stopped", "rolled_back", "user_data_synced",
                                      "primary_written", "discovery_moved", "old_primary_written",
                                      "pairing_swapped"]
    for path in (bills, table):
        assert listing(secondary, path) == listing(secondary, in_point(path, point.name))
        assert tree(secondary, path) == tree(secondary, in_point(path, point.name))
    assert hive(minicluster, "site-b").query(ROWS) == rows_at_point
    assert (3, "Edsger") not in rows_at_point
    site_a, site_b = clusters["site-a"], clusters["site-b"]
    assert identity_of(site_b) == ("primary", 2, "site-a")
    assert identity_of(site_a) == ("secondary", 2, "site-b")
    pairing.refresh_from_db()
    assert (pairing.primary, pairing.secondary, pairing.epoch) == (site_b, site_a, 2)
    half.refresh_from_db()
    assert half.state in {RoundState.CANCELLED, RoundState.FENCED}
    prompt.refresh_from_db()
    assert (prompt.state, prompt.decided_by) == (PromptState.CONFIRMED, "olga")
    [entry] = switchover.services
    assert (entry["restore_point"], entry["tables"]) == (point.name, ["acme.customers"])
    assert any(change.endswith("bill-0011.csv") for change in entry["undone"])
    assert entry["policy"] == "enabled"
    window = switchover.window_until - switchover.finished_at
    assert window == timedelta(hours=24)
    # Backups over the pairing are paused until an operator decides, and the page says why.
    with pytest.raises(RoundRefused, match="Backups over this pairing are paused"):
        run_now(service)
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    page = client.get(f"/services/{service.pk}/").content.decode()
    assert "waits for an operator to commit it or roll it back" in page
    # The stopped round's jobs, run late, write nothing.
    before = tree(secondary, bills)
    work()
    half.refresh_from_db()
    assert half.state in {RoundState.CANCELLED, RoundState.FENCED}
    assert tree(secondary, bills) == before


@pytest.mark.usefixtures("app_dirs")
def test_after_a_failover_applications_write_to_the_new_primary_only(pairing, minicluster):
    wait_for(lambda: not writes(alice(minicluster, "site-b"), "before"), 10,
             "the secondary to refuse applications")

    failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)

    wait_for(lambda: writes(alice(minicluster, "site-b"), "after"), 10,
             "the new primary to take writes")
    wait_for(lambda: not writes(alice(minicluster, "site-a"), "after"), 10,
             "the old primary to refuse them")


def test_services_sharing_the_root_each_return_to_their_own_restore_point(
    pairing, tenant_data, queues, minicluster
):
    primary, secondary = site(minicluster, "site-a"), site(minicluster, "site-b")
    bills, ledger = tenant_data.bills, "/data/acme/ledger"
    primary.write(f"{ledger}/entry-1.csv", b"entry\n1\n", overwrite=True)
    try:
        billing = make_service(pairing, [("hdfs", bills)])
        booking = make_service(pairing, [("hdfs", ledger)], name="booking")
        billing_point = consistent_round(billing).restore_point
        # A billing round half-copied: the booking point, newer, snapshots /data with it.
        secondary.write(f"{bills}/half-copied.csv", b"not in billing's point\n",
                        overwrite=True)
        booking_point = consistent_round(booking).restore_point
        assert "half-copied.csv" in listing(secondary, in_point(bills, booking_point.name))
        secondary.write(f"{ledger}/half-copied.csv", b"not in booking's point\n",
                        overwrite=True)

        switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)

        switchover.refresh_from_db()
        assert switchover.state == SwitchoverState.DONE, switchover.error
        assert tree(secondary, bills) == tree(secondary, in_point(bills, billing_point.name))
        assert tree(secondary, ledger) == tree(secondary,
                                               in_point(ledger, booking_point.name))
        assert "half-copied.csv" not in listing(secondary, bills)
        assert {entry["name"]: entry["restore_point"] for entry in switchover.services} == {
            str(billing): billing_point.name, str(booking): booking_point.name}
    finally:
        for client in (primary, secondary):
            client.delete(ledger, recursive=True)


def test_a_failover_rolled_back_within_its_window_makes_the_old_primary_primary_again(
    bills_only, pairing, clusters, tenant_data, minicluster
):
    consistent_round(bills_only)
    primary, secondary = site(minicluster, "site-a"), site(minicluster, "site-b")
    switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    # An application writes to the new primary meanwhile; the old one stays untouched.
    secondary.write(f"{tenant_data.bills}/after-failover.csv", b"on site-b\n", overwrite=True)
    Switchover.objects.filter(pk=switchover.pk).update(
        window_until=timezone.now() - timedelta(seconds=1))
    with pytest.raises(FailoverConflict, match="Its window closed at"):
        rollback_failover(switchover, "olga", "site-a", "site-a is back", run=run_here)
    Switchover.objects.filter(pk=switchover.pk).update(
        window_until=timezone.now() + timedelta(hours=1))
    with pytest.raises(FailoverRefused, match="Type the name of the cluster that becomes "
                                              "primary, site-a"):
        rollback_failover(switchover, "olga", "site-b", "site-a is back", run=run_here)

    rollback = rollback_failover(switchover, "olga", "site-a", "site-a is back", run=run_here)

    rollback.refresh_from_db()
    switchover.refresh_from_db()
    assert rollback.state == SwitchoverState.DONE, rollback.error
    assert (switchover.state, switchover.decided_by) == (SwitchoverState.ROLLED_BACK, "olga")
    assert list(rollback.steps) == ["confirmed", "rounds_stopped", "user_data_synced",
                                    "primary_written", "discovery_moved",
                                    "old_primary_written", "pairing_swapped"]
    site_a, site_b = clusters["site-a"], clusters["site-b"]
    assert identity_of(site_a) == ("primary", 3, "site-b")
    assert identity_of(site_b) == ("secondary", 3, "site-a")
    pairing.refresh_from_db()
    assert (pairing.primary, pairing.secondary, pairing.epoch) == (site_a, site_b, 3)
    # Backups resume the old way, diffing from the points taken before the failover; what
    # the application wrote to site-b is rolled back.
    primary.write(f"{tenant_data.bills}/after-rollback.csv", b"on site-a\n", overwrite=True)
    bills_only.refresh_from_db()
    round_ = consistent_round(bills_only)
    assert (round_.source, round_.target, round_.epoch) == (site_a, site_b, 3)
    assert not round_.full_copy
    assert any(change.endswith("after-failover.csv") for change in round_.rolled_back)
    assert tree(secondary, tenant_data.bills) == tree(primary, tenant_data.bills)


def test_a_committed_failover_cannot_be_rolled_back(pairing, clusters):
    switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    with pytest.raises(FailoverRefused, match="site-b"):
        commit_failover(switchover, "olga", "site-a", "for good")

    committed = commit_failover(switchover, "olga", "site-b", "site-a is gone for good")

    assert (committed.state, committed.decided_by) == (SwitchoverState.COMMITTED, "olga")
    with pytest.raises(FailoverConflict, match="The failover is committed"):
        rollback_failover(switchover, "olga", "site-a", "changed my mind", run=run_here)
    assert Pairing.objects.get().epoch == 2


def test_a_decision_needs_the_name_typed_exactly_and_a_reason(pairing, clusters):
    prompt = open_prompt(pairing)
    with pytest.raises(FailoverRefused) as refused:
        confirm_failover(prompt, "olga", "Site-B", "  ")
    assert refused.value.problems == [
        "Type the name of the cluster that becomes primary, site-b, exactly as it is written, "
        "to confirm.",
        "Give a reason: it is kept with the switchover and in the audit trail."]
    prompt.refresh_from_db()
    assert prompt.state == PromptState.OPEN
    assert not Switchover.objects.exists()


def test_only_an_open_prompt_of_the_current_primary_is_confirmed(pairing, clusters):
    about_secondary = open_prompt(pairing)
    about_secondary.cluster = pairing.secondary
    about_secondary.save()
    with pytest.raises(FailoverConflict, match="not the primary of site-a → site-b now"):
        confirm_failover(about_secondary, "olga", "site-b", "site-b looks down")
    dismissed = open_prompt(pairing)
    dismissed.state = PromptState.DISMISSED
    dismissed.save()
    with pytest.raises(FailoverConflict, match="The prompt is dismissed"):
        confirm_failover(dismissed, "olga", "site-b", "site-a lost power")
    assert not Switchover.objects.exists()


def test_a_second_failover_waits_for_the_first_to_be_decided(pairing, clusters):
    first = failover(pairing, "olga", "site-b", "site-a lost power", run=lambda _: None)
    with pytest.raises(FailoverConflict, match=f"The failover {first.pk} of this pairing is "
                                               "running"):
        failover(pairing, "otto", "site-b", "site-a lost power too", run=run_here)
