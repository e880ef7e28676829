"""While a failover of a pairing waits for its decision, the pairing's backups are
paused and no snapshot of a restore point is deleted on either cluster."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backups.models import RestorePoint, Round, RoundState
from backups.preparing import prepare_round
from backups.removal import RemovalRefused, delete_service
from backups.retention import RetentionHeld, apply_retention
from backups.retrying import RetryRefused, retry_round
from failover.holds import hold_reason
from failover.running import run_here
from failover.switching import commit_failover, failover
from tests.backups.conftest import site
from tests.failover.conftest import consistent_round

pytestmark = pytest.mark.django_db(transaction=True)


def snapshots_on(client) -> set[str]:
    return {snapshot.name for snapshot in client.snapshots("/data")}


def test_no_restore_point_is_deleted_until_the_failover_is_committed(
    bills_only, pairing, minicluster
):
    first, second = consistent_round(bills_only), consistent_round(bills_only)
    old_primary, new_primary = site(minicluster, "site-a"), site(minicluster, "site-b")
    switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    # The policy now keeps one point: the first is one too many.
    Round.objects.filter(pk=second.pk).update(retention=1)
    second.refresh_from_db()

    with pytest.raises(RetentionHeld, match="Backups over this pairing are paused"):
        apply_retention(second)
    with pytest.raises(RemovalRefused, match="Delete the service keeping its restore points"):
        delete_service(bills_only)
    assert RestorePoint.objects.count() == 2
    assert {first.snapshot_name, second.snapshot_name} <= snapshots_on(new_primary)
    assert second.snapshot_name in snapshots_on(old_primary)

    commit_failover(switchover, "olga", "site-b", "site-a is gone for good")

    assert hold_reason(pairing.pk) == ""
    assert apply_retention(second) == [first.snapshot_name]
    assert first.snapshot_name not in snapshots_on(new_primary)
    assert second.snapshot_name in snapshots_on(new_primary)
    assert second.snapshot_name in snapshots_on(old_primary)


def test_while_a_failover_waits_each_moment_is_skipped_saying_why(bills_only, pairing):
    failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    bills_only.refresh_from_db()
    skipped = prepare_round(bills_only, timezone.now() + timedelta(seconds=20))
    assert skipped.state == RoundState.SKIPPED
    assert skipped.reason.startswith("Backups over this pairing are paused: the failover "
                                     "from site-a to site-b")
    assert bills_only.active_round is None


def test_a_failed_round_is_not_retried_while_a_failover_waits(bills_only, pairing):
    failed = consistent_round(bills_only)
    Round.objects.filter(pk=failed.pk).update(state=RoundState.FAILED)
    failed.tasks.update(state="failed")
    failed.refresh_from_db()
    failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    with pytest.raises(RetryRefused, match="Backups over this pairing are paused"):
        retry_round(failed)


def test_a_service_deleted_while_a_failover_waits_keeps_every_snapshot(
    bills_only, pairing, minicluster
):
    point = consistent_round(bills_only).restore_point
    failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    removal = delete_service(bills_only, keep_restore_points=True)
    assert removal.snapshots == []
    assert point.name in snapshots_on(site(minicluster, "site-b"))
    assert point.name in snapshots_on(site(minicluster, "site-a"))
