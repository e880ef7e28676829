"""Every service whose moment is T is snapshotted at T, however many share it: one
dispatch per source and moment snapshots each of its rounds on a thread of its own."""

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import django_rq
import pytest
from django.db import connection
from django.template.defaultfilters import floatformat
from django.utils import timezone

from backups.dispatching import dispatch_moment
from backups.jobs import snapshot_round
from backups.models import Round, RoundState
from backups.preparing import prepare_round
from console.roles import Role
from minicluster.services import hiveserver2_client
from tests.backups.conftest import make_service, site, work

pytestmark = pytest.mark.django_db(transaction=True)
SERVICES = 5
# As far ahead as the scheduler prepares rounds (LOCKSTEP_ROUND_LEAD): time for every
# round's checks before T (ZooKeeper, HiveServer2), all at once, on a machine that runs
# other test suites too.
LEAD = timedelta(seconds=30)
# Far above a quiet machine's few milliseconds, far below the second that one round's
# snapshot job makes the next one wait when they run one after another.
BOUND_MS = 500


@pytest.fixture(scope="module")
def groups(minicluster, tenant_data) -> list[list[tuple[str, str]]]:
    """For each service, its own HDFS directory with a file and SparkSQL table with a row."""
    primary = site(minicluster, "site-a")
    hive = hiveserver2_client(minicluster, "site-a", "alice")
    found = []
    for number in range(SERVICES):
        directory = f"/data/acme/moment-{number}"
        primary.write(f"{directory}/entry.csv", b"%d\n" % number, overwrite=True)
        table = f"acme.moment_{number}"
        hive.query(f"CREATE TABLE IF NOT EXISTS {table} USING parquet AS SELECT {number} AS id")
        found.append([("hdfs", directory), ("sparksql", table)])
    return found


def assert_snapshotted_at_t(rounds: list[Round]) -> None:
    for round_ in rounds:
        round_.refresh_from_db()
        assert round_.state == RoundState.CONSISTENT, round_.reason
        assert round_.moment_error_ms < BOUND_MS, [r.moment_error_ms for r in rounds]


def test_services_sharing_a_moment_are_all_snapshotted_at_it_by_one_worker(
    pairing, queues, groups, client, make_user
):
    services = [make_service(pairing, data_sets, name=f"moment {number}")
                for number, data_sets in enumerate(groups)]
    moment = timezone.now() + LEAD
    rounds = [prepare_round(service, moment) for service in services]
    assert django_rq.get_queue("site-a").count == 1, "one dispatch serves the moment"
    work("site-a")
    work()
    assert_snapshotted_at_t(rounds)
    client.force_login(make_user("olga", Role.OPERATOR))
    page = client.get("/rounds/").content.decode()
    assert all(f"{floatformat(r.moment_error_ms, 0)} ms" in page for r in rounds)
    assert "ms late" not in page


def on_thread(call: Callable[..., None], *args) -> threading.Thread:
    def run() -> None:
        try:
            call(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_moment_dispatched_twice_snapshots_each_round_once(pairing, queues, groups):
    """Two dispatches of one moment (a job run twice) and a round's own job at once; a
    round prepared after they started is taken too."""
    first, second = (make_service(pairing, [data_sets[0]], name=f"moment {number}")
                     for number, data_sets in enumerate(groups[:2]))
    moment = timezone.now() + LEAD
    early = prepare_round(first, moment)
    runs = [on_thread(dispatch_moment, early.source_id, moment) for _ in range(2)]
    runs.append(on_thread(snapshot_round, early.pk))
    time.sleep(1)
    late = prepare_round(second, moment)
    for run in runs:
        run.join()
    work()
    assert_snapshotted_at_t([early, late])
