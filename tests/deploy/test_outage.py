"""A one-minute outage of the secondary, met the way users meet it: the demo's processes
under supervisord, the production retry intervals, rounds started from the page's
"run now". The round during the outage ends (failed, with the reason), never wedged, and
the next round after it is consistent."""

import time

import pytest
from django.conf import settings

from backups.models import Round, RoundState
from backups.preparing import run_now
from tests.backups.conftest import make_service, site, tree, wait_for
from tests.backups.test_failures import webhdfs_stopped
from tests.failover.test_switching import in_point

# console/settings.py's default: what a deployment runs with.
PRODUCTION_RETRY_INTERVALS = "1,3,6"
OUTAGE = 70


@pytest.fixture
def supervisor_env(supervisor_env):
    return {**supervisor_env, "LOCKSTEP_TASK_RETRY_INTERVALS": PRODUCTION_RETRY_INTERVALS}


def ended(round_: Round, timeout: float) -> Round:
    wait_for(lambda: Round.objects.get(pk=round_.pk).finished, timeout, f"{round_} to end")
    round_.refresh_from_db()
    return round_


@pytest.mark.django_db(transaction=True)
def test_a_round_during_a_70_s_outage_of_the_secondary_ends_and_the_next_is_consistent(
    pairing, tenant_data, queues, minicluster, supervised
):
    assert settings.LOCKSTEP_TASK_RETRY_INTERVALS == [0, 0, 0]  # this process's; not the workers'
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    first = ended(run_now(service), 120)
    assert first.state == RoundState.CONSISTENT, first.reason
    primary = site(minicluster, "site-a")
    primary.write(f"{tenant_data.bills}/during-outage.csv", b"written while site-b was down\n",
                  overwrite=True)
    with webhdfs_stopped(minicluster, "site-b"):
        stopped = time.monotonic()
        during = run_now(service)
        # Ends within the retries' back-off (1 + 3 + 6 s), not "replicating" forever.
        during = ended(during, OUTAGE - 10)
        time.sleep(max(0.0, OUTAGE - (time.monotonic() - stopped)))
    assert during.state == RoundState.FAILED
    assert during.reason.startswith(f"{tenant_data.bills}: ")
    assert str(minicluster.sites["site-b"].webhdfs) in during.reason  # names the endpoint
    assert during.tasks.get().attempts == 1 + len(PRODUCTION_RETRY_INTERVALS.split(","))
    after = ended(run_now(service), 120)
    assert after.state == RoundState.CONSISTENT, after.reason
    assert after.base_id == first.pk
    # The demo's sample app, under the same supervisord, keeps writing bills into the data
    # set: the restore point holds the primary's data at T, not as it is now.
    at_t = in_point(tenant_data.bills, after.snapshot_name)
    assert tree(site(minicluster, "site-b"), in_point(tenant_data.bills,
                                                      after.restore_point.name)) == tree(
        primary, at_t)
