"""The failover monitor (`manage.py monitor`): one process that watches every registered
cluster, records what it sees, and puts a primary's fault to the operators.

Every LOCKSTEP_MONITOR_INTERVAL seconds it probes each cluster's WebHDFS and HiveServer2
and pings its ZooKeeper over the session it holds there (failover/probes.py), records the
cluster's status, pushes it to the operators' pages and writes its heartbeat; a session
or identity that changes wakes it at once. Each cluster's FaultTimer (failover/faults.py)
turns probes into faults. When the fault of a pairing's primary falls due (grace over,
still failing) the monitor opens its prompt at that moment, not at its next probe, and
measures the data at risk afterwards on a thread of its own, so that a silent primary
never delays the prompt. When a fault ends, its open prompt closes as recovered. An old
primary that a failover could not reach, seen again carrying a lower epoch than its
pairing, is made secondary (failover/reversal.py); a ZooKeeper seen answering again first
has its HiveServer2 discovery record pointed at the primary (failover/discovery.py). It
records the applications' failover clients that report in each ZooKeeper.

Like the scheduler, the loop outlives any one failure (each step is logged and tried
again), and `stop` (SIGTERM) ends it between steps.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime

from django.db import close_old_connections, connection

from adapters.zookeeper import Watch
from console import clock
from console.clusters import EndpointCheck
from console.heartbeats import MONITOR, beat
from console.models import Cluster, Pairing
from failover import discovery
from failover.events import publish_status
from failover.evidence import fault_evidence, measure_changes, services_at_risk
from failover.faults import Change, FaultTimer, Moment
from failover.identity import Identity
from failover.models import ClusterStatus, FaultPrompt
from failover.probes import (
    ENDPOINTS,
    clients_reporting,
    identity_seen,
    identity_watch,
    probe,
)
from failover.prompts import close_recovered, open_prompt, prompted, update_at_risk
from failover.reversal import fence_returning
from failover.status import record_status
from notifications import reports

log = logging.getLogger(__name__)

# Probes that a session or identity change calls for come at most this often (seconds):
# a flapping connection must not turn the monitor into a busy loop.
SOONEST = 0.2


class Monitor:
    def __init__(self, interval: float, grace: float, recovery: float) -> None:
        self.interval = interval
        self.grace = grace
        self.recovery = recovery
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._watches: dict[int, Watch] = {}
        self._timers: dict[int, FaultTimer] = {}
        # Cluster id → the endpoints that failed its last probe.
        self._failing: dict[int, list[str]] = {}
        # Primary cluster id → its pairing, as of the last probe.
        self._primaries: dict[int, Pairing] = {}
        # Cluster id → whether its ZooKeeper answered the last probe.
        self._zookeeper_ok: dict[int, bool] = {}
        # (cluster id, fault_since) of each fault put to the operators already.
        self._prompted: set[tuple[int, datetime]] = set()
        self._measuring = ThreadPoolExecutor(max_workers=1, thread_name_prefix="at-risk")

    def stop(self) -> None:
        """End the loop after its current step (safe from a signal handler)."""
        self._stopping.set()
        self._wake.set()

    def run(self) -> None:
        last = float("-inf")
        try:
            while not self._stopping.is_set():
                self._guarded("opening a fault prompt", self.prompt_due)
                now = clock.monotonic()
                if now >= last + self.interval or (self._wake.is_set()
                                                   and now >= last + SOONEST):
                    self._wake.clear()
                    last = now
                    self._guarded("probing the clusters", self.probe_all,
                                  Moment(now, clock.now()))
                self._sleep(last)
        finally:
            self._close()

    def probe_all(self, at: Moment) -> None:
        """Probe every cluster, record and publish its status, close the prompts of
        faults that ended; then beat. The probes count as taken at `at`, their start."""
        close_old_connections()
        clusters = list(Cluster.objects.all())
        self._follow(clusters)
        self._primaries = {pairing.primary_id: pairing for pairing in
                           Pairing.objects.select_related("primary", "secondary")}
        with ThreadPoolExecutor(max_workers=max(1, len(clusters))) as pool:
            probes = [pool.submit(probe, cluster, self._watches[cluster.pk])
                      for cluster in clusters]
            self._await(probes)
        for cluster, probed in zip(clusters, probes, strict=True):
            try:
                self._record(cluster, probed.result(), at)
            except Exception:
                log.exception("recording %s failed", cluster)
        beat(MONITOR)

    def _await(self, probes: list[Future]) -> None:
        """Wait for `probes`, opening the prompts that fall due meanwhile: a probe may take
        its whole timeout, and a prompt must not wait for it."""
        pending = set(probes)
        while pending:
            now = clock.monotonic()
            upcoming = [due_at for due_at in self._deadlines() if due_at > now]
            _, pending = wait(pending, timeout=min(upcoming) - now if upcoming else None)
            self._guarded("opening a fault prompt", self.prompt_due)

    def prompt_due(self) -> None:
        """Open a prompt for each primary whose fault fell due and was not put yet."""
        now = clock.monotonic()
        for primary_id, pairing in self._primaries.items():
            timer = self._timers.get(primary_id)
            if timer is None or not timer.due(now):
                continue
            assert timer.began is not None  # a fault that fell due began
            fault = (primary_id, timer.began.wall)
            if fault not in self._prompted and self._still_failing(pairing.primary, timer):
                self._open(pairing, timer.began.wall)
                self._prompted.add(fault)

    def _still_failing(self, cluster: Cluster, timer: FaultTimer) -> bool:
        """Probe again what failed last: that probe may be an interval old, and a primary
        back by now opens nothing (a refused probe takes milliseconds)."""
        at = Moment(clock.monotonic(), clock.now())
        checks = probe(cluster, self._watches[cluster.pk],
                       only=self._failing.get(cluster.pk, ENDPOINTS))
        if all(check.ok for check in checks):
            timer.observe(True, at)  # the next probe of every endpoint records it
            return False
        return True

    def _record(self, cluster: Cluster, checks: list[EndpointCheck], at: Moment) -> None:
        """Record the checks of `cluster` begun at `at`. A failure dates from when the
        first failed check came back: only from then on is it known."""
        timer = self._timer(cluster, at)
        self._failing[cluster.pk] = [check.endpoint for check in checks if not check.ok]
        failed = [check.finished for check in checks if not check.ok]
        change = timer.observe(not failed, at.at(min(failed)) if failed else at)
        watch = self._watches[cluster.pk]
        identity, _ = identity_seen(watch)
        self._repair_if_returning(cluster, checks)
        status = record_status(cluster, checks, identity,
                               timer.began.wall if timer.began else None, at,
                               clients_reporting(watch))
        publish_status(status)
        self._fence_if_returning(cluster, identity)
        # Reachability changes with the fault, not with each probe: a cluster that flaps
        # is lost once and back once.
        if change == Change.BEGAN:
            reports.cluster_unreachable(cluster, checks)
        if change == Change.ENDED:
            assert timer.recovered_from is not None  # set when a fault ends
            since = timer.recovered_from.wall
            reports.cluster_back(cluster, f"{since:%Y-%m-%d %H:%M:%S %Z}")
            close_recovered(cluster, f"{cluster} answered every probe from "
                                     f"{since:%Y-%m-%d %H:%M:%S %Z} on, for "
                                     f"{self.recovery:g} s without a break: the fault is over.")

    def _repair_if_returning(self, cluster: Cluster, checks: list[EndpointCheck]) -> None:
        """A ZooKeeper seen answering again (or for the first time) may hold an old
        HiveServer2 discovery record: it names the pairing's primary again first thing."""
        answers = any(check.ok for check in checks if check.endpoint == "ZooKeeper")
        returning = answers and not self._zookeeper_ok.get(cluster.pk, False)
        self._zookeeper_ok[cluster.pk] = answers
        pairing = next((pairing for pairing in self._primaries.values()
                        if cluster.pk in (pairing.primary_id, pairing.secondary_id)), None)
        if returning and pairing is not None:
            for warning in discovery.point_at(pairing.primary, [cluster]):
                log.warning("%s", warning)
                self._zookeeper_ok[cluster.pk] = False  # tried again at the next probe

    def _fence_if_returning(self, cluster: Cluster, identity: Identity | None) -> None:
        pairing = next((pairing for pairing in self._primaries.values()
                        if pairing.secondary_id == cluster.pk), None)
        if pairing is not None and identity is not None and identity.epoch < pairing.epoch:
            done = fence_returning(cluster)
            if done:
                log.warning("%s", done)

    def _timer(self, cluster: Cluster, at: Moment) -> FaultTimer:
        """The cluster's fault timer; a new one carries on the fault recorded by an
        earlier run of the monitor, if any."""
        if cluster.pk not in self._timers:
            timer = FaultTimer(self.grace, self.recovery)
            since = ClusterStatus.objects.filter(cluster=cluster).values_list(
                "unhealthy_since", flat=True).first()
            if since is not None:
                timer.resume(since, at)
            self._timers[cluster.pk] = timer
        return self._timers[cluster.pk]

    def _open(self, pairing: Pairing, fault_since: datetime) -> None:
        if prompted(pairing.primary, fault_since):
            return
        seen = {pk: identity_seen(self._watches[pk])
                for pk in (pairing.primary_id, pairing.secondary_id) if pk in self._watches}
        prompt = open_prompt(pairing, fault_since, fault_evidence(pairing, fault_since, seen),
                             services_at_risk(pairing, clock.now()))
        if prompt is not None:
            log.warning("fault prompt %s opened: %s", prompt.pk, prompt)
            self._measuring.submit(self._measure, prompt)

    def _measure(self, prompt: FaultPrompt) -> None:
        try:
            update_at_risk(prompt, measure_changes(prompt.at_risk, prompt.cluster))
        except Exception:
            log.exception("measuring the data at risk of prompt %s failed", prompt.pk)
        finally:
            connection.close()  # this thread's own

    def _follow(self, clusters: list[Cluster]) -> None:
        """One watching session per registered cluster: new clusters get one, removed
        ones (or ones whose ZooKeeper moved) lose theirs."""
        wanted = {cluster.pk: cluster for cluster in clusters}
        for pk, watch in list(self._watches.items()):
            if pk not in wanted or watch.hosts != wanted[pk].zookeeper_hosts:
                self._watches.pop(pk).stop()
            if pk not in wanted:
                self._timers.pop(pk, None)
                self._failing.pop(pk, None)
        for pk, cluster in wanted.items():
            if pk not in self._watches:
                watch = identity_watch(cluster, self._wake.set)
                watch.start()
                self._watches[pk] = watch

    def _deadlines(self) -> list[float]:
        """When primaries' faults fall due that are not put yet."""
        found = []
        for primary_id in self._primaries:
            timer = self._timers.get(primary_id)
            if timer is None or timer.began is None or (due_at := timer.due_at()) is None:
                continue
            if (primary_id, timer.began.wall) not in self._prompted:
                found.append(due_at)
        return found

    def _sleep(self, last: float) -> None:
        """Until the next probe or the next fault falling due, whichever comes first; a
        wake (a session or identity change, or `stop`) cuts it short."""
        now = clock.monotonic()
        if self._wake.is_set():
            self._stopping.wait(max(0.0, last + SOONEST - now))
            return
        until = min([last + self.interval, *(d for d in self._deadlines() if d > now)])
        self._wake.wait(max(0.0, until - now))

    def _guarded(self, what: str, step: Callable, *args) -> None:
        try:
            step(*args)
        except Exception:
            # The loop outlives any one failure: the next step tries again.
            log.exception("%s failed", what)

    def _close(self) -> None:
        for watch in self._watches.values():
            watch.stop()
        self._watches.clear()
        self._measuring.shutdown(wait=False, cancel_futures=True)

