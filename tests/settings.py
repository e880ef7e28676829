"""Test settings: the console's own, with the mini cluster moved to ports and a
directory of its own so that the suite runs beside a live demo.

`./lockstep test` runs the suite in parallel (pytest-xdist): each worker (gw0, gw1, …)
has a mini cluster and a database of its own, its ports LOCKSTEP_TEST_PORT_OFFSET (1000)
+ 50 times its number. The processes a test starts inherit PYTEST_XDIST_WORKER and land on
the same ones.
"""

import os
from pathlib import Path

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_NUMBER = int(_WORKER.removeprefix("gw") or 0)
_VAR = Path(os.environ.get("LOCKSTEP_VAR", Path(__file__).resolve().parent.parent / "var"))
if _WORKER:
    os.environ["LOCKSTEP_PORT_OFFSET"] = str(
        int(os.environ.get("LOCKSTEP_TEST_PORT_OFFSET", "1000")) + 50 * _NUMBER)
    os.environ["LOCKSTEP_MINICLUSTER_DIR"] = str(_VAR / f"test-minicluster-{_WORKER}")
else:  # one process (`-n 0`), or a benchmark that chose its own ports and directory
    os.environ.setdefault("LOCKSTEP_PORT_OFFSET", "1000")
    os.environ.setdefault("LOCKSTEP_MINICLUSTER_DIR", str(_VAR / "test-minicluster"))

from console.settings import *  # noqa: E402, F403

# Hashing is not what these tests measure.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Retries at once: a test waits for the outcome, not for the back-off. Tests of outages
# run their processes with the production intervals (LOCKSTEP_TASK_RETRY_INTERVALS set).
if "LOCKSTEP_TASK_RETRY_INTERVALS" not in os.environ:
    LOCKSTEP_TASK_RETRY_INTERVALS = [0, 0, 0]
if "LOCKSTEP_NOTIFY_RETRY_INTERVALS" not in os.environ:
    LOCKSTEP_NOTIFY_RETRY_INTERVALS = [0, 0, 0]
# The tests' webhook receivers listen on loopback.
LOCKSTEP_WEBHOOK_ALLOW_PRIVATE = True

# A worker process started by a test works on the test database: the one the settings
# name (SQLite's), else Django's name for it (PostgreSQL's through DATABASE_URL).
if os.environ.get("LOCKSTEP_TEST_WORKER"):
    _default = DATABASES["default"]  # noqa: F405
    _name = _default.get("TEST", {}).get("NAME") or f"test_{_default['NAME']}"
    # pytest-django's name for a worker's database under xdist.
    _default["NAME"] = f"{_name}_{_WORKER}" if _WORKER else _name
