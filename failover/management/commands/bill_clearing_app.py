"""`manage.py bill_clearing_app`: the demo's sample application (failover/sample_app.py),
which follows the primary through the failover client library; runs until SIGTERM.

It reads the endpoints of the pairing's two clusters from the console's records, as an
application would from its own configuration, and signs in as `--user` (the password from
LOCKSTEP_APP_PASSWORD, or the mini cluster's account password in the demo). With no
pairing yet it waits for one.
"""

import logging
import os
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from console.models import Pairing
from failover import sample_app
from failover.client import Cluster, FollowingClient

WAIT_FOR_PAIRING = 5.0


class Command(BaseCommand):
    help = "Run the demo's bill-clearing writer on the failover client library."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", default="alice")
        parser.add_argument("--interval", type=float, default=5.0,
                            help="seconds between two customers (default 5)")

    def handle(self, user: str, interval: float, **options) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        stopping = threading.Event()
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, lambda *_: stopping.set())
        while (pairing := Pairing.objects.select_related("primary", "secondary").first()) \
                is None:
            if stopping.wait(WAIT_FOR_PAIRING):
                return
        clusters = [Cluster(c.name, c.zookeeper_hosts, c.webhdfs_url, c.hiveserver2_host,
                            c.hiveserver2_port) for c in (pairing.primary, pairing.secondary)]
        password = (os.environ.get("LOCKSTEP_APP_PASSWORD")
                    or settings.MINICLUSTER.account_password(user))
        with FollowingClient(clusters, user, password, application="bill-clearing") as client:
            sample_app.run(client, interval, stopping)
        self.stdout.write("bill-clearing application stopped")
