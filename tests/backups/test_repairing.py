"""A service moved to a new pairing: its next round diffs only from a restore point that
exists on the new target and whose snapshot exists on the new source, else copies in full."""

import pytest

from backups.models import BackupPolicy, RoundState
from backups.preparing import run_now
from backups.protection import ServiceRequest, save_service
from console.pairing import pair, unpair
from tests.backups.conftest import make_service, site, tree, work

pytestmark = pytest.mark.django_db(transaction=True)


def repair(service, primary, secondary):
    """Unpair, pair again (perhaps the other way round), point the service at it."""
    BackupPolicy.objects.filter(service=service).update(enabled=False)
    assert unpair(service.pairing) == []
    pairing = pair(primary, secondary, by="ada")
    service.refresh_from_db()
    policy = service.policy
    return save_service(ServiceRequest(
        tenant=service.tenant, name=service.name, pairing=pairing,
        data_sets=[(d.component, d.locator) for d in service.data_sets.all()],
        first_moment=policy.first_moment, period=policy.period, retention=policy.retention),
        by="tina", service=service)


def finished(round_):
    work()
    round_.refresh_from_db()
    assert round_.state == RoundState.CONSISTENT, round_.reason
    return round_


def test_repaired_the_same_way_the_next_round_diffs_from_the_kept_restore_point(
    pairing, clusters, tenant_data, queues
):
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    first = finished(run_now(service))
    service = repair(service, clusters["site-a"], clusters["site-b"])
    after = finished(run_now(service))
    assert after.base == first and not after.full_copy


def test_repaired_the_other_way_round_the_next_round_copies_in_full_from_the_new_primary(
    pairing, clusters, tenant_data, queues, minicluster
):
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    finished(run_now(service))
    service = repair(service, clusters["site-b"], clusters["site-a"])
    new_primary, new_secondary = site(minicluster, "site-b"), site(minicluster, "site-a")
    written = f"{tenant_data.bills}/after-repairing.csv"
    new_primary.write(written, b"bill,5\n")
    try:
        after = finished(run_now(service))
        assert (after.source, after.target) == (clusters["site-b"], clusters["site-a"])
        # No restore point of this service lies on site-a: nothing to diff from.
        assert after.base is None and after.full_copy
        assert tree(new_secondary, tenant_data.bills) == tree(new_primary, tenant_data.bills)
    finally:
        new_primary.delete(written)
        new_secondary.delete(written)
