"""Fixtures for notifications: Redis alone (the live pushes and the delivery queue need
nothing else of the mini cluster), a real webhook receiver on loopback, a pairing of two
registered clusters that nothing probes, and channels."""

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import django_rq
import pytest
from django.conf import settings
from rq import SimpleWorker

from console.models import Cluster, Pairing, Tenant
from minicluster import services
from minicluster.layout import HOST
from notifications.models import Channel


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
def control_queue(redis) -> Iterator[str]:
    """The control queue, empty before and after."""
    queue = django_rq.get_queue(settings.CONTROL_QUEUE)
    queue.empty()
    yield settings.CONTROL_QUEUE
    queue.empty()


def work_control() -> None:
    """Run every job of the control queue, and the retries they enqueue, as a worker does."""
    django_rq.get_worker(settings.CONTROL_QUEUE, worker_class=SimpleWorker).work(burst=True)


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
def offline_pairing(db) -> Pairing:
    """Two registered clusters, paired in the database only: for what never calls them."""
    def cluster(name: str, port: int) -> Cluster:
        return Cluster.objects.create(
            name=name, location=f"{name} hall", webhdfs_url=f"http://{HOST}:{port}",
            hiveserver2_host=HOST, hiveserver2_port=port + 1,
            zookeeper_hosts=f"{HOST}:{port + 2}")

    return Pairing.objects.create(primary=cluster("east", 1), secondary=cluster("west", 4),
                                  created_by="ada")


@pytest.fixture
def make_channel(db) -> Callable[..., Channel]:
    def make(target: str, kinds: list[str], transport: str = "webhook",
             tenant: str | None = None, role: str = "", name: str = "") -> Channel:
        owner = Tenant.objects.get_or_create(name=tenant)[0] if tenant else None
        return Channel.objects.create(name=name or f"{transport} {target}"[:100],
                                      transport=transport, target=target, tenant=owner,
                                      role=role, kinds=kinds, created_by="ada")

    return make
