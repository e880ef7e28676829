"""The demo's processes under supervisord, started from deploy/supervisord.conf as
`./lockstep demo` starts them."""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from minicluster.webhdfs.launcher import free_port
from tests.backups.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROGRAMS = {"scheduler", "worker-site-a-0", "worker-site-a-1", "worker-site-b-0",
            "worker-site-b-1", "monitor", "bill-clearing-app", "daphne"}
STATUS = re.compile(r"^(?:\S+:)?(\S+)\s+RUNNING\s+pid (\d+),", re.MULTILINE)


@pytest.fixture
def supervisor_env(tmp_path, minicluster) -> dict[str, str]:
    for folder in ("log", "run"):
        (tmp_path / folder).mkdir()
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
            "LOCKSTEP_TEST_WORKER": "1", "LOCKSTEP_ROOT": str(ROOT),
            "LOCKSTEP_PY": sys.executable, "LOCKSTEP_LOG_DIR": str(tmp_path / "log"),
            "LOCKSTEP_RUN_DIR": str(tmp_path / "run"), "LOCKSTEP_HOST": "127.0.0.1",
            "LOCKSTEP_PORT": str(free_port())}


def running(env: dict[str, str]) -> dict[str, int]:
    """Program (or process) name → pid of each process supervisord reports running."""
    status = subprocess.run([BIN / "supervisorctl", "-c", "deploy/supervisord.conf", "status"],
                            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return {name: int(pid) for name, pid in STATUS.findall(status.stdout)}


def carrying(env: dict[str, str]) -> set[int]:
    """Every live process whose environment is this supervisord's (its run directory):
    its programs and whatever they forked, orphans included."""
    marker = f"LOCKSTEP_RUN_DIR={env['LOCKSTEP_RUN_DIR']}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "environ").read_bytes().split(b"\0") \
                    and "State:\tZ" not in (entry / "status").read_text():
                found.add(int(entry.name))
        except OSError:
            continue  # ended meanwhile
    return found


def descendants(pid: int) -> set[int]:
    found, pending = set(), [pid]
    while pending:
        current = pending.pop()
        path = Path(f"/proc/{current}/task/{current}/children")
        children = {int(c) for c in path.read_text().split()} if path.exists() else set()
        found |= children
        pending += children
    return found



@pytest.fixture
def supervised(supervisor_env) -> Iterator[subprocess.Popen]:
    """supervisord running every program of the demo; stopped (SIGTERM) afterwards."""
    supervisor = subprocess.Popen([BIN / "supervisord", "-c", "deploy/supervisord.conf"],
                                  cwd=ROOT, env=supervisor_env)
    try:
        wait_for(lambda: running(supervisor_env).keys() >= PROGRAMS, 120,
                 "every program to run")
        yield supervisor
    finally:
        supervisor.terminate()
        supervisor.wait(timeout=120)
