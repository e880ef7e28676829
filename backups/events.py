"""Live round updates for the pages of everyone who may see the service."""

from backups.models import DataSetTask, Round
from console import events
from console.roles import Role


def round_json(round_: Round) -> dict:
    return {
        "id": round_.pk, "service": round_.service_id, "service_name": str(round_.service),
        "state": round_.state,
        "state_label": round_.get_state_display(), "moment": round_.moment.isoformat(),
        "files": round_.files, "bytes": round_.bytes, "skew_ms": round_.skew_ms,
        "reason": round_.reason,
        "retention_error": round_.retention_error,
    }


def task_json(task: DataSetTask) -> dict:
    return {
        "id": task.pk, "round": task.round_id, "state": task.state,
        "files_done": task.files_done, "files_total": task.files_total,
        "bytes_done": task.bytes_done, "bytes_total": task.bytes_total, "error": task.error,
        "took_s": task.took_s,
    }


def _audiences(tenant_id: int) -> list[str]:
    return [events.tenant_group(tenant_id), events.role_group(Role.ADMINISTRATOR),
            events.role_group(Role.OPERATOR)]


def publish_round(round_: Round) -> None:
    for group in _audiences(round_.service.tenant_id):
        events.push(group, "round", round_json(round_))


def publish_task(task: DataSetTask, tenant_id: int) -> None:
    for group in _audiences(tenant_id):
        events.push(group, "task", task_json(task))
