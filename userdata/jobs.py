"""RQ entry points: thin shells over the sync."""

from userdata import syncing


def run_sync(run_id: int) -> None:
    syncing.run_sync(run_id)
