"""The moment dispatch: every round of one source due at one moment T is snapshotted at T.

Services often share T (policies with the same first moment and period). One snapshot
job per round would have a site's worker run them one after another, each round waiting
for the snapshots before it: all but the first late. Instead one job per source and
moment (its id derived from both, backups/queueing.py) claims each round of that moment
as it is prepared and snapshots it on a thread of its own, so that every round checks,
waits for T and fires together. The claim (scheduled → waiting for T, a conditional
update) leaves a round that another dispatch of the same moment took alone.
"""

import logging
import threading
import time
from datetime import datetime

from django.db import connection

from backups.models import Round
from backups.snapshotting import claim, snapshot_claimed
from console import clock

log = logging.getLogger(__name__)
# How often a dispatch looks for rounds of its moment prepared after it started.
POLL_INTERVAL = 0.1


def dispatch_moment(source_id: int, moment: datetime) -> None:
    """Snapshot each round of source `source_id` at `moment` on a thread of its own; end
    once T has passed, every thread has ended and no round of the moment is left."""
    threads: list[threading.Thread] = []
    while True:
        # Judged before the look: the last look comes after T and after the last thread
        # ended, so no round prepared before T is left behind.
        finished = clock.now() >= moment and not any(t.is_alive() for t in threads)
        started = len(threads)
        try:
            for round_ in claim(Round.objects.filter(source_id=source_id, moment=moment)):
                threads.append(_start(round_))
        except Exception:
            # Looked again at the next turn (the database was locked past its timeout):
            # were the job to fail, its work horse would end the threads it started.
            log.exception("looking for the rounds of source %s at %s failed", source_id,
                          moment)
            finished = False
        if finished and len(threads) == started:
            return
        time.sleep(POLL_INTERVAL)


def _start(round_: Round) -> threading.Thread:
    thread = threading.Thread(target=_snapshot, args=(round_,), name=f"snapshot-{round_.pk}")
    thread.start()
    return thread


def _snapshot(round_: Round) -> None:
    try:
        snapshot_claimed(round_)
    except Exception:
        # The round has failed, naming the error; the trace goes to the worker's log.
        log.exception("the snapshot of %s failed", round_)
    finally:
        # Django opened a database connection for this thread: nothing else closes it.
        connection.close()
