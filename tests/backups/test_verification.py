"""Verified before consistent: a target changed between a data set's copy and the restore
point fails the round by name, and no restore point is taken."""

import pytest

from backups.models import RestorePoint, RoundState
from backups.preparing import run_now
from tests.backups.conftest import make_service, site, walk, work

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def copied(pairing, tenant_data, queues):
    """A round whose copies are verified and whose finish has not run yet."""
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    round_ = run_now(service)
    work("site-a")  # the snapshot at T
    work("site-b")  # the copies; the finish waits on control
    round_.refresh_from_db()
    assert round_.state == RoundState.REPLICATING
    return round_


def a_copied_file(minicluster, top: str) -> str:
    return next(f"{top}/{path}" for path, status in walk(site(minicluster, "site-b"), top)
                if status["type"] == "FILE" and status["length"] > 0)


def test_a_file_corrupted_on_the_target_after_its_copy_fails_the_round_naming_it(
    copied, tenant_data, minicluster
):
    target = site(minicluster, "site-b")
    path = a_copied_file(minicluster, tenant_data.bills)
    with target.read(path) as chunks:
        data = b"".join(chunks)
    # Same length, other bytes: only the checksum can tell.
    target.write(path, bytes(255 - b for b in data), overwrite=True)
    work("control")
    copied.refresh_from_db()
    relative = path.removeprefix(tenant_data.bills + "/")
    assert copied.state == RoundState.FAILED
    assert copied.reason == (
        "restore point not taken: the target differs from the source's snapshot: "
        f"{tenant_data.bills}: {relative}: its checksum differs from the source's")
    assert not RestorePoint.objects.filter(round=copied).exists()


def test_a_file_removed_from_the_target_after_its_copy_fails_the_round_naming_it(
    copied, tenant_data, minicluster
):
    path = a_copied_file(minicluster, tenant_data.bills)
    site(minicluster, "site-b").delete(path)
    work("control")
    copied.refresh_from_db()
    relative = path.removeprefix(tenant_data.bills + "/")
    assert copied.state == RoundState.FAILED
    assert f"{tenant_data.bills}: {relative} is missing on the target" in copied.reason
    assert not RestorePoint.objects.filter(round=copied).exists()
