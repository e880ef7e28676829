"""`manage.py minicluster up | down | status | wait-http URL`: the embedded clusters."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from minicluster import processes, services
from minicluster.layout import HOST, SITES, Layout


class Command(BaseCommand):
    help = "Start, stop or show the embedded mini cluster (two sites and a Redis on loopback)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["up", "down", "status", "wait-http"])
        parser.add_argument("url", nargs="?", help="for wait-http: the URL to wait for")
        parser.add_argument("--timeout", type=float, default=30.0)

    def handle(self, action: str, url: str | None, timeout: float, **options) -> None:
        layout: Layout = settings.MINICLUSTER
        if action == "up":
            try:
                self._print(services.up(layout))
            except services.MiniClusterError as error:
                raise CommandError(str(error)) from error
            for site in SITES:
                self.stdout.write(f"{site} WebHDFS: {layout.webhdfs_url(site)}  "
                                  f"HiveServer2: {HOST}:{layout.sites[site].hiveserver2}  "
                                  f"ZooKeeper: {layout.zookeeper_hosts(site)}  "
                                  f"LDAP: {layout.ldap_url(site)}")
            self.stdout.write(f"data and logs under {layout.var_dir}")
        elif action == "down":
            stopped = services.down(layout)
            self.stdout.write("stopped: " + (", ".join(stopped) or "nothing was running"))
        elif action == "status":
            statuses = services.status(layout)
            self._print(statuses)
            if not all(s.answers for s in statuses):
                raise CommandError("some services do not answer")
        else:
            if not url or not processes.wait_until(lambda: processes.http_ok(url), timeout):
                raise CommandError(f"{url} did not answer within {timeout:.0f} s")

    def _print(self, statuses: list[services.Status]) -> None:
        self.stdout.write(f"{'service':<22} {'port':>6} {'pid':>8}  answers")
        for s in statuses:
            pid = str(s.pid) if s.pid else "-"
            answer = self.style.SUCCESS("yes") if s.answers else self.style.ERROR("no")
            self.stdout.write(f"{s.name:<22} {s.port:>6} {pid:>8}  {answer}")
