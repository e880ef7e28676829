"""Failures never leave a false "consistent": killed workers, stopped clusters, writers
during a synchronized round."""

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from adapters.hiveserver2 import HiveServer2Error
from backups import restore_points, snapshotting
from backups.models import RoundState, TaskState
from backups.preparing import run_now
from console.roles import Role
from minicluster import services
from tests.backups.conftest import make_service, site, tree, wait_for, work

ROOT = Path(__file__).resolve().parents[2]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


@contextmanager
def stopped(minicluster, service: services.Service) -> Iterator[None]:
    """A mini-cluster service stopped for the block, started again after it."""
    services.stop(minicluster, service)
    try:
        yield
    finally:
        services.start(minicluster, [service])


def webhdfs_stopped(minicluster, site_name: str) -> AbstractContextManager[None]:
    """The site's WebHDFS server stopped for the block, started again after it."""
    return stopped(minicluster, services.webhdfs_service(minicluster, site_name))


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_copy_still_ends_consistent_and_identical(
    pairing, queues, minicluster, bulk
):
    service = make_service(pairing, [("hdfs", bulk)])
    round_ = run_now(service)
    work("site-a")  # the snapshot at T; replication is queued for secondary-site
    worker = subprocess.Popen(
        # No RQ scheduler: the tests' retries need none, and its process would be a
        # second child beside the work horse.
        [sys.executable, "manage.py", "rqworker", "site-b", "control"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
                       "LOCKSTEP_TEST_WORKER": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        task = round_.tasks.get()
        # Progress is saved at most twice a second: the first report comes mid-copy.
        wait_for(lambda: task.__class__.objects.get(pk=task.pk).files_done > 0, 60,
                 "the copy to start")
        horse = wait_for(lambda: children(worker.pid), 10, "the work horse")[0]
        os.kill(horse, signal.SIGKILL)
        wait_for(lambda: round_.__class__.objects.get(pk=round_.pk).finished, 120,
                 "the round to finish")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    round_.refresh_from_db()
    task.refresh_from_db()
    assert round_.state == RoundState.CONSISTENT, round_.reason
    assert task.attempts >= 2
    assert tree(site(minicluster, "site-b"), bulk) == tree(site(minicluster, "site-a"), bulk)


@pytest.mark.django_db(transaction=True)
def test_secondary_stopped_mid_round_fails_cleanly_and_the_next_round_succeeds(
    pairing, tenant_data, queues, minicluster
):
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    first = run_now(service)
    work()
    first.refresh_from_db()
    assert first.state == RoundState.CONSISTENT
    site(minicluster, "site-a").write(f"{tenant_data.bills}/late.csv", b"late\n",
                                      overwrite=True)
    second = run_now(service)
    work("site-a")
    with webhdfs_stopped(minicluster, "site-b"):
        work()
    second.refresh_from_db()
    assert second.state == RoundState.FAILED
    assert second.reason.startswith(f"{tenant_data.bills}: ")
    assert not hasattr(second, "restore_point") or second.restore_point is None
    task = second.tasks.get()
    assert task.state == TaskState.FAILED and task.attempts == 1 + len(
        settings.LOCKSTEP_TASK_RETRY_INTERVALS)
    primary = site(minicluster, "site-a")
    # Kept for a retry of its copies, until a newer round starts.
    assert second.snapshot_name in {s.name for s in primary.snapshots("/data")}
    third = run_now(service)
    work()
    third.refresh_from_db()
    assert third.state == RoundState.CONSISTENT, third.reason
    assert third.base_id == first.pk
    assert second.snapshot_name not in {s.name for s in primary.snapshots("/data")}
    assert tree(site(minicluster, "site-b"), tenant_data.bills) == tree(
        site(minicluster, "site-a"), tenant_data.bills)


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_job_failing_after_the_snapshot_leaves_no_snapshot_behind(
    bill_clearing, minicluster, monkeypatch
):
    """HiveServer2 fails the metadata capture after T, when the primary's snapshot is
    already taken: the round fails naming it, the snapshot goes, the next round works."""
    captures = []
    capture = snapshotting._capture_metadata

    def failing_after_t(round_):
        captures.append(round_)
        if len(captures) == 2:
            raise HiveServer2Error("HiveServer2 went away after T")
        return capture(round_)

    monkeypatch.setattr(snapshotting, "_capture_metadata", failing_after_t)
    failed = run_now(bill_clearing)
    work()
    failed.refresh_from_db()
    assert failed.state == RoundState.FAILED
    assert failed.reason == "snapshot at T failed: HiveServer2 went away after T"
    assert {t.state for t in failed.tasks.all()} == {TaskState.FAILED}
    primary = site(minicluster, "site-a")
    assert [s.name for s in primary.snapshots("/data") if s.name == failed.snapshot_name] == []
    monkeypatch.setattr(snapshotting, "_capture_metadata", capture)
    after = run_now(bill_clearing)
    work()
    after.refresh_from_db()
    assert after.state == RoundState.CONSISTENT, after.reason


@pytest.mark.django_db(transaction=True)
def test_retention_failing_after_the_restore_point_is_shown_on_the_round(
    pairing, tenant_data, queues, minicluster, client, make_user, monkeypatch
):
    """The primary stops answering once the restore point is taken: the round is
    consistent (its restore point is on the secondary), and the round says retention
    failed."""
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    first = run_now(service)
    work()
    first.refresh_from_db()
    second = run_now(service)
    work("site-a", "site-b")
    retention = restore_points.apply_retention

    def primary_gone_first(round_):
        with webhdfs_stopped(minicluster, "site-a"):
            return retention(round_)

    monkeypatch.setattr(restore_points, "apply_retention", primary_gone_first)
    work("control")
    monkeypatch.setattr(restore_points, "apply_retention", retention)
    second.refresh_from_db()
    assert second.state == RoundState.CONSISTENT, second.reason
    assert second.restore_point is not None
    assert second.retention_error.startswith("retention failed, old snapshots kept: ")
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    page = client.get(f"/rounds/{second.pk}/").content.decode()
    assert "retention failed, old snapshots kept" in page
    primary = site(minicluster, "site-a")
    assert first.snapshot_name in {s.name for s in primary.snapshots("/data")}
    third = run_now(service)
    work()
    third.refresh_from_db()
    assert third.state == RoundState.CONSISTENT and third.retention_error == ""
    assert first.snapshot_name not in {s.name for s in primary.snapshots("/data")}


@pytest.mark.django_db(transaction=True)
def test_synchronized_round_with_an_active_writer_is_never_consistent(
    pairing, tenant_data, queues, minicluster
):
    primary = site(minicluster, "site-a")
    primary.allow_snapshot("/archive")
    service = make_service(pairing, [("hdfs", tenant_data.bills),
                                     ("hdfs", tenant_data.archive)])
    assert service.policy.consistency == "synchronized"
    stop = threading.Event()
    # Its own directory, removed afterwards: thousands of files left in the bills would
    # make every later test's first (full) round copy them.
    burst = f"{tenant_data.bills}/burst"

    def write() -> None:
        number = 0
        while not stop.is_set():
            primary.write(f"{burst}/{number}.csv", b"x\n", overwrite=True)
            number += 1

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        round_ = run_now(service)
        work()
    finally:
        stop.set()
        writer.join(timeout=10)
        primary.delete(burst, recursive=True)
    round_.refresh_from_db()
    assert round_.state == RoundState.CRASH_CONSISTENT
    assert round_.verification_attempts == settings.LOCKSTEP_VERIFY_ATTEMPTS
    assert "changed between its snapshots" in round_.reason
