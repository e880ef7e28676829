"""Switchovers as JSON, for the API and for the live pages of operators and
administrators."""

import logging
from datetime import datetime

from console import events
from console.roles import Role
from failover.models import Switchover

log = logging.getLogger(__name__)
AUDIENCE = (Role.OPERATOR, Role.ADMINISTRATOR)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


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


def publish_switchover(switchover: Switchover) -> None:
    """Best effort: a failover goes on while the Channels layer (Redis) is away, and the
    pages show its steps when they load."""
    data = switchover_json(switchover)
    try:
        for role in AUDIENCE:
            events.push(events.role_group(role), "switchover", data)
    except Exception:
        log.warning("switchover %s: its pages could not be told", switchover.pk, exc_info=True)
