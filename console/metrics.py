"""Metrics for monitoring systems, in Prometheus' text format: each service's recovery
point against its target, rounds by state, the last round's duration and bytes, the
clusters' health, open fault prompts and the console's processes.

`GET /api/metrics/` answers operators and administrators, by session or API token
(`Authorization: Bearer …`, which Prometheus' `authorization` setting sends).
"""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count
from django.http import HttpRequest, HttpResponse

from backups.dashboard import BREACH, service_states
from backups.models import Round
from console import clock
from console.api import api_view
from console.heartbeats import process_states
from console.roles import Role
from failover.models import ClusterStatus
from failover.prompts import open_prompts

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Sample = tuple[dict[str, str], float]


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def family(name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        inner = ",".join(f'{key}="{_label(text)}"' for key, text in labels.items())
        lines.append(f"{name}{{{inner}}} {value:g}" if inner else f"{name} {value:g}")
    return lines


def exposition(user, now: datetime) -> str:
    states = service_states(user, now)

    def of(state) -> dict[str, str]:
        return {"service": state.service.name, "tenant": state.service.tenant.name}

    lines = [
        *family("lockstep_service_rpo_seconds", "gauge",
                "Age of the newest consistent restore point (absent: none yet).",
                [(of(s), s.rpo.age.total_seconds()) for s in states if s.rpo.age is not None]),
        *family("lockstep_service_rpo_target_seconds", "gauge",
                "The recovery point a service may not exceed (its period times the breach "
                "factor).",
                [(of(s), s.rpo.limit.total_seconds()) for s in states if s.rpo.limit]),
        *family("lockstep_service_rpo_breach", "gauge",
                "1 while a service is in breach of its recovery point target.",
                [(of(s), float(s.verdict == BREACH)) for s in states]),
        *family("lockstep_service_last_round_duration_seconds", "gauge",
                "How long the service's last finished round took.",
                [(of(s), s.last_round.duration.total_seconds()) for s in states
                 if s.last_round is not None and s.last_round.duration is not None]),
        *family("lockstep_service_last_round_bytes", "gauge",
                "Bytes the service's last round moved.",
                [(of(s), float(s.last_round.bytes)) for s in states if s.last_round]),
        *family("lockstep_rounds", "gauge", "Rounds of the visible services, by state.",
                [({"state": row["state"]}, float(row["count"])) for row in
                 Round.objects.filter(service__in=[s.service for s in states])
                 .values("state").annotate(count=Count("pk")).order_by("state")]),
    ]
    lines += [
        *family("lockstep_cluster_up", "gauge",
                "1 when every endpoint of the cluster answered the monitor's last probe.",
                [({"cluster": status.cluster.name, "role": status.role or "unknown"},
                  float(status.healthy))
                 for status in ClusterStatus.objects.select_related("cluster")]),
        *family("lockstep_fault_prompts_open", "gauge",
                "Fault prompts waiting for an operator's decision.",
                [({}, float(open_prompts().count()))]),
        *family("lockstep_process_up", "gauge",
                "1 while the console's process (scheduler, monitor, workers) is running.",
                [({"process": state.label}, float(state.ok)) for state in process_states()]),
    ]
    return "\n".join(lines) + "\n"


@api_view({"GET"}, (Role.ADMINISTRATOR, Role.OPERATOR))
def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(exposition(request.user, clock.now()), content_type=CONTENT_TYPE)
