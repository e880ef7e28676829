"""Start, find and stop background processes by pid file, and probe their ports.

A process is ours only when its pid file names it and its command line still
carries the marker we started it with: a recycled pid is never killed.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from minicluster.accounts import Account


def read_pid(pid_file: Path, marker: str) -> int | None:
    """The pid in `pid_file` if that process is alive and is the one we started."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    return pid if marker in cmdline else None


# All that a process run as another account inherits of our environment: enough to find
# its programs, and nothing of ours (a database URL, a key) that the users it serves
# could read back from its /proc/PID/environ.
PASSED_ON = ("PATH", "LANG", "LC_ALL", "TZ", "JAVA_HOME")


def spawn(
    command: list[str], pid_file: Path, log_file: Path, cwd: Path, env: dict[str, str] | None,
    run_as: Account | None = None,
) -> int:
    """Start `command` in the background; as `run_as` (its user and group only, none of
    ours) when given, else as ourselves."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    inherited = ({name: os.environ[name] for name in PASSED_ON if name in os.environ}
                 if run_as else os.environ)
    with log_file.open("ab") as log:
        # A session of its own: Ctrl-C in the terminal that ran `up` must not reach it,
        # and stop() can signal the whole group (spark-submit forks a JVM).
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**inherited, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=run_as.uid if run_as else None,
            group=run_as.gid if run_as else None,
            extra_groups=[] if run_as else None,
        )
    pid_file.write_text(f"{process.pid}\n")
    return process.pid


def terminate(pid: int, grace: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    # Reap it if it is our child, so that it does not linger as a zombie.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def exchange(host: str, port: int, request: bytes, timeout: float = 1.0) -> bytes:
    """Send `request` and return what the server answers before closing or going quiet."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(request)
            return sock.recv(64)
    except OSError:
        return b""


def http_ok(url: str, timeout: float = 1.0) -> bool:
    """True when `url` answers with any HTTP status below 500."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False
