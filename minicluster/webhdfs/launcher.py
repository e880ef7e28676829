"""Start, probe and stop the WebHDFS server as a subprocess (tests, benchmarks and
`minicluster.services` use the same three functions)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import IO


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def command(root: Path, state: Path, namenode_port: int, datanode_port: int, superuser: str,
            host: str = "127.0.0.1", groups: Path | None = None,
            options: Sequence[str] = ()) -> list[str]:
    """The server's command line; `options` are further flags (see `--help`)."""
    argv = [
        sys.executable, "-m", "minicluster.webhdfs",
        "--root", str(root), "--state", str(state), "--host", host,
        "--namenode-port", str(namenode_port), "--datanode-port", str(datanode_port),
        "--superuser", superuser,
    ]
    return argv + (["--groups", str(groups)] if groups else []) + list(options)


def start(root: Path, state: Path, namenode_port: int, datanode_port: int, superuser: str,
          log: IO[bytes] | int = subprocess.DEVNULL, host: str = "127.0.0.1",
          groups: Path | None = None, options: Sequence[str] = ()) -> subprocess.Popen[bytes]:
    """Launch the server; it runs until `stop`."""
    return subprocess.Popen(
        command(root, state, namenode_port, datanode_port, superuser, host, groups, options),
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **environment()},
    )


def environment() -> dict[str, str]:
    """What the server's environment needs beyond ours: this checkout first on its path,
    so that it runs this code from any working directory (and not the code of an
    editable install made from another checkout)."""
    repo = str(Path(__file__).resolve().parents[2])
    return {"PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))}


def answers(url: str) -> bool:
    """Whether a WebHDFS namenode at `url` (http://host:port) serves GETFILESTATUS of /."""
    try:
        with urllib.request.urlopen(f"{url}/webhdfs/v1/?op=GETFILESTATUS", timeout=2) as reply:  # noqa: S310 - a loopback http URL we built
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_ready(url: str, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not answers(url):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"WebHDFS server exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"WebHDFS at {url} did not answer within {timeout} s")
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
