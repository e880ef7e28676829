"""Fixtures shared by every suite: the real mini cluster, started once per test run."""

from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from console.accounts import ensure_user
from console.models import Tenant
from console.roles import Role
from minicluster import services
from minicluster.layout import Layout


@pytest.fixture(scope="session")
def minicluster() -> Iterator[Layout]:
    """Redis, and ZooKeeper and a Spark Thrift Server per site, on the test ports."""
    layout: Layout = settings.MINICLUSTER
    services.up(layout)
    yield layout
    services.down(layout)


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(username: str, role: Role, tenant: str | None = None) -> User:
        owner = Tenant.objects.get_or_create(name=tenant)[0] if tenant else None
        return ensure_user(username, role, "a-long-test-password", owner)

    return make
