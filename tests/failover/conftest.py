"""Fixtures for failovers: the bill-clearing service (an HDFS directory and a Hive
table), consistent rounds, a cluster's status as the monitor recorded it, fault prompts,
identities as each cluster's ZooKeeper holds them, and a ZooKeeper that never answers."""

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from backups.models import RoundState, Service
from backups.preparing import run_now
from console.clusters import zookeeper_of
from console.models import Cluster, Pairing
from failover.identity import read_identity
from failover.models import ClusterStatus, FaultPrompt
from tests.backups.conftest import make_service, work

ROWS = "SELECT id, name FROM acme.customers ORDER BY id"


@pytest.fixture
def service(pairing, tenant_data, queues) -> Service:
    return make_service(pairing, [("hdfs", tenant_data.bills), ("hive", tenant_data.customers)])


@pytest.fixture
def bills_only(pairing, tenant_data, queues) -> Service:
    """A service of one HDFS directory: its rounds are quick."""
    return make_service(pairing, [("hdfs", tenant_data.bills)])


def consistent_round(service: Service):
    service.refresh_from_db()  # the pairing as it is now: a switchover moves its roles
    round_ = run_now(service)
    work()
    round_.refresh_from_db()
    assert round_.state == RoundState.CONSISTENT, round_.reason
    return round_


def open_prompt(pairing: Pairing) -> FaultPrompt:
    """What the monitor opens when the primary stays down past its grace period."""
    return FaultPrompt.objects.create(pairing=pairing, cluster=pairing.primary,
                                      fault_since=timezone.now() - timedelta(minutes=2),
                                      evidence={"WebHDFS": "connection refused"})


def identity_of(cluster: Cluster) -> tuple[str, int, str]:
    """(role, epoch, peer) as the cluster's own ZooKeeper records it."""
    with zookeeper_of(cluster) as zookeeper:
        found = read_identity(zookeeper)
    return found.role.value, found.epoch, found.peer


@pytest.fixture
def silent_zookeeper() -> Iterator[str]:
    """host:port of a server that takes connections and never answers: a ZooKeeper
    whose machine hangs (a session waits for its timeout there)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def status_of(site: str) -> ClusterStatus | None:
    return ClusterStatus.objects.filter(cluster__name=site).first()


@pytest.fixture
def protected(bills_only) -> Service:
    """The bill files of acme, protected by a service with one consistent restore point
    on site-b."""
    consistent_round(bills_only)
    return bills_only
