"""Rounds act only for the roles and epoch they were prepared in, and never after a
newer round of their service started: fenced or superseded rounds write nothing more."""

import django_rq
import pytest

from backups import queueing
from backups.models import RestorePoint, RoundState, Service, TaskState
from backups.preparing import run_now
from console.clusters import zookeeper_of
from console.models import Cluster, Pairing
from failover.identity import ClusterRole, Identity, load_identity, write_identity
from tests.backups.conftest import make_service, site, tree, walk, work

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def service(pairing, tenant_data, queues):
    return make_service(pairing, [("hdfs", tenant_data.bills)])


def listing(client, top: str) -> dict[str, tuple]:
    """Every path under `top` with what a write would change, and the root's snapshots."""
    files = {path: (s["type"], s["length"], s["modificationTime"], s["permission"])
             for path, s in walk(client, top)}
    return {"files": files, "snapshots": sorted(s.name for s in client.snapshots(top))}


def set_identity(cluster: Cluster, role: ClusterRole, epoch: int, peer: str) -> None:
    """What a failover writes: the role and epoch, compare-and-set over the current one."""
    with zookeeper_of(cluster) as zookeeper:
        recorded = load_identity(zookeeper)
        write_identity(zookeeper, Identity(role, epoch, recorded.identity.since, "olga",
                                           cluster.name, peer), recorded)


def consistent_round(service):
    round_ = run_now(service)
    work()
    round_.refresh_from_db()
    assert round_.state == RoundState.CONSISTENT, round_.reason
    return round_


def test_an_epoch_moved_mid_round_fences_it_and_nothing_more_is_written(
    service, clusters, tenant_data, minicluster
):
    consistent_round(service)
    primary, secondary = site(minicluster, "site-a"), site(minicluster, "site-b")
    primary.write(f"{tenant_data.bills}/late-bill.csv", b"bill,42\n")
    try:
        round_ = run_now(service)
        work("site-a")  # the snapshot at T; its copy waits on site-b's queue
        round_.refresh_from_db()
        assert round_.state == RoundState.REPLICATING
        before = listing(secondary, "/data")
        # A failover promotes site-b while the copy waits.
        set_identity(clusters["site-b"], ClusterRole.PRIMARY, 2, "site-a")
        work("site-b", "control")
    finally:
        primary.delete(f"{tenant_data.bills}/late-bill.csv")
    round_.refresh_from_db()
    assert round_.state == RoundState.FENCED
    assert round_.reason.startswith("fenced: site-b carries primary in epoch 2, while the round "
                                    "was prepared with it as secondary in epoch 1")
    assert listing(secondary, "/data") == before
    assert not RestorePoint.objects.filter(round=round_).exists()
    assert {t.state for t in round_.tasks.all()} == {TaskState.CANCELLED}
    assert Service.objects.get(pk=service.pk).active_round is None


def test_a_wedged_round_released_after_a_newer_one_ended_is_superseded_untouched(
    service, tenant_data, minicluster
):
    base = consistent_round(service)
    primary, secondary = site(minicluster, "site-a"), site(minicluster, "site-b")
    primary.write(f"{tenant_data.bills}/wedged.csv", b"bill,7\n")
    try:
        wedged = run_now(service)
        work("site-a")
        # Its copy and finish are lost (the retry that never ran); an install upgraded from
        # before claims existed holds no claim for it, so the next round runs.
        for name in ("site-b", "control"):
            django_rq.get_queue(name).empty()
        Service.objects.filter(pk=service.pk).update(active_round=None)
        primary.delete(f"{tenant_data.bills}/wedged.csv")
        newer = consistent_round(service)
        before = listing(secondary, "/data")
        # The lost jobs come back (as the reaper or a late retry brings them).
        queueing.enqueue_replication(wedged, list(wedged.tasks.all()))
        work()
    finally:
        primary.delete(f"{tenant_data.bills}/wedged.csv")
    wedged.refresh_from_db()
    assert wedged.state == RoundState.SUPERSEDED
    assert wedged.reason.startswith(f"the round at {newer.moment:%Y-%m-%d %H:%M:%S} started "
                                    "after it")
    assert listing(secondary, "/data") == before
    assert not wedged.rolled_back
    assert "wedged.csv" not in {path.rsplit("/", 1)[-1] for path in before["files"]}
    assert wedged.snapshot_name not in {s.name for s in primary.snapshots("/data")}
    assert base.restore_point is not None and newer.restore_point is not None


def test_after_the_roles_swap_rounds_run_from_the_new_primary_on_its_site_queue(
    service, pairing, clusters, tenant_data, minicluster
):
    consistent_round(service)
    site_a, site_b = clusters["site-a"], clusters["site-b"]
    # What a confirmed failover leaves: site-b primary in epoch 2, in the database and in
    # both clusters' own ZooKeepers.
    Pairing.objects.filter(pk=pairing.pk).update(primary=site_b, secondary=site_a, epoch=2)
    set_identity(site_b, ClusterRole.PRIMARY, 2, "site-a")
    set_identity(site_a, ClusterRole.SECONDARY, 2, "site-b")
    new_primary, old_primary = site(minicluster, "site-b"), site(minicluster, "site-a")
    written = f"{tenant_data.bills}/after-failover.csv"
    new_primary.write(written, b"bill,99\n")
    try:
        service.refresh_from_db()
        round_ = run_now(service)
        assert (round_.source, round_.target, round_.epoch) == (site_b, site_a, 2)
        assert django_rq.get_queue("site-b").count == 1
        assert django_rq.get_queue("site-a").count == 0
        work()
        round_.refresh_from_db()
        assert round_.state == RoundState.CONSISTENT, round_.reason
        assert round_.restore_point.cluster == site_a
        assert tree(old_primary, tenant_data.bills) == tree(new_primary, tenant_data.bills)
    finally:
        new_primary.delete(written)
        old_primary.delete(written)
