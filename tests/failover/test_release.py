"""Once a failover is committed, the snapshots of the direction it ended are released:
each service keeps its newest restore point on the new primary, and the rest on the new
primary and the old rounds' snapshots on the old primary are deleted."""

import pytest

from backups.models import RestorePoint
from failover.models import Switchover
from failover.release import release_old_direction
from failover.running import run_here
from failover.switching import commit_failover, failover
from tests.backups.conftest import site, work
from tests.failover.conftest import consistent_round
from tests.failover.test_holds import snapshots_on

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_committed_failover_releases_the_old_directions_snapshots(
    bills_only, pairing, minicluster
):
    first, second = consistent_round(bills_only), consistent_round(bills_only)
    old_primary, new_primary = site(minicluster, "site-a"), site(minicluster, "site-b")
    switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    assert {first.snapshot_name, second.snapshot_name} <= snapshots_on(new_primary)

    commit_failover(switchover, "olga", "site-b", "site-a is gone for good")
    work("control")

    assert list(RestorePoint.objects.values_list("name", flat=True)) == [second.snapshot_name]
    assert first.snapshot_name not in snapshots_on(new_primary)
    assert second.snapshot_name in snapshots_on(new_primary)
    assert not {first.snapshot_name, second.snapshot_name} & snapshots_on(old_primary)
    assert ("Released the old direction's snapshots: 1 restore point on site-b (each service "
            "keeps its newest), 1 round snapshot on site-a.") in Switchover.objects.get(
                pk=switchover.pk).notes


def test_a_cluster_that_does_not_answer_keeps_its_snapshots_and_says_how_to_delete_them(
    bills_only, pairing, minicluster, clusters
):
    first, second = consistent_round(bills_only), consistent_round(bills_only)
    switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    commit_failover(switchover, "olga", "site-b", "site-a is gone for good")
    clusters["site-a"].webhdfs_url = "http://127.0.0.1:9/webhdfs/v1"
    clusters["site-a"].save()
    switchover = Switchover.objects.get(pk=switchover.pk)

    release_old_direction(switchover)

    notes = " ".join(switchover.notes)
    assert "Snapshots of /data were not released" in notes
    assert "hdfs dfs -deleteSnapshot /data NAME, for " in notes and second.snapshot_name in notes
    assert second.snapshot_name in snapshots_on(site(minicluster, "site-a"))
    assert first.snapshot_name not in snapshots_on(site(minicluster, "site-b"))
