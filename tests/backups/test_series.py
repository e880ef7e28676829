"""The charts' series: the recovery point sawtooth, per-round points, the window of
rounds, and who may fetch them (a tenant only its own services, others 404)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from backups.models import RestorePoint, Round, RoundState
from backups.rpo import rpo_status
from backups.series import epoch_ms, recovery_point_ages, round_points, service_series
from console.models import Cluster, Pairing
from console.roles import Role
from tests.conftest import cluster_fields

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
LIBRARY = "vendor/chartjs/chart.umd.min.js"


@pytest.fixture
def stored_pairing(db) -> Pairing:
    """A pairing as the database holds it: nothing here asks a cluster."""
    primary, secondary = (Cluster.objects.create(**cluster_fields(settings.MINICLUSTER, site))
                          for site in ("site-a", "site-b"))
    return Pairing.objects.create(primary=primary, secondary=secondary, created_by="test")


@pytest.fixture
def service(make_service, stored_pairing):
    return make_service(stored_pairing)


def round_at(service, moment: datetime, state: str = RoundState.CONSISTENT,
             took: timedelta | None = MIN, **fields) -> Round:
    """A round that started at its moment and took `took` (None: never started)."""
    return Round.objects.create(
        service=service, moment=moment, state=state,
        started_at=moment if took is not None else None,
        finished_at=moment + took if took is not None else moment, **fields)


def point(at: datetime, age: timedelta) -> dict:
    return {"x": epoch_ms(at), "y": age.total_seconds()}


def test_the_recovery_point_age_is_a_sawtooth_from_finished_consistent_rounds(service):
    since = NOW - 60 * MIN
    round_at(service, since - 10 * MIN)  # before the window: the age it starts from
    round_at(service, since + 10 * MIN, took=2 * MIN)
    round_at(service, since + 15 * MIN, RoundState.CRASH_CONSISTENT)  # does not count
    round_at(service, since + 20 * MIN, RoundState.FAILED)
    # A retry of an older moment that finished after a newer point: changes nothing.
    Round.objects.create(service=service, moment=since + 5 * MIN, state=RoundState.CONSISTENT,
                         started_at=since + 30 * MIN, finished_at=since + 31 * MIN)
    round_at(service, since + 25 * MIN, took=3 * MIN)
    Round.objects.create(service=service, moment=NOW - 2 * MIN, state=RoundState.CONSISTENT,
                         started_at=NOW - 2 * MIN, finished_at=NOW + MIN)  # not yet

    assert recovery_point_ages(service, since, NOW) == [
        point(since, 10 * MIN),
        point(since + 12 * MIN, 22 * MIN), point(since + 12 * MIN, 2 * MIN),
        point(since + 28 * MIN, 18 * MIN), point(since + 28 * MIN, 3 * MIN),
        point(NOW, 35 * MIN),
    ]


def test_no_line_before_the_first_consistent_point_and_its_end_agrees_with_the_rpo(service):
    since = NOW - 60 * MIN
    round_at(service, since, RoundState.FAILED)
    assert recovery_point_ages(service, since, NOW) == []
    newest = round_at(service, since + 20 * MIN)
    RestorePoint.objects.create(service=service, round=newest, cluster=service.pairing.secondary,
                                snapshot_roots=["/data"], name="p", moment=newest.moment)
    ages = recovery_point_ages(service, since, NOW)
    assert ages == [point(since + 21 * MIN, MIN), point(NOW, 40 * MIN)]
    assert ages[-1]["y"] == rpo_status(service, NOW).age.total_seconds()


def test_each_round_is_plotted_at_its_moment_in_the_series_it_has_a_value_for(service):
    moved = round_at(service, NOW - 10 * MIN, took=timedelta(seconds=40), bytes=80_000,
                     moment_error_ms=3.5, skew_ms=0.0)
    missed = round_at(service, NOW - 5 * MIN, RoundState.MISSED, took=None)
    series = round_points([moved, missed])
    at = {"x": epoch_ms(moved.moment), "round": moved.pk, "state": "consistent"}
    assert series == {
        "duration": [{**at, "y": 40.0}], "bytes": [{**at, "y": 80_000}],
        "throughput": [{**at, "y": 2000.0}], "moment_error": [{**at, "y": 3.5}],
        "skew": [{**at, "y": 0.0}],
    }


def test_the_window_is_the_last_finished_rounds(service):
    for minutes in range(50, 0, -10):
        round_at(service, NOW - minutes * MIN)
    Round.objects.create(service=service, moment=NOW + MIN)  # scheduled: not finished
    series = service_series(service, NOW, limit=3)
    assert series["rounds"] == 3
    assert series["since"] == epoch_ms(NOW - 30 * MIN)
    assert [p["x"] for p in series["duration"]] == [
        epoch_ms(NOW - minutes * MIN) for minutes in (30, 20, 10)]
    assert series["rpo_limit_s"] == 600  # two periods of 5 min
    # The point finished before the window still gives the age it starts from.
    assert series["recovery_point"][0] == point(NOW - 30 * MIN, 10 * MIN)
    assert series["service"] == {"id": service.pk, "name": service.name, "tenant": "acme"}


def test_a_service_without_rounds_has_empty_series(service):
    series = service_series(service, NOW)
    assert series["rounds"] == 0 and series["since"] == series["now"] == epoch_ms(NOW)
    assert series["recovery_point"] == series["duration"] == series["bytes"] == []


def test_only_who_sees_the_service_gets_its_series(client, make_user, make_service, service,
                                                  stored_pairing):
    round_at(service, timezone.now() - 10 * MIN)
    url = reverse("service-series", args=[service.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert len(response.json()["duration"]) == 1
    client.force_login(make_user("otto", Role.OPERATOR))
    assert client.get(url).status_code == 200
    client.force_login(make_user("gil", Role.TENANT, tenant="globex"))
    assert client.get(url).status_code == 404
    assert client.get(reverse("service-detail", args=[service.pk])).status_code == 404


def test_a_pairing_shows_each_user_only_the_services_they_see(client, make_user, make_service,
                                                             service, stored_pairing):
    ledger = make_service(stored_pairing, tenant="globex", name="ledger",
                          paths=("/data/globex/ledger",))
    round_at(ledger, timezone.now() - 10 * MIN)
    url = reverse("pairing-series", args=[stored_pairing.pk])

    def names() -> list[str]:
        response = client.get(url)
        assert response.status_code == 200
        return [entry["service"]["name"] for entry in response.json()["services"]]

    client.force_login(make_user("gil", Role.TENANT, tenant="globex"))
    assert names() == ["ledger"]
    page = client.get(reverse("pairing-charts", args=[stored_pairing.pk])).content.decode()
    assert "ledger" in page and "bill clearing" not in page
    client.force_login(make_user("otto", Role.OPERATOR))
    assert names() == ["bill clearing", "ledger"]
    assert client.get(reverse("pairing-series", args=[stored_pairing.pk + 1])).status_code == 404
    assert client.get(reverse("pairing-charts", args=[stored_pairing.pk + 1])).status_code == 404


def test_the_library_is_the_consoles_own_static_file(client, make_user, service):
    assert finders.find(LIBRARY) is not None
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    page = client.get(reverse("service-detail", args=[service.pk])).content.decode()
    assert f'<script src="/static/{LIBRARY}"></script>' in page
    assert "https://" not in page.split("<body>")[0]  # no CDN in the head
    assert reverse("pairing-charts", args=[service.pairing_id]) in page
