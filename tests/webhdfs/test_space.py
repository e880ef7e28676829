"""GETSTATUS: a configured capacity, and the bytes the root holds as its use, so that two
sites sharing one disk do not report the same space."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.webhdfs.conftest import Site, start_site

GIB = 2**30


@pytest.fixture
def sized_site(webhdfs_dir: Path) -> Iterator[Site]:
    yield from start_site(webhdfs_dir, f"sized-{time.monotonic_ns()}",
                          webhdfs_dir / "groups.json", options=["--capacity", str(5 * GIB)])


def test_a_configured_capacity_is_reported_with_what_the_root_holds(sized_site: Site) -> None:
    sized_site.client().write("/f", data=b"x" * 3000)
    status = sized_site.call("GET", "/", "GETSTATUS").json()["FsStatus"]
    assert status["capacity"] == 5 * GIB
    assert status["used"] == 3000
    assert 0 < status["remaining"] <= 5 * GIB - 3000


def test_the_mini_clusters_sites_report_their_own_capacity(minicluster) -> None:
    from adapters.webhdfs import WebHdfs
    from minicluster.layout import CONSOLE_USER
    from minicluster.services import SITE_CAPACITY

    for site in ("site-a", "site-b"):
        status = WebHdfs(minicluster.webhdfs_url(site), CONSOLE_USER).fs_status()
        assert status["capacity"] == SITE_CAPACITY[site]
