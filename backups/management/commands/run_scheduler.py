"""`manage.py run_scheduler`: prepare each policy's rounds ahead of their moments.

A long-running loop, like Healthchecks' `sendalerts`: once a second it records the
rounds whose moment falls within the lead time and enqueues their snapshot jobs, and
records as missed the moments that passed while nothing was running.
"""

import signal
import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from backups.rounds import schedule_due_rounds


class Command(BaseCommand):
    help = "Prepare backup rounds ahead of their moments (runs until stopped)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--once", action="store_true", help="one pass, then exit")

    def handle(self, interval: float, once: bool, **options) -> None:
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        while not stopping:
            close_old_connections()
            for round_ in schedule_due_rounds():
                self.stdout.write(f"prepared {round_} ({round_.state})")
            if once:
                return
            time.sleep(interval)
