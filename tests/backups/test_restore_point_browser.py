"""The restore-point browser against real rounds on the mini cluster: a point's files as
they were at its moment, a download of one, the diff between two points, and what a user
may not reach (paths outside the point, another tenant's points, a cluster that is down)."""

import html
import os
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import reverse
from django.utils import timezone

from backups.browsing import DOWNLOAD_CHUNK
from backups.models import RestorePoint
from backups.point_views import ENTRIES_PAGE_SIZE
from console.models import AuditEntry
from console.roles import Role
from tests.backups.conftest import make_service, restore_point_of
from tests.backups.test_failures import webhdfs_stopped
from tests.conftest import BROWSED, BROWSED_BILL

pytestmark = pytest.mark.django_db(transaction=True)

SECOND = b"bill,customer,amount\n1,1,12.50\n2,1,3.00\n"


@pytest.fixture
def two_points(browsed_service, browsed_files) -> tuple[RestorePoint, RestorePoint]:
    """A point, then every kind of change on site-a, then another point."""
    first = restore_point_of(browsed_service)
    browsed_files.write(f"{BROWSED}/2026-11/bill-0001.csv", SECOND, overwrite=True)
    browsed_files.delete(f"{BROWSED}/2026-11/old.csv")
    browsed_files.rename(f"{BROWSED}/keep.csv", f"{BROWSED}/kept.csv")
    browsed_files.write(f"{BROWSED}/2026-11/bill-0002.csv", b"new\n")
    return first, restore_point_of(browsed_service)


@pytest.fixture
def tina(client, make_user, browsed_service):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    return client


def point_url(point: RestorePoint, **query: str) -> str:
    url = reverse("restore-point", args=[point.pk])
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items())
                  if query else "")


def download_url(point: RestorePoint, path: str) -> str:
    return reverse("restore-point-download", args=[point.pk]) + f"?path={path}"


def test_restore_points_are_listed_filtered_by_the_url(tina, browsed_service):
    point = restore_point_of(browsed_service)
    page = tina.get(reverse("restore-points"))
    assert list(page.context["page"]) == [point]
    assert point.name.encode() in page.content
    today = timezone.localdate(point.moment)
    narrowed = tina.get(reverse("restore-points"), {"service": browsed_service.pk,
                                                    "since": str(today), "until": str(today)})
    assert list(narrowed.context["page"]) == [point]
    assert narrowed.context["query"] == f"service={browsed_service.pk}&since={today}&until={today}"
    assert list(tina.get(reverse("restore-points"), {"q": point.name[-12:]}).context["page"]) \
        == [point]
    assert list(tina.get(reverse("restore-points"), {"q": "nothing"}).context["page"]) == []
    later = tina.get(reverse("restore-points"), {"since": str(today + timedelta(days=1))})
    assert list(later.context["page"]) == []
    assert tina.get(reverse("restore-points"), {"since": "yesterday"}).status_code == 400
    assert b"browse its restore points" in tina.get(
        reverse("service-detail", args=[browsed_service.pk])).content


def test_a_point_lists_its_snapshot_with_size_time_owner_and_breadcrumbs(
        tina, browsed_service):
    point = restore_point_of(browsed_service)
    page = tina.get(point_url(point))
    data_set = page.context["data_sets"][0]
    assert data_set.snapshot_path == f"/data/.snapshot/{point.name}/acme/browsed"
    assert point.cluster.name == "site-b" and b"site-b" in page.content
    listing = tina.get(point_url(point, path=f"{BROWSED}/2026-11")).context["listing"]
    assert [(e.name, e.directory, e.length) for e in listing.entries] == [
        ("bill-0001.csv", False, len(BROWSED_BILL)), ("old.csv", False, 4)]
    assert listing.entries[0].owner and listing.entries[0].modified <= point.moment
    assert listing.crumbs == [(BROWSED, BROWSED), ("2026-11", f"{BROWSED}/2026-11")]
    top = tina.get(point_url(point, path=BROWSED))
    assert [e.name for e in top.context["listing"].entries] == ["2026-11", "keep.csv"]
    assert f"{len(BROWSED_BILL)} bytes".encode() in tina.get(
        point_url(point, path=f"{BROWSED}/2026-11")).content


def test_a_point_shows_its_tables_and_their_files(tina, pairing, queues, tenant_data):
    tables = make_service(pairing, [("hive", tenant_data.customers)], name="customers")
    point = restore_point_of(tables)
    page = tina.get(point_url(point))
    (data_set, captured), = page.context["tables"]
    assert data_set.locator == tenant_data.customers
    assert [column[0] for column in captured["columns"]] == ["id", "name"]
    listing = tina.get(point_url(point, path=data_set.path)).context["listing"]
    assert listing.data_set.is_table
    assert any(entry.name.endswith(".parquet") for entry in listing.entries)


def test_a_download_is_the_file_as_it_was_at_its_moment_and_is_audited(tina, two_points):
    first, second = two_points
    response = tina.get(download_url(first, f"{BROWSED}/2026-11/bill-0001.csv"))
    assert response.streaming
    assert b"".join(response.streaming_content) == BROWSED_BILL
    assert response["Content-Disposition"] == 'attachment; filename="bill-0001.csv"'
    assert response["Content-Length"] == str(len(BROWSED_BILL))
    assert b"".join(tina.get(download_url(second, f"{BROWSED}/2026-11/bill-0001.csv"))
                    .streaming_content) == SECOND
    entry = AuditEntry.objects.filter(action="restore_point.download").earliest("pk")
    assert entry.actor_name == "tina" and entry.outcome == "success"
    assert f"{BROWSED}/2026-11/bill-0001.csv" in entry.detail and first.name in entry.object_repr


def test_a_large_file_is_sent_a_chunk_at_a_time_under_wsgi_and_asgi(
        tina, make_user, browsed_service, browsed_files):
    """Never read whole: daphne serves the console, and Django reads a synchronous
    iterator whole under ASGI."""
    big = os.urandom(3 * DOWNLOAD_CHUNK + 5)
    browsed_files.write(f"{BROWSED}/big.bin", big)
    point = restore_point_of(browsed_service)
    url = download_url(point, f"{BROWSED}/big.bin")
    chunks = list(tina.get(url).streaming_content)
    assert len(chunks) >= 4 and b"".join(chunks) == big
    asgi = AsyncClient()
    async_to_sync(asgi.aforce_login)(make_user("tina", Role.TENANT, tenant="acme"))
    response = async_to_sync(asgi.get)(url)
    assert response.is_async

    async def received() -> list[bytes]:
        return [chunk async for chunk in response.streaming_content]

    chunks = async_to_sync(received)()
    assert len(chunks) >= 4 and b"".join(chunks) == big


def test_comparing_two_points_shows_the_snapshot_diff(tina, two_points):
    first, second = two_points
    page = tina.get(reverse("restore-point-compare", args=[second.pk]), {"with": first.name})
    comparison = page.context["comparison"]
    assert (comparison.older, comparison.newer) == (first, second)
    changes = {(c.kind, c.path, c.target) for c in comparison.changes}
    # A rewritten file is a new file in HDFS: the diff lists it deleted and created.
    assert {("modified", f"{BROWSED}/2026-11", None),
            ("deleted", f"{BROWSED}/2026-11/bill-0001.csv", None),
            ("created", f"{BROWSED}/2026-11/bill-0001.csv", None),
            ("deleted", f"{BROWSED}/2026-11/old.csv", None),
            ("created", f"{BROWSED}/2026-11/bill-0002.csv", None),
            ("renamed", f"{BROWSED}/keep.csv", f"{BROWSED}/kept.csv")} <= changes
    assert {c.root for c in comparison.changes} == {"/data"}
    # Only the service's own subtree of the shared root.
    assert all(c.path.startswith(BROWSED) for c in comparison.changes)
    assert b"renamed" in page.content


def test_a_large_diff_is_paged_keeping_the_compared_point(tina, browsed_service, browsed_files):
    first = restore_point_of(browsed_service)
    for number in range(ENTRIES_PAGE_SIZE + 5):
        # In a directory of the first point: a new directory is one entry, whatever it holds.
        browsed_files.write(f"{BROWSED}/2026-11/many-{number:04d}.csv", b"x\n")
    second = restore_point_of(browsed_service)
    url = reverse("restore-point-compare", args=[first.pk])
    page = tina.get(url, {"with": second.name})
    assert len(page.context["page"]) == ENTRIES_PAGE_SIZE
    assert f'href="?with={second.name}&amp;page=2"'.encode() in page.content
    rest = tina.get(url, {"with": second.name, "page": 2}).context["page"]
    # The 205 files and their modified directory.
    assert len(rest) == 6 and rest.paginator.count == ENTRIES_PAGE_SIZE + 6


def test_comparing_refuses_unknown_names_and_other_services_points(
        tina, browsed_service, pairing, queues, browsed_files):
    browsed_files.write("/data/acme/other/x.csv", b"x\n", overwrite=True)
    other = make_service(pairing, [("hdfs", "/data/acme/other")], name="other")
    point, foreign = restore_point_of(browsed_service), restore_point_of(other)
    url = reverse("restore-point-compare", args=[point.pk])
    unknown = tina.get(url, {"with": "lockstep-nothing"})
    assert unknown.status_code == 400
    assert b"No restore point you can see is named" in unknown.content
    different = tina.get(url, {"with": foreign.name})
    assert different.status_code == 400
    assert b"only two points of one service can be compared" in different.content
    browsed_files.delete("/data/acme/other", recursive=True)


OUTSIDE = (f"{BROWSED}/../globex/ledger", "/data/globex/ledger", f"/data/.snapshot/x{BROWSED}",
           "data/acme", "/data", f"{BROWSED}-not/x")


def test_paths_outside_the_point_are_refused_and_audited(tina, browsed_service):
    point = restore_point_of(browsed_service)
    for path in OUTSIDE:
        browse = tina.get(point_url(point), {"path": path})
        assert browse.status_code == 400 and browse.context["refusal"], path
        download = tina.get(reverse("restore-point-download", args=[point.pk]), {"path": path})
        assert download.status_code == 400 and not download.streaming, path
    refused = AuditEntry.objects.filter(action="restore_point.download")
    assert [entry.outcome for entry in refused] == ["refused"] * len(OUTSIDE)
    assert {entry.detail.split(": ")[0] for entry in refused} == set(OUTSIDE)
    assert b"outside restore point" in tina.get(point_url(point),
                                                {"path": "/data/globex/ledger"}).content


def test_another_tenant_finds_no_point_and_an_operator_sees_all(
        client, make_user, browsed_service):
    point = restore_point_of(browsed_service)
    client.force_login(make_user("gil", Role.TENANT, tenant="globex"))
    assert list(client.get(reverse("restore-points")).context["page"]) == []
    for url in (point_url(point), download_url(point, f"{BROWSED}/keep.csv"),
                reverse("restore-point-compare", args=[point.pk])):
        assert client.get(url).status_code == 404
    client.force_login(make_user("otto", Role.OPERATOR))
    assert client.get(download_url(point, f"{BROWSED}/keep.csv")).status_code == 200
    client.logout()
    assert client.get(point_url(point)).status_code == 302  # to the login page


def test_a_cluster_that_does_not_answer_is_named_with_its_endpoint(
        tina, browsed_service, minicluster):
    point = restore_point_of(browsed_service)
    with webhdfs_stopped(minicluster, "site-b"):
        page = tina.get(point_url(point, path=BROWSED))
    assert page.status_code == 503
    port = minicluster.webhdfs_url("site-b").rsplit(":", 1)[1]
    text = html.unescape(page.content.decode())
    assert f"site-b's WebHDFS (127.0.0.1:{port}) refused the connection" in text
    assert "technical detail" in text and "Traceback" not in text
