"""Fixtures for notifications: the control queue and its worker, and a pairing of two
registered clusters that nothing probes. Redis alone, the webhook receiver and channels
are in tests/conftest.py (the browser tests use them too)."""

from collections.abc import Iterator

import django_rq
import pytest
from django.conf import settings
from rq import SimpleWorker

from console.models import Cluster, Pairing
from minicluster.layout import HOST


@pytest.fixture
def control_queue(redis) -> Iterator[str]:
    """The control queue, empty before and after."""
    queue = django_rq.get_queue(settings.CONTROL_QUEUE)
    queue.empty()
    yield settings.CONTROL_QUEUE
    queue.empty()


def work_control() -> None:
    """Run every job of the control queue, and the retries they enqueue, as a worker does."""
    django_rq.get_worker(settings.CONTROL_QUEUE, worker_class=SimpleWorker).work(burst=True)


@pytest.fixture
def offline_pairing(db) -> Pairing:
    """Two registered clusters, paired in the database only: for what never calls them."""
    def cluster(name: str, port: int) -> Cluster:
        return Cluster.objects.create(
            name=name, location=f"{name} hall", webhdfs_url=f"http://{HOST}:{port}",
            hiveserver2_host=HOST, hiveserver2_port=port + 1,
            zookeeper_hosts=f"{HOST}:{port + 2}")

    return Pairing.objects.create(primary=cluster("east", 1), secondary=cluster("west", 4),
                                  created_by="ada")
