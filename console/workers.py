"""The RQ worker the console's processes run (`manage.py rqworker`, settings.RQ).

RQ forks two kinds of child: the scheduler (`--with-scheduler`) and a work horse per job.
Neither notices when its worker is killed outright (SIGKILL, the OOM killer): an
orphaned scheduler kept its queues' scheduler lock and outlived `supervisorctl stop`,
and an orphaned horse finished a job its restarted worker knew nothing of. Here every
child the worker forks gets SIGTERM when the worker dies; the reaper then enqueues a
lost copy again (backups/reaping.py), and the restarted worker takes the scheduler lock
once its orphan has let it go.
"""

import ctypes
import os
import signal

from rq.worker import Worker as RQWorker

PR_SET_PDEATHSIG = 1
# Loaded once: every job forks a work horse, and the hook runs in each.
_LIBC = ctypes.CDLL(None, use_errno=True)
_forking_parent = 0


def _remember_parent() -> None:
    global _forking_parent
    _forking_parent = os.getpid()


def _die_with_parent() -> None:
    """In a forked child: SIGTERM when the parent dies; at once if it died already."""
    if _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        return  # not Linux: an orphan lingers, as with RQ itself
    if os.getppid() != _forking_parent:  # it died between the fork and the prctl
        os.kill(os.getpid(), signal.SIGTERM)


class Worker(RQWorker):
    """RQ's worker, whose forked children do not outlive it."""

    _hooked = False

    def work(self, *args, **kwargs) -> bool:
        # Here, not at construction: pages build Worker objects to list the workers.
        if not Worker._hooked:
            os.register_at_fork(before=_remember_parent, after_in_child=_die_with_parent)
            Worker._hooked = True
        return super().work(*args, **kwargs)
