"""`manage.py run_scheduler`: prepare each policy's rounds ahead of their moments.

A long-running loop, like Healthchecks' `sendalerts`: once a second it records the
rounds whose moment falls within the lead time and enqueues their snapshot jobs, and
records as missed the moments that passed while nothing was running. A pass that fails
(the database locked past its timeout, Redis away) is logged and the next pass tries
again; each pass that completes writes the scheduler's heartbeat. Every 15 s the
reaper (backups/reaping.py) resumes or fails rounds whose jobs are gone, and hands on any
switchover whose process died half-way (failover/running.py), and the RPO watch
(notifications/rpo.py) notifies each service's breach and recovery, and a notification's
delivery whose job is gone is enqueued again. SIGTERM ends the loop between passes.
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from backups.preparing import schedule_due_rounds
from backups.reaping import reap
from console import clock
from console.heartbeats import SCHEDULER, beat
from failover.running import resume_switchovers
from notifications.delivering import resume_lost_deliveries
from notifications.rpo import watch_rpo

log = logging.getLogger(__name__)
# How often the reaper looks for rounds whose jobs are gone.
REAP_INTERVAL = 15.0


class Command(BaseCommand):
    help = "Prepare backup rounds ahead of their moments (runs until stopped)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--once", action="store_true", help="one pass, then exit")

    def handle(self, interval: float, once: bool, **options) -> None:
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        reaped_at = 0.0
        while not stopping:
            try:
                close_old_connections()
                for round_ in schedule_due_rounds():
                    self.stdout.write(f"prepared {round_} ({round_.state})")
                if time.monotonic() - reaped_at >= REAP_INTERVAL:
                    for done in reap():
                        self.stdout.write(f"reaper: {done}")
                    for switchover in resume_switchovers():
                        self.stdout.write(f"resumed: {switchover}")
                    # A verdict moves over minutes (a period, two): judging every
                    # service each second would only cost queries.
                    for service, kind in watch_rpo(clock.now()):
                        self.stdout.write(f"notified: {service} {kind.label}")
                    for delivery in resume_lost_deliveries(clock.now()):
                        self.stdout.write(f"enqueued again: {delivery}")
                    reaped_at = time.monotonic()
                beat(SCHEDULER)
            except Exception:
                # The loop outlives any one failure: the next pass tries again.
                log.exception("a scheduler pass failed; retrying in %g s", interval)
            if once:
                return
            time.sleep(interval)
