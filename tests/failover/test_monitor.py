"""The monitor process against the mini cluster: a primary that stops answering is put to
the operators after the grace period, with the evidence and the data at risk; one back
within the grace is not; a flapping primary is one fault and one prompt; a prompt whose
primary recovered closes itself; SIGTERM stops the monitor cleanly.

Production settings (a 10 s grace, probes every 2 s, a 30 s recovery period) unless a
test says otherwise: the timing is what these tests are about."""

import time
from datetime import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from console.heartbeats import MONITOR
from console.models import AuditEntry, Cluster, Heartbeat
from console.roles import Role
from failover.evidence import MEASURING
from failover.models import FaultPrompt, PromptState
from failover.prompts import dismiss_prompt
from failover.running import run_here
from failover.switching import failover
from minicluster import services
from tests.backups.conftest import site, wait_for
from tests.backups.test_failures import stopped, webhdfs_stopped
from tests.failover.conftest import identity_of, status_of

pytestmark = pytest.mark.django_db(transaction=True)

GRACE = settings.LOCKSTEP_FAULT_GRACE
INTERVAL = settings.LOCKSTEP_MONITOR_INTERVAL
RECOVERY = settings.LOCKSTEP_FAULT_RECOVERY
# A fault is seen by the first probe after it began, at most an interval later, and then
# waits out the grace: half a second more covers the confirming probe, the database and
# the push on a machine shared with other test runs.
WITHIN = GRACE + INTERVAL + 0.5


def prompts_of(site_name: str):
    return FaultPrompt.objects.filter(cluster__name=site_name)


def wait_for_prompt(site_name: str, timeout: float) -> FaultPrompt:
    return wait_for(lambda: prompts_of(site_name).first(), timeout, f"a prompt for {site_name}")


def measured(prompt: FaultPrompt) -> list[dict]:
    """The prompt's data at risk, once measured after it opened."""
    def done() -> list[dict] | None:
        at_risk = FaultPrompt.objects.get(pk=prompt.pk).at_risk
        return at_risk if all(e["changes_note"] != MEASURING for e in at_risk) else None

    return wait_for(done, 30, "the data at risk to be measured")


def latency(stopped_at: datetime, prompt: FaultPrompt) -> float:
    return (prompt.opened_at - stopped_at).total_seconds()


def test_the_defaults_are_production_settings():
    assert (GRACE, INTERVAL, RECOVERY) == (10, 2, 30)


def test_a_primary_whose_webhdfs_stops_is_prompted_after_the_grace_naming_it(
    start_monitor, protected, minicluster
):
    start_monitor()
    assert status_of("site-a").healthy and status_of("site-b").healthy
    stopping = timezone.now()
    with webhdfs_stopped(minicluster, "site-a"):
        prompt = wait_for_prompt("site-a", GRACE + 10)
    print(f"WebHDFS stopping → prompt: {latency(stopping, prompt):.2f} s (fault seen "
          f"{(prompt.fault_since - stopping).total_seconds():.2f} s after the stop began)")
    assert GRACE <= latency(stopping, prompt) <= WITHIN
    assert prompt.state == PromptState.OPEN and prompt.pairing == protected.pairing
    evidence = prompt.evidence
    assert [failed["endpoint"] for failed in evidence["failed"]] == ["WebHDFS"]
    assert str(minicluster.sites["site-a"].webhdfs) in evidence["failed"][0]["detail"]
    assert stopping <= datetime.fromisoformat(evidence["failed"][0]["since"]) <= prompt.opened_at
    assert evidence["primary_seen"]["identity"]["role"] == "primary"  # its ZooKeeper answers
    secondary = evidence["secondary_seen"]
    assert secondary["healthy"] and secondary["identity"]["role"] == "secondary"
    assert secondary["identity"]["peer"] == "site-a"
    [at_risk] = measured(prompt)
    point = protected.restore_points.get()
    assert at_risk["service"] == "acme/bill clearing"
    assert at_risk["restore_point"]["name"] == point.name
    assert at_risk["age_seconds"] == pytest.approx(
        (prompt.opened_at - point.moment).total_seconds(), abs=1)
    assert at_risk["changes"] is None
    assert "site-a's storage does not answer" in at_risk["changes_note"]


def test_a_primary_back_within_the_grace_opens_no_prompt(start_monitor, pairing, minicluster):
    start_monitor()
    with webhdfs_stopped(minicluster, "site-a"):
        stopped_at = time.monotonic()
        wait_for(lambda: not status_of("site-a").healthy, 2 * INTERVAL + 1,
                 "the monitor to see the stop")
        time.sleep(max(0.0, GRACE / 2 - (time.monotonic() - stopped_at)))
    wait_for(lambda: status_of("site-a").healthy, 2 * INTERVAL + 1, "site-a to answer again")
    # Past the grace and two more probes of a healthy primary: nothing opened.
    time.sleep(max(0.0, GRACE + 2 * INTERVAL - (time.monotonic() - stopped_at)))
    assert not prompts_of("site-a").exists()
    # The fault is not over until the recovery period has passed without a failure.
    assert status_of("site-a").unhealthy_since is not None


def test_a_flapping_primary_gets_one_prompt_that_closes_once_it_stays_back(
    start_monitor, pairing, minicluster
):
    start_monitor()
    with webhdfs_stopped(minicluster, "site-a"):
        prompt = wait_for_prompt("site-a", GRACE + 10)
    # Back for a few seconds, down again, back: one fault all along.
    wait_for(lambda: status_of("site-a").healthy, 2 * INTERVAL + 1, "site-a to answer")
    time.sleep(2)
    with webhdfs_stopped(minicluster, "site-a"):
        wait_for(lambda: not status_of("site-a").healthy, 2 * INTERVAL + 1,
                 "the monitor to see the second stop")
        time.sleep(GRACE)
    back = time.monotonic()
    assert list(prompts_of("site-a")) == [prompt]
    assert FaultPrompt.objects.get(pk=prompt.pk).state == PromptState.OPEN
    recovered = wait_for(lambda: prompts_of("site-a").filter(state=PromptState.RECOVERED).first(),
                         RECOVERY + 3 * INTERVAL + 5, "the prompt to close as recovered")
    took = time.monotonic() - back
    print(f"back → prompt closed: {took:.1f} s (recovery period {RECOVERY:g} s)")
    assert took >= RECOVERY
    assert recovered.note.startswith("site-a answered every probe from ")
    assert recovered.note.endswith(f"for {RECOVERY:g} s without a break: the fault is over.")
    assert recovered.decided_at is not None and recovered.decided_by == ""
    assert prompts_of("site-a").count() == 1
    assert status_of("site-a").unhealthy_since is None


def test_a_dismissed_fault_is_not_put_again_by_a_restarted_monitor(
    start_monitor, pairing, minicluster, make_user
):
    first = start_monitor()
    with webhdfs_stopped(minicluster, "site-a"):
        prompt = wait_for_prompt("site-a", GRACE + 10)
        dismiss_prompt(prompt, "the namenode is being replaced", by=make_user(
            "otto", Role.OPERATOR))
        assert first.stop() == 0
        start_monitor()  # as supervisord restarts it, the primary still down
        time.sleep(GRACE + 2 * INTERVAL)
        assert not status_of("site-a").healthy
    assert list(prompts_of("site-a").values_list("state", flat=True)) == [
        PromptState.DISMISSED]


def test_a_primary_whose_zookeeper_dies_is_prompted_with_the_data_written_since_its_point(
    start_monitor, protected, tenant_data, minicluster
):
    start_monitor()
    site(minicluster, "site-a").write(f"{tenant_data.bills}/after-the-point.csv",
                                      b"x" * 1234, overwrite=True)
    zookeeper = services.zookeeper_service(minicluster, "site-a")
    stopping = timezone.now()
    with stopped(minicluster, zookeeper):
        prompt = wait_for_prompt("site-a", GRACE + 10)
        # The session sees the death within milliseconds: the grace is all the wait.
        print(f"ZooKeeper stopping → prompt: {latency(stopping, prompt):.2f} s")
        assert GRACE <= latency(stopping, prompt) <= GRACE + 1
        [at_risk] = measured(prompt)
    [failed] = prompt.evidence["failed"]
    assert failed["endpoint"] == "ZooKeeper"
    assert "does not answer: the session is suspended" in failed["detail"]
    primary = prompt.evidence["primary_seen"]
    assert primary["identity"] is None and not primary["identity_readable"]
    assert at_risk["changes"] == {"files": 1, "bytes": 1234, "deleted": 0, "renamed": 0,
                                  "weighed": True}
    # Back, the session reconnects by itself and reads the identity again.
    wait_for(lambda: status_of("site-a").healthy and status_of("site-a").role == "primary",
             2 * INTERVAL + 5, "site-a's ZooKeeper to be seen again")


def test_the_monitor_records_each_cluster_beats_and_stops_cleanly_on_sigterm(
    start_monitor, pairing
):
    monitor = start_monitor()
    wait_for(lambda: Heartbeat.objects.filter(name=MONITOR).exists(), 10, "a heartbeat")
    primary, secondary = status_of("site-a"), status_of("site-b")
    assert (primary.role, primary.epoch) == ("primary", pairing.epoch)
    assert (secondary.role, secondary.epoch) == ("secondary", pairing.epoch)
    assert set(primary.endpoints) == {"WebHDFS", "HiveServer2", "ZooKeeper"}
    assert all(probe["ok"] and probe["latency_ms"] >= 0 for probe in primary.endpoints.values())
    assert primary.healthy and primary.last_seen and primary.unhealthy_since is None
    stopping = time.monotonic()
    assert monitor.stop(timeout=15) == 0
    print(f"SIGTERM → exit: {time.monotonic() - stopping:.2f} s")
    assert "Traceback" not in monitor.output()
    assert monitor.output().rstrip().endswith("monitor stopped")


def test_an_old_primary_seen_again_with_a_lower_epoch_is_made_secondary(
    pairing, clusters, silent_zookeeper, start_monitor
):
    site_a = clusters["site-a"]
    # Its ZooKeeper hangs while the failover runs: it keeps its identity of epoch 1.
    Cluster.objects.filter(pk=site_a.pk).update(zookeeper_hosts=silent_zookeeper)
    failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)
    Cluster.objects.filter(pk=site_a.pk).update(zookeeper_hosts=site_a.zookeeper_hosts)
    assert identity_of(site_a) == ("primary", 1, "site-b")

    start_monitor()

    wait_for(lambda: identity_of(site_a) == ("secondary", 2, "site-b"), 30,
             "the returning old primary to be made secondary")
    assert AuditEntry.objects.get(action="failover.fence").actor_name == "lockstep"

