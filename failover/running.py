"""Running a switchover's steps, in one process at a time, and resuming it after a crash.

A process runs a switchover only while it holds its claim: `runner` (host:pid) and a
lease it renews every few seconds from a thread. A process that dies stops renewing, so
its claim lapses after LEASE (at once when it ran on this host and its pid is gone), and
`resume_switchovers` hands the switchover to a job that carries on from the first step
not recorded. Each step's time is recorded when it is done and pushed to the pages of
operators and administrators.

A step that fails for a reason that may pass (a cluster that does not answer, rounds
still writing) leaves the switchover running with the error shown, to be resumed; a
conflict (another console or operator moved first) fails it, with what was found.
"""

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

import django_rq
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from console import audit, clock
from failover.events import publish_switchover
from failover.models import Switchover, SwitchoverKind, SwitchoverState
from failover.planned import abandon
from failover.sequences import steps_of
from failover.steps import StepConflict
from failover.transitions import move_switchover
from notifications import reports

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
RENEW_INTERVAL = 10.0


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _dead_here(runner: str) -> bool:
    """The runner ran on this host and its process is gone."""
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _free(switchover: Switchover) -> Q:
    free = Q(runner="") | Q(runner_until__lt=clock.now())
    if switchover.runner and _dead_here(switchover.runner):
        free |= Q(runner=switchover.runner)
    return free


def _claim(switchover: Switchover) -> bool:
    return bool(Switchover.objects.filter(
        _free(switchover), pk=switchover.pk, state=SwitchoverState.RUNNING,
    ).update(runner=runner_name(), runner_until=clock.now() + LEASE))


class _Lease(threading.Thread):
    """Renews the claim until stopped; notes when another process took it over."""

    def __init__(self, switchover_id: int) -> None:
        super().__init__(name=f"switchover-{switchover_id}-lease", daemon=True)
        self.switchover_id = switchover_id
        self.me = runner_name()
        self.lost = False
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            while not self._stop_event.wait(RENEW_INTERVAL):
                if not self._renew():
                    self.lost = True
                    return
        finally:
            connection.close()

    def _renew(self) -> bool:
        return bool(Switchover.objects.filter(pk=self.switchover_id, runner=self.me).update(
            runner_until=clock.now() + LEASE))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def release(self) -> None:
        Switchover.objects.filter(pk=self.switchover_id, runner=self.me).update(
            runner="", runner_until=None)


def run_switchover(switchover_id: int) -> Switchover:
    """Run the steps of a running switchover not yet recorded, here; return it as it
    ended, or as it is when another live process runs it."""
    switchover = Switchover.objects.select_related("pairing", "old_primary",
                                                   "new_primary").get(pk=switchover_id)
    if switchover.state != SwitchoverState.RUNNING or not _claim(switchover):
        return switchover
    lease = _Lease(switchover.pk)
    lease.start()
    try:
        _run_steps(switchover, lease)
        # Not released when the process is being killed (KeyboardInterrupt, SystemExit):
        # the claim then lapses, and the switchover is resumed.
        lease.release()
    finally:
        lease.stop()
    switchover.refresh_from_db()
    return switchover


def _run_steps(switchover: Switchover, lease: _Lease) -> None:
    for name, step in steps_of(switchover):
        if name in switchover.steps:
            continue
        if lease.lost:
            log.warning("switchover %s: another process took it over", switchover.pk)
            return
        try:
            step(switchover)
        except StepConflict as conflict:
            _fail(switchover, name, str(conflict))
            return
        except Exception as error:
            # It may pass (a cluster that does not answer): kept running, resumed later.
            log.exception("switchover %s: step %s failed", switchover.pk, name)
            switchover.error = f"{name}: {error}"
            switchover.save(update_fields=["error"])
            publish_switchover(switchover)
            return
        switchover.steps = {**switchover.steps, name: clock.now().isoformat()}
        switchover.error = ""
        switchover.save(update_fields=["steps", "error"])
        publish_switchover(switchover)
    _finish(switchover)


def _fail(switchover: Switchover, step: str, why: str) -> None:
    if switchover.kind == SwitchoverKind.PLANNED and "primary_written" not in switchover.steps:
        abandon(switchover)
        error = (f"{step}: {why}. No identity changed and backups go on as before; remove "
                 "the cause, then resume it (`manage.py failover resume "
                 f"{switchover.pk}`) or start another.")
    else:
        error = (f"{step}: {why}. The pairing's backups stay paused: check both clusters' "
                 "identities, then resume it (`manage.py failover resume "
                 f"{switchover.pk}`).")
    with transaction.atomic():
        if move_switchover(switchover, SwitchoverState.FAILED, error=error,
                           finished_at=clock.now()):
            audit.record(None, "switchover.failed", switchover,
                         outcome=audit.Outcome.FAILED, detail=error, actor_name=switchover.by)
            reports.switchover_ended(switchover)
    publish_switchover(switchover)


def _finish(switchover: Switchover) -> None:
    now = clock.now()
    undone = (Switchover.objects.get(pk=switchover.rolls_back_id)
              if switchover.kind == SwitchoverKind.ROLLBACK and switchover.rolls_back_id
              else None)
    with transaction.atomic():
        if undone is not None:
            move_switchover(undone, SwitchoverState.ROLLED_BACK, decided_by=switchover.by,
                            decided_at=now)
            moved = move_switchover(switchover, SwitchoverState.DONE, finished_at=now)
        elif switchover.kind == SwitchoverKind.PLANNED:
            # It lost nothing, so there is nothing to decide: the way back is another.
            moved = move_switchover(switchover, SwitchoverState.COMMITTED, finished_at=now,
                                    decided_by=switchover.by, decided_at=now)
        else:
            window = timedelta(seconds=settings.LOCKSTEP_FAILOVER_WINDOW)
            moved = move_switchover(switchover, SwitchoverState.DONE, finished_at=now,
                                    window_until=now + window)
        if moved:
            audit.record(None, "switchover.done", switchover, actor_name=switchover.by,
                         detail=", ".join(f"{step} {at}" for step, at in
                                          switchover.steps.items()))
            reports.switchover_ended(switchover)
    publish_switchover(switchover)
    if undone is not None:
        publish_switchover(undone)


def job_id(switchover: Switchover) -> str:
    return f"lockstep-switchover-{switchover.pk}"


def enqueue_switchover(switchover: Switchover) -> None:
    """Run it on the control queue, unless its job waits there already.

    Waiting means listed in the queue (or its scheduled or deferred registry), not a job
    record whose status says queued: a worker killed between taking a job and starting it
    leaves such a record behind, and trusting it left a confirmed failover never run."""
    queue = django_rq.get_queue(settings.CONTROL_QUEUE)
    name = job_id(switchover)
    if name in queue.get_job_ids() or name in queue.scheduled_job_registry \
            or name in queue.deferred_job_registry:
        return
    queue.enqueue("failover.jobs.run_switchover", switchover.pk, job_id=name,
                  job_timeout=6 * 3600)


def run_here(switchover: Switchover) -> None:
    """Run it in this process (commands: a failover must not wait for a worker)."""
    run_switchover(switchover.pk)


def resume_switchovers(run: Callable[[Switchover], None] = enqueue_switchover
                       ) -> list[Switchover]:
    """Carry on every running switchover that no live process runs (its claim lapsed):
    on the scheduler's reaper pass and at the monitor's start (enqueued), or by hand
    (`manage.py failover resume`, here). Returns those handed on."""
    resumed = []
    for switchover in Switchover.objects.filter(state=SwitchoverState.RUNNING):
        if Switchover.objects.filter(_free(switchover), pk=switchover.pk).exists():
            run(switchover)
            resumed.append(switchover)
    return resumed
