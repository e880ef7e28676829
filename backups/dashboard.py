"""The services at a glance: each one's recovery point against its target, its last and
next round and its restore points, judged safe, at risk or in breach."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery

from backups.access import visible_services
from backups.models import RestorePoint, Round, RoundState, Service
from backups.rpo import RpoStatus, rpo_status
from backups.scheduling import next_round_moment

SAFE, AT_RISK, BREACH, UNPROTECTED = "safe", "at risk", "breach", "not protected"
VERDICTS = (BREACH, AT_RISK, SAFE, UNPROTECTED)
TROUBLED = {RoundState.FAILED, RoundState.CRASH_CONSISTENT, RoundState.FENCED}


@dataclass(frozen=True)
class ServiceState:
    service: Service
    verdict: str
    why: str
    rpo: RpoStatus
    last_round: Round | None
    next_round: datetime | None
    restore_points: int
    newest_point: datetime | None


def judge(service: Service, rpo: RpoStatus, last: Round | None) -> tuple[str, str]:
    """The verdict and, in a few words, why."""
    policy = service.policy
    if service.pairing is None or not policy.enabled:
        return UNPROTECTED, "no pairing" if service.pairing is None else "policy disabled"
    if rpo.breach:
        return BREACH, ("no consistent restore point yet" if rpo.age is None
                        else "the newest consistent restore point is too old")
    if rpo.age is None:
        return AT_RISK, "no consistent restore point yet"
    if last is not None and last.state in TROUBLED:
        return AT_RISK, f"the last round ended {last.get_state_display()}"
    if policy.period and rpo.age > policy.period * 1.5:
        return AT_RISK, "a round was missed"
    return SAFE, "within its target"


def with_last_moment(services: QuerySet[Service]) -> QuerySet[Service]:
    """`services`, each with the moment of its newest round as `last_moment`."""
    return services.annotate(last_moment=Subquery(
        Round.objects.filter(service=OuterRef("pk")).order_by("-moment").values("moment")[:1]))


def last_rounds(services: Sequence[Any]) -> dict[int, Round]:
    """The newest round of each of `services` (annotated by `with_last_moment`), by
    service id, in one query however long their history."""
    wanted = {(s.pk, moment) for s in services if (moment := s.last_moment)}
    found = Round.objects.filter(service__in=services, moment__in={m for _, m in wanted})
    return {r.service_id: r for r in found if (r.service_id, r.moment) in wanted}


def service_states(user, now: datetime, among: QuerySet[Service] | None = None
                   ) -> list[ServiceState]:
    """Every service the user may see (of `among`, when given), the ones that need
    attention first."""
    # Correlated subqueries, not joins: joining rounds and restore points multiplies
    # a long history (20,000 rounds made the page take 0.4 s).
    points = RestorePoint.objects.filter(service=OuterRef("pk"))
    visible = visible_services(user)
    if among is not None:
        visible = visible.filter(pk__in=among.values("pk"))
    services = list(with_last_moment(visible).annotate(
        point_count=Subquery(points.values("service").annotate(n=Count("pk")).values("n")),
        newest_point=Subquery(points.order_by("-moment").values("moment")[:1])))
    newest = last_rounds(services)
    states = []
    for service in services:
        rpo = rpo_status(service, now)
        last = newest.get(service.pk)
        verdict, why = judge(service, rpo, last)
        states.append(ServiceState(service, verdict, why, rpo, last,
                                   next_round_moment(service.policy, now),
                                   service.point_count or 0, service.newest_point))
    order = {BREACH: 0, AT_RISK: 1, UNPROTECTED: 2, SAFE: 3}
    return sorted(states, key=lambda state: (order[state.verdict], str(state.service)))
