"""What each event says: the notification of a round that ended badly, a cluster lost or
back, a fault prompt, a switchover. Called where the change happens (backups/transitions.py,
failover/monitor.py, failover/prompts.py, failover/switching.py, failover/running.py)
and by the scheduler's RPO watch (notifications/rpo.py).

A notification never stops what it reports: each function logs its own failure and
returns.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from django.urls import reverse

from backups.models import Round, RoundState, Service
from console.clusters import EndpointCheck
from console.models import Cluster
from failover.models import FaultPrompt, Switchover, SwitchoverState
from notifications.models import Kind
from notifications.notifying import notify

log = logging.getLogger(__name__)
P = ParamSpec("P")
TIME = "%Y-%m-%d %H:%M:%S %Z"


def _never_raises(report: Callable[P, None]) -> Callable[P, None]:
    @wraps(report)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            report(*args, **kwargs)
        except Exception:
            log.exception("the notification %s(%s) failed", report.__name__, args)

    return guarded


@_never_raises
def round_ended(round_: Round) -> None:
    """A round that ended failed or crash-consistent (other final states say nothing a
    person must act on: cancelled was someone's choice, fenced follows a failover)."""
    service = round_.service
    if round_.state == RoundState.FAILED:
        kind, outcome = Kind.ROUND_FAILED, "failed: no restore point was taken"
    elif round_.state == RoundState.CRASH_CONSISTENT:
        kind, outcome = (Kind.ROUND_CRASH_CONSISTENT,
                         "ended crash-consistent: its restore point may not be consistent "
                         "across the data sets")
    else:
        return
    notify(kind, f"{service}: the round at {round_.moment:%H:%M:%S} ended "
                 f"{round_.get_state_display()}",
           f"The round of {service} at {round_.moment:{TIME}} {outcome}."
           + (f"\nWhy: {round_.reason}" if round_.reason else ""),
           reverse("round-detail", args=[round_.pk]), service.tenant_id)


@_never_raises
def rpo_changed(service: Service, kind: Kind, why: str) -> None:
    if kind == Kind.RPO_BREACH:
        subject = f"{service}: recovery point in breach"
        body = f"The recovery point of {service} is in breach: {why}."
    else:
        subject = f"{service}: recovery point back within its target"
        body = f"The recovery point of {service} is within its target again."
    notify(kind, subject, body, reverse("service-detail", args=[service.pk]),
           service.tenant_id)


@_never_raises
def cluster_unreachable(cluster: Cluster, checks: list[EndpointCheck]) -> None:
    failed = [check for check in checks if not check.ok]
    notify(Kind.CLUSTER_UNREACHABLE, f"{cluster} is unreachable",
           f"{cluster} did not answer the monitor's probes:\n"
           + "\n".join(f"- {check.endpoint}: {check.detail}" for check in failed),
           reverse("failover"))


@_never_raises
def cluster_back(cluster: Cluster, since: str) -> None:
    notify(Kind.CLUSTER_BACK, f"{cluster} is reachable again",
           f"{cluster} has answered every probe since {since}.", reverse("failover"))


@_never_raises
def prompt_opened(prompt: FaultPrompt) -> None:
    notify(Kind.FAULT_PROMPT, f"Fault prompt: the primary {prompt.cluster} has failed",
           f"The primary {prompt.cluster} has failed since {prompt.fault_since:{TIME}}. "
           "Decide on a failover on the Failover page.", reverse("failover"))


@_never_raises
def switchover_started(switchover: Switchover) -> None:
    notify(Kind.SWITCHOVER_STARTED, f"{switchover.get_kind_display().capitalize()} started",
           f"{switchover} started by {switchover.by}: {switchover.reason}",
           reverse("failover"))


@_never_raises
def switchover_ended(switchover: Switchover) -> None:
    if switchover.state == SwitchoverState.FAILED:
        notify(Kind.SWITCHOVER_FAILED, f"{switchover.get_kind_display().capitalize()} failed",
               f"{switchover} failed: {switchover.error}", reverse("failover"))
    else:
        notify(Kind.SWITCHOVER_FINISHED,
               f"{switchover.get_kind_display().capitalize()} finished",
               f"{switchover} is {switchover.get_state_display()}.", reverse("failover"))
