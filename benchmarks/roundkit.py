"""What the round benchmarks share: a mini cluster of their own, Django on a fresh
SQLite database beside it, both sites registered and paired, and a real RQ worker.

`Bench(name, offset)` is a context manager: on entry it makes a temporary var
directory, points LOCKSTEP_VAR and LOCKSTEP_PORT_OFFSET at it (before django.setup()),
migrates and starts every service of the mini cluster (or the kinds named) on the
shifted ports; on exit it stops what it started and removes the directory.
Not a benchmark itself.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from minicluster.layout import Layout

QUEUES = ("site-a", "site-b", "control")
ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 30 values is the largest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def spread(values: list[float], digits: int = 3) -> dict:
    return {"n": len(values), "min": round(min(values), digits),
            "median": round(statistics.median(values), digits),
            "p99": round(percentile(values, 0.99), digits), "max": round(max(values), digits)}


def free_gib(path: Path) -> float:
    disk = os.statvfs(path)
    return disk.f_bavail * disk.f_frsize / 2**30


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def report(name: str, figures: dict, baseline: dict, targets: dict, met: bool) -> None:
    print(json.dumps({"benchmark": name, "figures": figures, "baseline": baseline,
                      "targets": targets, "met": met}), flush=True)


class Bench:
    layout: Layout  # the settings' mini cluster, known once __enter__ has set Django up

    def __init__(self, name: str, offset: int, kinds: tuple[str, ...] = ()) -> None:
        self.name = name
        self.offset = offset
        # The kinds of service to start (`ldap`, `webhdfs`...); none named: all of them.
        self.kinds = kinds
        self.var = Path(tempfile.mkdtemp(prefix=f"lockstep-{name}-"))

    def __enter__(self) -> "Bench":
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        os.environ["LOCKSTEP_VAR"] = str(self.var)
        os.environ["LOCKSTEP_PORT_OFFSET"] = str(self.offset)
        os.environ["LOCKSTEP_MINICLUSTER_DIR"] = str(self.var / "minicluster")
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from minicluster import services

        call_command("migrate", verbosity=0)
        self.layout = settings.MINICLUSTER
        assert self.layout.var_dir == self.var / "minicluster", self.layout
        started = time.perf_counter()
        chosen = [service for service in services.services(self.layout)
                  if not self.kinds or service.name.rpartition("/")[2] in self.kinds]
        try:
            services.start(self.layout, chosen)
        except BaseException:
            services.down(self.layout)
            shutil.rmtree(self.var, ignore_errors=True)
            raise
        self.startup_s = time.perf_counter() - started
        self.settle_s = self.settle()
        return self

    def settle(self, limit: float = 90.0) -> float:
        """Wait until the Spark Thrift Servers, busy for a while after they first
        answer, use under a tenth of a core: their start-up is not the round's cost."""
        from minicluster import processes
        from minicluster.services import _pid_file, services

        pids = [pid for service in services(self.layout) if "hiveserver2" in service.name
                if (pid := processes.read_pid(_pid_file(self.layout, service),
                                              service.marker)) is not None]
        started = time.perf_counter()
        while time.perf_counter() - started < limit:
            before = sum(cpu_seconds(pid) for pid in pids)
            time.sleep(2)
            if (sum(cpu_seconds(pid) for pid in pids) - before) / 2 < 0.1:
                break
        return time.perf_counter() - started

    def __exit__(self, *exc) -> None:
        from minicluster import services

        services.down(self.layout)
        shutil.rmtree(self.var, ignore_errors=True)

    # the console's view of the mini cluster

    def client(self, site: str):
        from adapters.webhdfs import WebHdfs
        from minicluster.layout import CONSOLE_USER

        return WebHdfs(self.layout.webhdfs_url(site), CONSOLE_USER, timeout=600)

    def root(self, site: str) -> Path:
        return self.layout.site_root(site)

    def pair(self):
        from console.pairing import pair

        clusters = self.register()
        return pair(clusters["site-a"], clusters["site-b"], by="benchmark")

    def register(self) -> dict:
        """Both sites registered with the console, by name."""
        from console.models import Cluster
        from minicluster.layout import CONSOLE_USER, HOST, SITES

        clusters = {}
        for site in SITES:
            ports = self.layout.sites[site]
            clusters[site] = Cluster.objects.create(
                name=site, location=f"{site} data centre", description="",
                webhdfs_url=self.layout.webhdfs_url(site), webhdfs_user=CONSOLE_USER,
                hiveserver2_host=HOST, hiveserver2_port=ports.hiveserver2,
                hiveserver2_password=self.layout.account_password(CONSOLE_USER),
                zookeeper_hosts=self.layout.zookeeper_hosts(site),
                ldap_url=self.layout.ldap_url(site),
                ldap_base_dn=self.layout.ldap_suffix(site),
                ldap_bind_dn=self.layout.ldap_console_dn(site),
                ldap_password=self.layout.account_password(CONSOLE_USER), snapshot_root="/data",
                table_location_prefix=f"file:{self.layout.site_root(site)}",
                nodes=3, cores=48, memory_gib=384, storage_tib="120.00")
        return clusters

    def service(self, pairing, paths: list[str], name: str, retention: int = 3,
                tables: tuple[str, ...] = ()):
        """Tenant acme's service of HDFS directories `paths` and SparkSQL `tables`."""
        from django.utils import timezone

        from backups.protection import ServiceRequest, save_service
        from console.models import Tenant

        tenant, _ = Tenant.objects.get_or_create(
            name="acme", defaults={"hdfs_roots": "/data/acme\n/archive/acme"})
        return save_service(ServiceRequest(
            tenant=tenant, name=name, pairing=pairing,
            data_sets=[("hdfs", path) for path in paths] + [("sparksql", t) for t in tables],
            first_moment=timezone.now() + timedelta(hours=1), period=timedelta(minutes=5),
            retention=retention, enabled=False), by="benchmark")

    def hive(self, site: str, user: str = "alice"):
        """A HiveServer2 client of the site, signed in as `user` (alice owns acme's tables)."""
        from minicluster.services import hiveserver2_client

        return hiveserver2_client(self.layout, site, user)

    # rounds

    @contextmanager
    def workers(self, *queue_lists: tuple[str, ...]) -> Iterator[None]:
        """One `manage.py rqworker ... --with-scheduler` process per list of queues, as
        deploy/supervisord.conf runs them, each logging to the var directory; stopped
        (warm: the job at hand ends first) on exit."""
        import django_rq
        from rq import Worker

        processes = []
        try:
            for number, queues in enumerate(queue_lists):
                with open(self.var / f"worker-{number}.log", "ab") as log:
                    processes.append(subprocess.Popen(
                        [sys.executable, "manage.py", "rqworker", *queues, "--with-scheduler"],
                        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
            connection = django_rq.get_connection("control")
            deadline = time.monotonic() + 60
            while len(Worker.all(connection=connection)) < len(processes):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"workers did not start: see {self.var}/worker-*.log")
                time.sleep(0.2)
            yield
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=120)

    def empty_queues(self) -> None:
        import django_rq

        for name in QUEUES:
            django_rq.get_queue(name).empty()

    def work(self) -> None:
        """Every queued job, and the jobs they enqueue, with a real RQ worker."""
        import django_rq
        from rq import SimpleWorker

        # django-rq annotates worker_class as a Worker; it takes any of rq's BaseWorkers.
        django_rq.get_worker(*QUEUES, worker_class=SimpleWorker).work(  # type: ignore[arg-type]
            burst=True, logging_level="WARNING")

    def run_round(self, service):
        """A round at T = now + 3 s (run_now), worked to its end; the refreshed round."""
        from backups.preparing import run_now

        round_ = run_now(service)
        self.work()
        round_.refresh_from_db()
        return round_


def phases(round_) -> dict[str, float]:
    """Seconds of a finished round: all of it (started_at to finished_at), the wait for
    T inside it, the replication phase (from the first data set's copy start to the last
    one's end, as the tasks recorded them) and what followed it (verification, metadata,
    restore point and retention)."""
    tasks = list(round_.tasks.all())
    total = (round_.finished_at - round_.started_at).total_seconds()
    wait = max(0.0, (round_.moment - round_.started_at).total_seconds())
    assert tasks and all(t.started_at and t.finished_at for t in tasks), "copies unfinished"
    copied = max(t.finished_at for t in tasks)
    replication = (copied - min(t.started_at for t in tasks)).total_seconds()
    finishing = (round_.finished_at - copied).total_seconds()
    return {"round_s": total, "wait_for_T_s": wait, "after_T_s": total - wait,
            "replication_s": replication, "finishing_s": finishing}
