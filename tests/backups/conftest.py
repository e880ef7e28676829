"""Fixtures for rounds: empty queues, a worker, the bill-clearing service, tree readers."""

import os
import time
from collections.abc import Iterator
from datetime import timedelta

import django_rq
import pytest
from django.utils import timezone
from rq import SimpleWorker

from adapters.hiveserver2 import HiveServer2
from adapters.webhdfs import WebHdfs
from backups.models import RoundState
from backups.preparing import run_now
from backups.protection import ServiceRequest, save_service
from console.models import Tenant
from minicluster.layout import CONSOLE_USER
from minicluster.services import hiveserver2_client

QUEUES = ("site-a", "site-b", "control")
BIG = "/data/acme/bulk"


def work(*names: str) -> None:
    """Run every queued job (and the jobs they enqueue) with a real RQ worker."""
    django_rq.get_worker(*(names or QUEUES), worker_class=SimpleWorker).work(burst=True)


def make_service(pairing, data_sets, name="bill clearing", **changes):
    tenant, _ = Tenant.objects.get_or_create(
        name="acme", defaults={"hdfs_roots": "/data/acme\n/archive/acme"})
    return save_service(ServiceRequest(
        tenant=tenant, name=name, pairing=pairing, data_sets=data_sets,
        first_moment=timezone.now() + timedelta(hours=1), period=timedelta(minutes=5),
        retention=3, **changes), by="tina")


def restore_point_of(service):
    """A real round of `service` run now, to its end: its restore point on the secondary."""
    round_ = run_now(service)
    work()
    round_.refresh_from_db()
    assert round_.state == RoundState.CONSISTENT, round_.reason
    return round_.restore_point


@pytest.fixture
def bill_clearing(pairing, tenant_data, queues):
    return make_service(pairing, [("hdfs", tenant_data.bills), ("hive", tenant_data.customers),
                                  ("sparksql", tenant_data.settlements)])


def site(minicluster, name: str) -> WebHdfs:
    return WebHdfs(minicluster.webhdfs_url(name), CONSOLE_USER)


def hive(minicluster, name: str) -> HiveServer2:
    return hiveserver2_client(minicluster, name)


def walk(client: WebHdfs, top: str) -> Iterator[tuple[str, dict]]:
    """Every path below `top` (relative to it) with its status."""
    pending = [""]
    while pending:
        current = pending.pop()
        for name, status in client.list_dir(f"{top}/{current}".rstrip("/")):
            child = f"{current}/{name}".strip("/")
            yield child, status
            if status["type"] == "DIRECTORY":
                pending.append(child)


def tree(client: WebHdfs, path: str) -> dict[str, tuple]:
    """Every file under `path`: its length and checksum."""
    return {child: (status["length"], client.checksum(f"{path}/{child}")["bytes"])
            for child, status in walk(client, path) if status["type"] != "DIRECTORY"}


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def bulk(minicluster):
    """Enough data on site-a that copying it takes a few seconds even datanode to
    datanode: 100 files of 8 MiB."""
    primary = site(minicluster, "site-a")
    primary.delete(BIG, recursive=True)
    payload = os.urandom(8 * 1024 * 1024)
    for number in range(100):
        primary.write(f"{BIG}/part-{number:03d}.bin", payload[number:] + payload[:number])
    return BIG
