"""Test settings: the console's own, with the mini cluster moved to ports and a
directory of its own so that the suite runs beside a live demo."""

import os
from pathlib import Path

os.environ.setdefault("LOCKSTEP_PORT_OFFSET", "1000")
_VAR = Path(os.environ.get("LOCKSTEP_VAR", Path(__file__).resolve().parent.parent / "var"))
os.environ.setdefault("LOCKSTEP_MINICLUSTER_DIR", str(_VAR / "test-minicluster"))

from console.settings import *  # noqa: E402, F403

# Hashing is not what these tests measure.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Retries at once: a test waits for the outcome, not for the back-off. Tests of outages
# run their processes with the production intervals (LOCKSTEP_TASK_RETRY_INTERVALS set).
if "LOCKSTEP_TASK_RETRY_INTERVALS" not in os.environ:
    LOCKSTEP_TASK_RETRY_INTERVALS = [0, 0, 0]

# A worker process started by a test works on the test database: the one the settings
# name (SQLite's), else Django's name for it (PostgreSQL's through DATABASE_URL).
if os.environ.get("LOCKSTEP_TEST_WORKER"):
    _default = DATABASES["default"]  # noqa: F405
    _default["NAME"] = _default.get("TEST", {}).get("NAME") or f"test_{_default['NAME']}"
