"""Failover records as JSON, for the API and for the live pages of operators and
administrators: each cluster's status as the monitor records it, fault prompts as they
open and close, and switchovers.

Both go to the operators' role group only: administrators hold every role and join it
too, and tenants never do, so that no tenant's page ever receives a prompt or a
cluster's health.
"""

import logging

from channels.exceptions import ChannelFull
from django.template.loader import render_to_string
from redis.exceptions import RedisError

from console import events
from console.roles import Role
from failover.models import ClusterStatus, FaultPrompt, PromptState, Switchover

log = logging.getLogger(__name__)

AUDIENCE = events.role_group(Role.OPERATOR)


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def identity_label(status: ClusterStatus) -> str:
    """The cluster's identity as people read it: its role, `unpaired` when its ZooKeeper
    answered and holds none, `unreachable` when the ZooKeeper did not answer."""
    if status.role:
        return status.role
    return "unpaired" if status.endpoints.get("ZooKeeper", {}).get("ok") else "unreachable"


def status_json(status: ClusterStatus) -> dict:
    return {
        "cluster": status.cluster.name,
        "healthy": status.healthy,
        "identity": identity_label(status),
        "role": status.role or None,
        "epoch": status.epoch,
        "endpoints": status.endpoints,
        "unhealthy_since": _iso(status.unhealthy_since),
        "last_seen": _iso(status.last_seen),
        "checked_at": _iso(status.checked_at),
    }


def prompt_json(prompt: FaultPrompt) -> dict:
    return {
        "id": prompt.pk,
        "cluster": prompt.cluster.name,
        "pairing_id": prompt.pairing_id,
        "state": prompt.state,
        "state_label": prompt.get_state_display(),
        "fault_since": _iso(prompt.fault_since),
        "opened_at": _iso(prompt.opened_at),
        "evidence": prompt.evidence,
        "at_risk": prompt.at_risk,
        "decided_by": prompt.decided_by,
        "decided_at": _iso(prompt.decided_at),
        "reason": prompt.reason,
        "note": prompt.note,
    }


def switchover_json(switchover: Switchover) -> dict:
    return {
        "id": switchover.pk, "pairing": switchover.pairing_id, "kind": switchover.kind,
        "state": switchover.state, "state_label": switchover.get_state_display(),
        "prompt": switchover.prompt_id, "rolls_back": switchover.rolls_back_id,
        "old_primary": switchover.old_primary.name,
        "new_primary": switchover.new_primary.name,
        "epoch_before": switchover.epoch_before, "epoch_after": switchover.epoch_after,
        "by": switchover.by, "reason": switchover.reason, "steps": switchover.steps,
        "services": switchover.services, "error": switchover.error,
        "started_at": _iso(switchover.started_at), "finished_at": _iso(switchover.finished_at),
        "window_until": _iso(switchover.window_until),
        "decided_by": switchover.decided_by, "decided_at": _iso(switchover.decided_at),
    }


def _push(kind: str, data: dict) -> None:
    # What the monitor or a decision recorded stands when the event bus is down: the
    # pages show it on their next load.
    try:
        events.push(AUDIENCE, kind, data)
    except (OSError, RedisError, ChannelFull) as error:
        log.warning("could not push a %s event: %s", kind, error)


def publish_status(status: ClusterStatus) -> None:
    """The status, with its row of the Failover page (one template serves the page load
    and the live event)."""
    row = render_to_string("failover/cluster_row.html", {"cluster": status.cluster,
                                                          "status": status})
    _push("cluster_status", {**status_json(status), "row": row})


def publish_prompt(prompt: FaultPrompt) -> None:
    """The prompt, with its banner as every page shows it (one template serves the page
    load and the live event); a banner of a prompt no longer open is taken down."""
    banner = (render_to_string("failover/prompt_banner.html", {"prompt": prompt})
              if prompt.state == PromptState.OPEN else "")
    _push("fault_prompt", {**prompt_json(prompt), "banner": banner})


def publish_switchover(switchover: Switchover) -> None:
    """Best effort: a failover goes on while the Channels layer (Redis) is away, and the
    pages show its steps when they load."""
    _push("switchover", switchover_json(switchover))
