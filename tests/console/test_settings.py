"""Settings come from the environment, with defaults safe for one machine."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.env import database_from_url

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import json, os; from django.conf import settings; "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, "
    "'engine': db['ENGINE'], 'db_name': str(db['NAME']), 'redis': settings.REDIS_URL, "
    "'queues': sorted(settings.RQ_QUEUES), 'tz': settings.USE_TZ, "
    "'layer': [host['address'] for host in settings.CHANNEL_LAYERS['default']['CONFIG']['hosts']], "
    "'key': settings.SECRET_KEY, 'zookeeper': settings.ZOOKEEPER_AUTH, "
    "'umask': os.umask(0o077)}))"
)


def load_settings(tmp_path: Path, show: str = SHOW, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "SECRET_KEY",
                          "ZOOKEEPER_AUTH", "LOCKSTEP_PORT_OFFSET", "LOCKSTEP_MINICLUSTER_DIR"}}
    clean.update(DJANGO_SETTINGS_MODULE="console.settings", LOCKSTEP_VAR=str(tmp_path), **env)
    result = subprocess.run([sys.executable, "-c", show], cwd=ROOT, env=clean,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_defaults_are_safe_for_one_machine(tmp_path):
    loaded = load_settings(tmp_path)
    assert loaded["debug"] is False
    assert loaded["hosts"] == ["127.0.0.1", "localhost", "[::1]"]
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["db_name"] == str(tmp_path / "lockstep.sqlite3")
    redis_password = (tmp_path / "minicluster" / "redis-password").read_text()
    assert loaded["redis"] == f"redis://:{redis_password}@127.0.0.1:6390/0"
    assert loaded["layer"] == [loaded["redis"]]
    zookeeper_password = (tmp_path / "zookeeper-password").read_text()
    assert loaded["zookeeper"] == f"lockstep:{zookeeper_password}"
    assert len(redis_password) >= 20 and len(zookeeper_password) >= 20
    assert loaded["queues"] == ["control", "site-a", "site-b"]
    assert loaded["tz"] is True


def test_secret_key_is_generated_once_into_var(tmp_path):
    first = load_settings(tmp_path)["key"]
    assert len(first) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert load_settings(tmp_path)["key"] == first


def test_environment_overrides_every_default(tmp_path):
    loaded = load_settings(
        tmp_path,
        DEBUG="true",
        ALLOWED_HOSTS="console.example, 10.0.0.5",
        DATABASE_URL="postgres://lock:s%40cret@db.example:5433/lockstep",
        REDIS_URL="redis://cache.example:6379/2",
        SECRET_KEY="given-key",
        ZOOKEEPER_AUTH="console:given-password",
    )
    assert loaded["debug"] is True
    assert loaded["hosts"] == ["console.example", "10.0.0.5"]
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["db_name"] == "lockstep"
    assert loaded["redis"] == loaded["layer"][0] == "redis://cache.example:6379/2"
    assert loaded["key"] == "given-key"
    assert loaded["zookeeper"] == "console:given-password"
    assert not (tmp_path / "secret_key").exists()
    assert not (tmp_path / "zookeeper-password").exists()
    assert not (tmp_path / "minicluster" / "redis-password").exists()


def test_a_zookeeper_credential_without_a_password_is_refused_at_start(tmp_path):
    with pytest.raises(subprocess.CalledProcessError) as refused:
        load_settings(tmp_path, ZOOKEEPER_AUTH="lockstep")
    assert "ZOOKEEPER_AUTH must be user:password" in refused.value.stderr


SHOW_LOCKOUT = (
    "import json; from django.conf import settings; "
    "print(json.dumps([settings.AXES_FAILURE_LIMIT, str(settings.AXES_COOLOFF_TIME)]))"
)


def test_lockout_limit_and_length_come_from_the_environment(tmp_path):
    assert load_settings(tmp_path, SHOW_LOCKOUT) == [5, "0:15:00"]
    assert load_settings(tmp_path, SHOW_LOCKOUT, LOCKSTEP_LOGIN_FAILURES="3",
                         LOCKSTEP_LOCKOUT_MINUTES="60") == [3, "1:00:00"]
    # 0 minutes: locked until an administrator unlocks it.
    assert load_settings(tmp_path, SHOW_LOCKOUT, LOCKSTEP_LOCKOUT_MINUTES="0") == [5, "None"]


def test_port_offset_moves_the_whole_mini_cluster(tmp_path):
    assert load_settings(tmp_path, LOCKSTEP_PORT_OFFSET="1000")["redis"].endswith(
        "@127.0.0.1:7390/0"
    )


def test_var_directories_and_what_the_process_writes_are_private(tmp_path):
    var, minicluster = tmp_path / "var", tmp_path / "elsewhere" / "minicluster"
    loaded = load_settings(var, LOCKSTEP_MINICLUSTER_DIR=str(minicluster))
    for path in (var, minicluster, var / "secret_key", var / "zookeeper-password",
                 minicluster / "redis-password"):
        assert path.stat().st_mode & 0o077 == 0, path
    # What the process writes later (the database, logs, the servers it starts) too.
    assert loaded["umask"] == 0o077


def test_an_install_made_before_loses_its_open_modes_once(tmp_path):
    """Before this rule, var/ was 755 and the database, logins and slapd.conf 644."""
    outside = tmp_path / "outside"
    outside.write_text("not ours")
    outside.chmod(0o644)
    var = tmp_path / "var"
    slapd = var / "minicluster" / "site-a" / "ldap" / "slapd.conf"
    slapd.parent.mkdir(parents=True)
    for path in (var / "lockstep.sqlite3", var / "demo-logins.json", slapd):
        path.write_text("secret")
        path.chmod(0o644)
    (var / "link").symlink_to(outside)
    for folder in (var, var / "minicluster", slapd.parent):
        folder.chmod(0o755)
    load_settings(var)
    for path in var.rglob("*"):
        if not path.is_symlink():
            assert path.stat().st_mode & 0o077 == 0, path
    assert var.stat().st_mode & 0o777 == 0o700
    assert var.joinpath("lockstep.sqlite3").stat().st_mode & 0o777 == 0o600
    assert outside.stat().st_mode & 0o777 == 0o644, "a symlink's target is not ours"


def test_database_url_is_parsed_with_credentials():
    db = database_from_url("postgresql://u:p%2Fw@h:1/n")
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "u", "p/w", "h", "1", "n"
    )


def test_database_url_of_another_kind_is_refused():
    with pytest.raises(ValueError, match="postgres://"):
        database_from_url("mysql://u@h/n")
