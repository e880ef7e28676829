"""`manage.py monitor`: watch every registered cluster and prompt operators when a
primary fails (failover/monitor.py); runs until SIGTERM (or Ctrl-C)."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from failover.monitor import Monitor


class Command(BaseCommand):
    help = "Watch every cluster; put a failing primary to the operators (runs until stopped)."

    def handle(self, **options) -> None:
        monitor = Monitor(settings.LOCKSTEP_MONITOR_INTERVAL, settings.LOCKSTEP_FAULT_GRACE,
                          settings.LOCKSTEP_FAULT_RECOVERY)
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, lambda *_: monitor.stop())
        self.stdout.write(f"monitoring every {monitor.interval:g} s; a primary failing for "
                          f"{monitor.grace:g} s is put to the operators")
        monitor.run()
        self.stdout.write("monitor stopped")
