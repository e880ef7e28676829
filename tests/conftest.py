"""Fixtures shared by every suite: the real mini cluster, started once per test run, or
its Redis alone; the console's view of it (registered clusters, a pairing, a tenant's
data); a webhook receiver on loopback and notification channels."""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import django_rq
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache

from adapters.webhdfs import WebHdfs
from adapters.zookeeper import ZooKeeper
from console.accounts import ensure_user
from console.models import Cluster, Tenant
from console.roles import Role
from failover.identity import clear_identity
from failover.models import ClusterStatus
from minicluster import services
from minicluster.layout import CONSOLE_USER, HOST, SITES, Layout
from notifications.models import Channel
from tests.backups import conftest as rounds
from tests.backups.conftest import wait_for

PASSWORD = "a-long-test-password"
ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by what it needs, read from the fixtures it uses: `database`, and
    `minicluster` for the real services. `./lockstep test` runs `database and not
    minicluster` once more against PostgreSQL."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "django_db_setup" in fixtures or item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.database)
        if "minicluster" in fixtures:
            item.add_marker(pytest.mark.minicluster)


@pytest.fixture(scope="session")
def minicluster() -> Iterator[Layout]:
    """Every service of both sites on the test ports, started from empty directories."""
    layout: Layout = settings.MINICLUSTER
    services.down(layout)
    # The files at the top are the mini cluster's passwords, which settings read already
    # (REDIS_URL): they stay, every folder of data goes.
    for folder in layout.var_dir.iterdir():
        if folder.is_dir():
            shutil.rmtree(folder)
    services.up(layout)
    yield layout
    services.down(layout)


@pytest.fixture(scope="session")
def redis() -> Iterator[None]:
    """The mini cluster's Redis, started on its own if it is not running (and then
    stopped afterwards)."""
    layout = settings.MINICLUSTER
    service = services.redis_service(layout)
    running = service.probe()
    services.start(layout, [service])
    yield
    if not running:
        services.stop(layout, service)


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(username: str, role: Role, tenant: str | None = None) -> User:
        owner = Tenant.objects.get_or_create(name=tenant)[0] if tenant else None
        return ensure_user(username, role, PASSWORD, owner)

    return make


def cluster_fields(layout: Layout, site: str) -> dict:
    """What an administrator types to register one mini-cluster site."""
    ports = layout.sites[site]
    return {
        "name": site, "location": f"{site} data centre", "description": "",
        "webhdfs_url": layout.webhdfs_url(site), "webhdfs_user": CONSOLE_USER,
        "hiveserver2_host": HOST, "hiveserver2_port": ports.hiveserver2,
        "hiveserver2_password": layout.account_password(CONSOLE_USER),
        "zookeeper_hosts": layout.zookeeper_hosts(site), "ldap_url": layout.ldap_url(site),
        "ldap_base_dn": layout.ldap_suffix(site), "ldap_bind_dn": layout.ldap_console_dn(site),
        "ldap_password": layout.account_password(CONSOLE_USER),
        "snapshot_root": "/data", "table_location_prefix": f"file:{layout.site_root(site)}",
        "nodes": 3, "cores": 48, "memory_gib": 384, "storage_tib": "120.00",
    }


def _clear_identities(layout: Layout) -> None:
    for site in SITES:
        with ZooKeeper(layout.zookeeper_hosts(site), auth=settings.ZOOKEEPER_AUTH) as zookeeper:
            clear_identity(zookeeper)


@pytest.fixture
def clusters(minicluster: Layout, db) -> Iterator[dict[str, Cluster]]:
    """Both sites registered (not paired); identities cleared again afterwards."""
    registered = {site: Cluster.objects.create(**cluster_fields(minicluster, site))
                  for site in SITES}
    yield registered
    _clear_identities(minicluster)


@pytest.fixture
def pairing(clusters: dict[str, Cluster]):
    from console.pairing import pair

    return pair(clusters["site-a"], clusters["site-b"], by="ada")


@dataclass(frozen=True)
class TenantData:
    """The bill-clearing example's data sets on site-a, for tenants acme and globex."""

    bills: str = "/data/acme/bills"
    archive: str = "/archive/acme/old-bills"
    customers: str = "acme.customers"
    settlements: str = "acme.settlements"
    globex_dir: str = "/data/globex/ledger"
    globex_table: str = "globex.accounts"


@pytest.fixture(scope="session")
def tenant_data(minicluster: Layout) -> TenantData:
    data = TenantData()
    webhdfs = WebHdfs(minicluster.webhdfs_url("site-a"), CONSOLE_USER)
    for directory in (data.bills, f"{data.bills}/2026-11", data.archive, data.globex_dir):
        webhdfs.makedirs(directory)
    webhdfs.write(f"{data.bills}/2026-11/bill-0001.csv", b"bill,customer\n1,1\n", overwrite=True)
    hive = services.hiveserver2_client(minicluster, "site-a", "alice")
    for database in ("acme", "globex"):
        hive.query(f"CREATE DATABASE IF NOT EXISTS {database}")
    # The same tables as the demo's, so that either may create them first.
    hive.query(f"CREATE TABLE IF NOT EXISTS {data.customers} (id INT, name STRING) "
               "STORED AS PARQUET")
    hive.query(f"CREATE TABLE IF NOT EXISTS {data.settlements} (bill INT, amount DOUBLE, "
               "day STRING) USING parquet PARTITIONED BY (day)")
    hive.query(f"CREATE TABLE IF NOT EXISTS {data.globex_table} (id INT) USING parquet")
    hive.query(f"INSERT INTO {data.customers} VALUES (1, 'Ada')")  # noqa: S608
    return data


@pytest.fixture
def make_service(db):
    """A service written straight to the database, for tests about something else."""
    from datetime import timedelta

    from django.utils import timezone

    from backups.models import BackupPolicy, Consistency, DataSet, Service

    def make(pairing, tenant: str = "acme", name: str = "bill clearing",
             paths: tuple[str, ...] = ("/data/acme/bills",), enabled: bool = True) -> Service:
        owner = Tenant.objects.get_or_create(name=tenant)[0]
        service = Service.objects.create(tenant=owner, name=name, pairing=pairing,
                                         created_by="test")
        for path in paths:
            DataSet.objects.create(service=service, cluster=pairing.primary, component="hdfs",
                                   locator=path, storage_path=path)
        BackupPolicy.objects.create(
            service=service, first_moment=timezone.now() + timedelta(hours=1),
            period=timedelta(minutes=5), retention=3, consistency=Consistency.ATOMIC,
            enabled=enabled,
        )
        return service

    return make


# The restore-point browser's tests (page and browser) browse this directory of acme's.
BROWSED = "/data/acme/browsed"
BROWSED_BILL = b"bill,customer,amount\n1,1,10.00\n"


@pytest.fixture
def browsed_files(minicluster: Layout, pairing) -> Iterator[WebHdfs]:
    """site-a (its client) with BROWSED as a first round finds it; deleted afterwards."""
    client = WebHdfs(minicluster.webhdfs_url("site-a"), CONSOLE_USER)
    client.delete(BROWSED, recursive=True)
    client.write(f"{BROWSED}/2026-11/bill-0001.csv", BROWSED_BILL)
    client.write(f"{BROWSED}/2026-11/old.csv", b"old\n")
    client.write(f"{BROWSED}/keep.csv", b"kept\n")
    yield client
    client.delete(BROWSED, recursive=True)


@pytest.fixture
def browsed_service(pairing, queues, browsed_files):
    """acme's service that protects BROWSED."""
    return rounds.make_service(pairing, [("hdfs", BROWSED)])


@pytest.fixture
def queues(minicluster) -> tuple[str, ...]:
    """Every RQ queue, emptied."""
    names = tuple(settings.RQ_QUEUES)
    for name in names:
        django_rq.get_queue(name).empty()
    return names


@dataclass
class MonitorProcess:
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text()

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, as supervisord stops it; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def console_env(**settings: str) -> dict[str, str]:
    """The environment of a console process on the test database, with `settings`."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
            "LOCKSTEP_TEST_WORKER": "1", **settings}


@pytest.fixture
def start_monitor(transactional_db, tmp_path) -> Iterator[Callable[..., MonitorProcess]]:
    """Start `manage.py monitor` with the given LOCKSTEP_* settings (production defaults
    otherwise), once it has recorded every registered cluster; stopped afterwards."""
    started: list[MonitorProcess] = []

    def start(**settings: str) -> MonitorProcess:
        log = tmp_path / f"monitor-{len(started)}.log"
        with log.open("w") as out:
            process = subprocess.Popen([sys.executable, "manage.py", "monitor"], cwd=ROOT,
                                       env=console_env(**settings), stdout=out,
                                       stderr=subprocess.STDOUT)
        monitor = MonitorProcess(process, log)
        started.append(monitor)
        wait_for(lambda: process.poll() is not None or ClusterStatus.objects.filter(
            checked_at__isnull=False).count() >= Cluster.objects.count(), 60,
            "the monitor's first probes")
        assert process.poll() is None, monitor.output()
        return monitor

    yield start
    for monitor in started:
        monitor.stop()


@pytest.fixture(autouse=True)
def forget_cached_discovery() -> Iterator[None]:
    """What one test discovered (the policy page reuses it for a minute) never answers
    another's: their databases reuse ids."""
    cache.clear()
    yield


@dataclass
class Receiver:
    """A webhook receiver: records each request, answers with the statuses queued in
    `answers` (then 200)."""

    url: str
    requests: list[dict] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def bodies(self) -> list[dict]:
        return [json.loads(request["body"]) for request in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    lock = threading.Lock()
    found = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            with lock:
                found.requests.append({"path": self.path, "body": body,
                                       "content_type": self.headers.get("Content-Type")})
                status = found.answers.pop(0) if found.answers else 200
            answer = (b"receiver broke" if status >= 500 else b"no such hook" if status >= 400
                      else b"ok")
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return  # quiet: the test reads `requests`

    server = ThreadingHTTPServer((HOST, 0), Handler)
    found.url = f"http://{HOST}:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_channel(db) -> Callable[..., Channel]:
    def make(target: str, kinds: list[str], transport: str = "webhook",
             tenant: str | None = None, role: str = "", name: str = "") -> Channel:
        owner = Tenant.objects.get_or_create(name=tenant)[0] if tenant else None
        return Channel.objects.create(name=name or f"{transport} {target}"[:100],
                                      transport=transport, target=target, tenant=owner,
                                      role=role, kinds=kinds, created_by="ada")

    return make
