"""The demo's process layout under supervisord (deploy/supervisord.conf, as
`./lockstep demo` runs it): a dead process is restarted, and stopping supervisord ends
every process it started."""

import os
import signal
from pathlib import Path

import pytest

from tests.backups.conftest import wait_for
from tests.deploy.conftest import carrying, descendants, running


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose; /proc says so.
    return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_is_restarted_and_stopping_ends_every_process(
    supervised, supervisor_env
):
    first = running(supervisor_env)
    os.kill(first["worker-site-a-0"], signal.SIGKILL)
    restarted = wait_for(
        lambda: (pid := running(supervisor_env).get("worker-site-a-0"))
        and pid != first["worker-site-a-0"] and pid, 60, "the worker's restart")
    log = (Path(supervisor_env["LOCKSTEP_LOG_DIR"]) / "supervisord.log").read_text()
    assert "exited: worker-site-a-0 (terminated by SIGKILL" in log
    started = descendants(supervised.pid)
    assert restarted in started and set(running(supervisor_env).values()) <= started
    supervised.send_signal(signal.SIGTERM)
    supervised.wait(timeout=120)
    assert [pid for pid in started if alive(pid)] == []
    # Nor anything the killed worker forked: its RQ scheduler once lived on, orphaned,
    # holding its queues' scheduler lock after every program had stopped.
    wait_for(lambda: not carrying(supervisor_env), 30, "every process of the demo to end")
