"""Replication of one data set of a round (the patent's first and second instructions):
the target's copy is rolled back to its restore point if it changed, then made equal to
the source's snapshot, in full or by the snapshot diff since the base round.

A task acts only while its round is replicating: a task of a cancelled or failed round
never starts, and one that is copying stops at its next progress report.
"""

import posixpath

from django.db import transaction

from backups import fencing
from backups.events import publish_task
from backups.models import DataSetTask, Round, RoundState, TaskState
from backups.replication import Progress, Tree, relative_entries, relative_to, sync_data_set
from backups.reverting import Undone, revert_data_set
from backups.transitions import move_task
from console import clock
from console.clusters import webhdfs_of
from console.paths import is_within

# How often a copy saves and publishes its progress (and learns that its round stopped).
REPORT_INTERVAL = 0.5


class RoundStopped(Exception):
    """The task's round left the replicating state (cancelled, or failed by the reaper)."""


def replicate_data_set(task_id: int) -> None:
    """Make the target's copy of one data set equal to the source's snapshot."""
    task = DataSetTask.objects.select_related("round__service", "round__source",
                                              "round__target", "round__base").get(pk=task_id)
    if not move_task(task, TaskState.COPYING, error="", files_done=0, bytes_done=0,
                     files_total=0, bytes_total=0, started_at=clock.now(), finished_at=None):
        return
    round_ = task.round
    assert round_.source is not None and round_.target is not None  # frozen when it was prepared
    source_client, target_client = webhdfs_of(round_.source), webhdfs_of(round_.target)
    root = next(r for r in round_.snapshot_times if is_within(task.storage_path, r))
    relative = relative_to(root, task.storage_path)
    progress = Progress(report=_reporter(task))
    target = Tree(target_client, task.storage_path)
    try:
        if not fencing.may_write(round_):
            return
        entries = None
        if round_.base is not None:
            base = round_.base.snapshot_name
            # Undo what changed on the target since its restore point, and list it.
            undone = revert_data_set(target_client, root, task.storage_path, base)
            if undone.changes:
                _note_rolled_back(round_, undone)
            diff = source_client.snapshot_diff(root, base, round_.snapshot_name)
            entries = relative_entries(diff.entries, relative)
        source = Tree(source_client,
                      posixpath.join(root, ".snapshot", round_.snapshot_name, relative))
        sync_data_set(source, target, entries, progress)
    except RoundStopped:
        return
    except Exception as error:
        move_task(task, TaskState.FAILED, error=str(error), finished_at=clock.now(),
                  **_counts(progress))
        raise
    move_task(task, TaskState.VERIFIED, finished_at=clock.now(), **_counts(progress))


def _note_rolled_back(round_: Round, undone: Undone) -> None:
    """List on the round what its copy undid on the target first, and count the files
    that took copying back."""
    with transaction.atomic():
        fresh = Round.objects.select_for_update().get(pk=round_.pk)
        # A retried copy undoes its earlier attempt's partial copy again: once is enough.
        fresh.rolled_back = list(dict.fromkeys([*fresh.rolled_back, *undone.changes]))
        fresh.restored_files += undone.files
        fresh.restored_bytes += undone.bytes
        fresh.save(update_fields=["rolled_back", "restored_files", "restored_bytes"])


def _counts(progress: Progress) -> dict:
    return {"files_total": progress.files_total, "bytes_total": progress.bytes_total,
            "files_done": progress.files_done, "bytes_done": progress.bytes_done,
            "changes": progress.changes[-1000:]}


def _reporter(task: DataSetTask):
    last = [0.0]
    tenant_id = task.round.service.tenant_id

    def report(progress: Progress) -> None:
        # At most a few database writes and pushes a second, whatever the file count.
        if clock.monotonic() - last[0] < REPORT_INTERVAL and \
                progress.files_done < progress.files_total:
            return
        last[0] = clock.monotonic()
        saved = DataSetTask.objects.filter(
            pk=task.pk, state=TaskState.COPYING, round__state=RoundState.REPLICATING,
        ).update(**_counts(progress))
        if not saved:
            raise RoundStopped
        task.refresh_from_db()
        publish_task(task, tenant_id)

    return report
