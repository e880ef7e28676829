"""Heartbeats of the console's long-running processes, and what a stale one means.

The scheduler writes its heartbeat after every pass; RQ workers keep their own in Redis.
Every page shows operators and administrators the processes that stopped beating, so
that "no rounds are being prepared" is seen before an RPO breach is.
"""

import os
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


def beat(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": clock.now(),
                                                            "pid": os.getpid()})


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60} min" if seconds >= 120 else f"{seconds} s"


def process_warnings() -> list[str]:
    """One sentence for each process that is down or stale, saying what it stops."""
    now, stale = clock.now(), timedelta(seconds=settings.LOCKSTEP_HEARTBEAT_STALE)
    warnings = []
    scheduler = Heartbeat.objects.filter(name=SCHEDULER).first()
    if scheduler is None or now - scheduler.beat_at > stale:
        since = "has never run" if scheduler is None else \
            f"has not run for {_ago(now - scheduler.beat_at)}"
        warnings.append(f"The scheduler {since}: no rounds are being prepared. Check that "
                        "`manage.py run_scheduler` runs (the process manager restarts it).")
    try:
        for name in settings.RQ_QUEUES:
            queue = django_rq.get_queue(name)
            beating = [w for w in Worker.all(queue=queue)
                       if w.last_heartbeat and now - w.last_heartbeat <= stale]
            if not beating:
                warnings.append(f"No worker serves the {name} queue: its jobs wait. Check "
                                f"that `manage.py rqworker {name}` runs.")
    except (RedisError, OSError) as error:
        warnings.append(f"Redis does not answer ({error}): no round can run. Check that "
                        "redis-server runs.")
    return warnings


def health(request: HttpRequest) -> dict:
    """Template context: `process_warnings` for operators and administrators."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not has_role(
            user, Role.ADMINISTRATOR, Role.OPERATOR):
        return {"process_warnings": []}
    return {"process_warnings": process_warnings()}
