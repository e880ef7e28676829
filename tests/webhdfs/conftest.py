"""Two real WebHDFS servers (site-a, site-b) on loopback, started once per test run."""

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from hdfs import InsecureClient

from adapters.webhdfs import WebHdfs
from minicluster.webhdfs import launcher

SUPERUSER = "lockstep"
# Groups the servers see for the test users (the groups file, not the OS, decides).
GROUPS = {"alice": ["analysts"], "bob": ["engineers"], "carol": ["analysts"]}


@dataclass(frozen=True)
class Site:
    url: str
    root: Path
    state: Path

    def client(self, user: str = SUPERUSER) -> InsecureClient:
        return InsecureClient(self.url, user=user)

    def adapter(self, user: str = SUPERUSER) -> WebHdfs:
        return WebHdfs(self.url, user)

    def call(self, method: str, path: str, op: str, user: str = SUPERUSER,
             **params: object) -> requests.Response:
        """A raw WebHDFS request that does not follow redirects."""
        query = {"op": op, "user.name": user, **params}
        return requests.request(method, f"{self.url}/webhdfs/v1{path}", params=query,
                                allow_redirects=False, timeout=30)


def refusal(reply: requests.Response) -> tuple[int, str, str]:
    """(status, exception, message) of a refused request; a body that is no
    RemoteException comes back whole as the message."""
    try:
        error = reply.json()["RemoteException"]
    except (ValueError, KeyError):
        return reply.status_code, "", reply.text
    return reply.status_code, error["exception"], error["message"]


def start_site(base: Path, name: str, groups: Path, options: Sequence[str] = ()) -> Iterator[Site]:
    """Run a server on a directory of its own until the generator is closed; `options`
    are further command-line flags."""
    root, state = base / name / "root", base / name / "state"
    root.mkdir(parents=True)
    namenode, datanode = launcher.free_port(), launcher.free_port()
    with open(base / f"{name}.log", "wb") as log:
        process = launcher.start(root, state, namenode, datanode, SUPERUSER, log=log,
                                 groups=groups, options=options)
        try:
            url = f"http://127.0.0.1:{namenode}"
            launcher.wait_ready(url, timeout=30, process=process)
            yield Site(url, root, state)
        finally:
            launcher.stop(process)


@pytest.fixture(scope="session")
def webhdfs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("webhdfs")
    (base / "groups.json").write_text(json.dumps(GROUPS))
    return base


@pytest.fixture(scope="session")
def site_a(webhdfs_dir: Path) -> Iterator[Site]:
    yield from start_site(webhdfs_dir, "site-a", webhdfs_dir / "groups.json")


@pytest.fixture(scope="session")
def site_b(webhdfs_dir: Path) -> Iterator[Site]:
    yield from start_site(webhdfs_dir, "site-b", webhdfs_dir / "groups.json")


@pytest.fixture
def client(site_a: Site) -> InsecureClient:
    return site_a.client()


@pytest.fixture
def adapter(site_a: Site) -> WebHdfs:
    return site_a.adapter()


@pytest.fixture
def base(request: pytest.FixtureRequest, client: InsecureClient) -> str:
    """A fresh, world-writable directory for one test on site-a."""
    path = "/t/" + re.sub(r"\W", "_", request.node.name)
    client.delete(path, recursive=True)
    client.makedirs(path, permission="777")
    return path
