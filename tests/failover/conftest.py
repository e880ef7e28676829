"""A cluster's status as the monitor recorded it, and a service with a consistent
restore point to put at risk."""

import pytest

from backups.models import RoundState, Service
from backups.preparing import run_now
from failover.models import ClusterStatus
from tests.backups.conftest import make_service, work


def status_of(site: str) -> ClusterStatus | None:
    return ClusterStatus.objects.filter(cluster__name=site).first()


@pytest.fixture
def protected(pairing, tenant_data, queues) -> Service:
    """The bill files of acme, protected by a service with one consistent restore point
    on site-b."""
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    round_ = run_now(service)
    work()
    round_.refresh_from_db()
    assert round_.state == RoundState.CONSISTENT, round_.reason
    return service
