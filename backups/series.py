"""What the service and pairing charts plot: lists of points, epoch milliseconds on x.

Epoch milliseconds rather than ISO strings: the charts put time on a linear axis and
let the browser format its labels in the user's zone, with no date library."""

from collections.abc import Iterable
from datetime import datetime

from backups.models import FINAL_STATES, Round, RoundState, Service
from backups.rpo import breach_limit

# How many of a service's latest finished rounds its charts cover.
ROUNDS_SHOWN = 200

Point = dict[str, float | int | str]


def epoch_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def finished_rounds(service: Service, limit: int = ROUNDS_SHOWN) -> list[Round]:
    """The service's last `limit` rounds in a final state, oldest first."""
    latest = service.rounds.filter(state__in=FINAL_STATES).order_by("-moment")[:limit]
    return list(reversed(latest))


def _age(at: datetime, moment: datetime) -> Point:
    return {"x": epoch_ms(at), "y": (at - moment).total_seconds()}


def recovery_point_ages(service: Service, since: datetime, now: datetime) -> list[Point]:
    """The age in seconds of the service's newest consistent restore point, from `since`
    to `now`: a sawtooth given by its corners.

    A restore point counts from when its round finished (it did not exist before), and
    is as old as its moment T. The newest one's age grows a second a second, so straight
    lines between the corners are exact: no sampling. Where a newer point arrives the age
    drops, drawn as two points at the same instant (the age just before and after). A
    round that finishes late with an older moment (a retry) changes nothing. Before the
    first consistent point there is no line: there was no recovery point to be old.
    As on the page's RPO line, only consistent rounds count, not crash-consistent ones.
    """
    consistent = service.rounds.filter(state=RoundState.CONSISTENT, finished_at__isnull=False,
                                       finished_at__lte=now)
    seed = consistent.filter(finished_at__lt=since).order_by("-moment").first()
    newest = seed.moment if seed else None
    points = [_age(since, newest)] if newest else []
    arrivals = consistent.filter(finished_at__gte=since).order_by("finished_at", "moment")
    for finished, moment in arrivals.values_list("finished_at", "moment"):
        assert finished is not None  # filtered on
        if newest is not None and moment <= newest:
            continue
        if newest is not None:
            points.append(_age(finished, newest))
        newest = moment
        points.append(_age(finished, moment))
    if newest is not None:
        points.append(_age(now, newest))
    return points


def round_points(rounds: Iterable[Round]) -> dict[str, list[Point]]:
    """Per round, at its moment T: duration (s), bytes moved, throughput (bytes/s),
    moment error and skew (ms); each round only in the series it has a value for."""
    series: dict[str, list[Point]] = {
        "duration": [], "bytes": [], "throughput": [], "moment_error": [], "skew": []}
    for round_ in rounds:
        # The state travels with each point: a failed round's short duration or few
        # bytes read differently from a consistent one's.
        base: Point = {"x": epoch_ms(round_.moment), "round": round_.pk,
                       "state": round_.get_state_display()}
        duration = round_.duration
        if duration is not None:
            series["duration"].append({**base, "y": duration.total_seconds()})
        # Started: its snapshot was taken, so it may have copied something.
        if round_.started_at is not None:
            series["bytes"].append({**base, "y": round_.bytes})
        throughput = round_.throughput
        if throughput is not None:
            series["throughput"].append({**base, "y": throughput})
        if round_.moment_error_ms is not None:
            series["moment_error"].append({**base, "y": round_.moment_error_ms})
        if round_.skew_ms is not None:
            series["skew"].append({**base, "y": round_.skew_ms})
    return series


def service_series(service: Service, now: datetime, limit: int = ROUNDS_SHOWN) -> dict:
    """Everything the service page's charts plot, over its last `limit` finished rounds."""
    rounds = finished_rounds(service, limit)
    # A round cancelled before its moment has a moment still to come.
    since = min(rounds[0].moment, now) if rounds else now
    limit_age = breach_limit(service)
    return {
        "service": {"id": service.pk, "name": service.name, "tenant": service.tenant.name},
        "since": epoch_ms(since),
        "now": epoch_ms(now),
        "rounds": len(rounds),
        "recovery_point": recovery_point_ages(service, since, now),
        "rpo_limit_s": limit_age.total_seconds() if limit_age else None,
        **round_points(rounds),
    }


def pairing_series(services: Iterable[Service], now: datetime,
                   limit: int = ROUNDS_SHOWN) -> dict:
    """The pairing page's charts: each service's recovery point age and round durations."""
    keep = ("service", "since", "rounds", "recovery_point", "rpo_limit_s", "duration")
    return {
        "now": epoch_ms(now),
        "services": [{key: value for key, value in service_series(service, now, limit).items()
                      if key in keep} for service in services],
    }
