"""The service and pairing pages draw their charts with the console's own copy of
Chart.js, from the series of real rounds in the database, and ask nothing of any other
host (the console's machines are offline)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, Page

from backups.models import Round, RoundState
from console.models import Cluster, Pairing
from console.roles import Role
from tests.browser.conftest import TIMEOUT_MS, log_in_as
from tests.conftest import cluster_fields

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIBRARY = "/static/vendor/chartjs/chart.umd.min.js"
SERVICE_CHARTS = ("chart-recovery-point", "chart-duration", "chart-transfer", "chart-moment")


@pytest.fixture
def stored_pairing(transactional_db) -> Pairing:
    """A pairing as the database holds it: the charts ask no cluster anything."""
    primary, secondary = (Cluster.objects.create(**cluster_fields(settings.MINICLUSTER, site))
                          for site in ("site-a", "site-b"))
    return Pairing.objects.create(primary=primary, secondary=secondary, created_by="test")


@dataclass
class Visit:
    """A logged-in page, every URL it requested and every error its scripts threw."""

    page: Page
    requested: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def visit(browser: Browser, console_url: str) -> Iterator[Callable[[str], Visit]]:
    """A logged-in page on daphne (which serves static files through WhiteNoise, as in
    production) that records every URL it requests. No Redis runs here, so the live
    badge stays offline: these pages draw from a fetch, not from events."""
    contexts = []

    def visit(username: str) -> Visit:
        context = browser.new_context(base_url=console_url, locale="en-GB",
                                      timezone_id="Europe/Berlin")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        seen = Visit(context.new_page())
        seen.page.on("request", lambda request: seen.requested.append(request.url))
        seen.page.on("pageerror", lambda error: seen.errors.append(str(error)))
        log_in_as(seen.page, username)
        return seen

    yield visit
    for context in contexts:
        context.close()


def rounds_of(service, count: int) -> None:
    """`count` rounds five minutes apart, all consistent but the second (failed)."""
    first = timezone.now() - timedelta(minutes=5 * count)
    for index in range(count):
        moment = first + timedelta(minutes=5 * index)
        Round.objects.create(
            service=service, moment=moment,
            state=RoundState.FAILED if index == 1 else RoundState.CONSISTENT,
            started_at=moment, finished_at=moment + timedelta(seconds=30 + index),
            files=10, bytes=1_000_000 * (index + 1), moment_error_ms=2.0 + index,
            skew_ms=0.0)


def charts_of(page: Page, ids: tuple[str, ...]) -> dict[str, list[int]]:
    """Each canvas's Chart.js chart once drawn: its datasets' numbers of points."""
    page.wait_for_function("ids => ids.every((id) => Chart.getChart(id))", arg=list(ids))
    return page.evaluate("""ids => Object.fromEntries(ids.map((id) => [id,
        Chart.getChart(id).data.datasets.map((dataset) => dataset.data.length)]))""",
                         list(ids))


def drawn(page: Page, canvas_id: str) -> bool:
    """Whether anything was painted on the canvas (not every pixel transparent)."""
    return page.evaluate("""id => {
        const canvas = document.getElementById(id);
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width,
                                                            canvas.height).data;
        return canvas.width > 0 && pixels.some((value, index) => index % 4 === 3 && value);
    }""", canvas_id)


def only_the_console(seen: Visit, console_url: str) -> None:
    """The page asked only the console, the library included, and its scripts threw
    nothing."""
    assert seen.errors == []
    assert f"{console_url}{LIBRARY}" in seen.requested
    assert [url for url in seen.requested if not url.startswith(console_url)] == []


def test_a_service_page_charts_its_rounds_with_the_consoles_own_library(
        visit, console_url, make_user, make_service, stored_pairing):
    make_user("tina", Role.TENANT, tenant="acme")
    service = make_service(stored_pairing)
    rounds_of(service, 7)
    seen = visit("tina")
    page = seen.page
    page.goto(f"/services/{service.pk}/")
    charts = charts_of(page, SERVICE_CHARTS)
    assert charts == {
        # 6 consistent points: the first's arrival, two corners at each later arrival
        # (the age before and after), and now; then the breach line's two ends.
        "chart-recovery-point": [1 + 2 * 5 + 1, 2],
        "chart-duration": [7],
        "chart-transfer": [7, 7],  # bytes, throughput
        "chart-moment": [7, 7],  # moment error, skew
    }
    assert all(drawn(page, canvas) for canvas in SERVICE_CHARTS)
    assert page.evaluate("Chart.version").startswith("4.")
    # Epoch milliseconds on a linear x axis, labelled by the browser: no date adapter.
    assert page.evaluate("Chart.getChart('chart-duration').scales.x.type") == "linear"
    only_the_console(seen, console_url)


def test_a_pairing_page_charts_each_service_its_user_may_see(
        visit, console_url, make_user, make_service, stored_pairing):
    make_user("tina", Role.TENANT, tenant="acme")
    make_user("otto", Role.OPERATOR)
    rounds_of(make_service(stored_pairing), 4)
    rounds_of(make_service(stored_pairing, tenant="globex", name="ledger",
                           paths=("/data/globex/ledger",)), 3)
    ids = ("chart-recovery-points", "chart-durations")

    seen = visit("otto")
    page = seen.page
    page.goto(f"/pairings/{stored_pairing.pk}/charts/")
    assert charts_of(page, ids) == {"chart-recovery-points": [1 + 2 * 2 + 1, 1 + 2 * 1 + 1],
                                    "chart-durations": [4, 3]}
    assert all(drawn(page, canvas) for canvas in ids)
    only_the_console(seen, console_url)

    page = visit("tina").page
    page.goto(f"/pairings/{stored_pairing.pk}/charts/")
    assert charts_of(page, ids) == {"chart-recovery-points": [1 + 2 * 2 + 1],
                                    "chart-durations": [4]}
    labels = page.evaluate("Chart.getChart('chart-durations').data.datasets.map(d => d.label)")
    assert labels == ["acme/bill clearing"]
