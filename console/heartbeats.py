"""Heartbeats of the console's long-running processes, and what a stale one means.

The scheduler writes its heartbeat after every pass, the failover monitor after every
probe of the clusters; RQ workers keep their own in Redis.
Every page shows operators and administrators the processes that stopped beating, so
that "no rounds are being prepared" is seen before an RPO breach is.
"""

import os
from dataclasses import dataclass
from datetime import timedelta

import django_rq
from django.conf import settings
from django.http import HttpRequest
from redis.exceptions import RedisError
from rq import Worker

from console import clock
from console.models import Heartbeat
from console.roles import Role, has_role

SCHEDULER = "scheduler"
MONITOR = "monitor"


@dataclass(frozen=True)
class Beating:
    """A process that writes a heartbeat: its name in warnings, what its silence stops,
    and the command that runs it."""

    label: str
    stops: str
    command: str


BEATING = {
    SCHEDULER: Beating("The scheduler", "no rounds are being prepared",
                       "manage.py run_scheduler"),
    MONITOR: Beating("The failover monitor",
                     "no cluster is being watched and no fault prompt can open",
                     "manage.py monitor"),
}


def beat(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": clock.now(),
                                                            "pid": os.getpid()})


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60} min" if seconds >= 120 else f"{seconds} s"


@dataclass(frozen=True)
class ProcessState:
    """One of the console's processes as the dashboard shows it."""

    label: str
    ok: bool
    seen: str  # when it last beat, or how many run
    warning: str = ""  # what its silence stops and what to do, when not ok


def process_states() -> list[ProcessState]:
    now, stale = clock.now(), timedelta(seconds=settings.LOCKSTEP_HEARTBEAT_STALE)
    states = []
    beats = {found.name: found for found in Heartbeat.objects.filter(name__in=BEATING)}
    for name, process in BEATING.items():
        last = beats.get(name)
        if last is not None and now - last.beat_at <= stale:
            states.append(ProcessState(process.label, True, f"{_ago(now - last.beat_at)} ago"))
            continue
        since = "has never run" if last is None else \
            f"has not run for {_ago(now - last.beat_at)}"
        states.append(ProcessState(
            process.label, False, "never" if last is None else f"{_ago(now - last.beat_at)} ago",
            f"{process.label} {since}: {process.stops}. Check that `{process.command}` runs "
            "(the process manager restarts it)."))
    try:
        for name in settings.RQ_QUEUES:
            queue = django_rq.get_queue(name)
            beating = [w for w in Worker.all(queue=queue)
                       if w.last_heartbeat and now - w.last_heartbeat <= stale]
            label = f"Workers of the {name} queue"
            states.append(ProcessState(
                label, bool(beating), f"{len(beating)} running",
                "" if beating else f"No worker serves the {name} queue: its jobs wait. "
                f"Check that `manage.py rqworker {name}` runs."))
    except (RedisError, OSError) as error:
        states.append(ProcessState("Redis", False, "does not answer",
                                   f"Redis does not answer ({error}): no round can run. "
                                   "Check that redis-server runs."))
    return states


def process_warnings() -> list[str]:
    """One sentence for each process that is down or stale, saying what it stops."""
    return [state.warning for state in process_states() if not state.ok]


def health(request: HttpRequest) -> dict:
    """Template context: `process_warnings` for operators and administrators."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not has_role(
            user, Role.ADMINISTRATOR, Role.OPERATOR):
        return {"process_warnings": []}
    return {"process_warnings": process_warnings()}
