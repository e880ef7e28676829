"""Reading settings from the environment, with defaults safe for one machine."""

import os
import stat
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from minicluster.layout import CONSOLE_USER, generated_secret


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Django's DATABASES entry for a `postgres://user:pass@host:port/name` URL."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, not {parts.scheme}://")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


def keep_private(*directories: Path) -> None:
    """Make everything this process writes, and the servers it starts, its user's alone.

    The var directories hold the database (with live session keys), the secret key, the
    demo's logins and every mini-cluster password: umask 077 covers each file and folder
    created from now on, and each directory is made 0700. An install made before this
    rule still has a directory open to others: its files lose their group and other bits,
    once, and the directory last, so that an interrupted run is finished next time.
    """
    os.umask(0o077)
    for directory in directories:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Group search (0o010) is Spark's passage (minicluster/accounts.py): a directory
        # that only lets its group pass through, not list or read, is private enough.
        if directory.stat().st_mode & 0o067:
            for parent, folders, files in os.walk(directory):
                for name in (*folders, *files):
                    _make_private(Path(parent, name))
            _make_private(directory)


def _make_private(path: Path) -> None:
    mode = path.lstat().st_mode
    # A symbolic link has no mode of its own; chmod would change what it points to.
    if not stat.S_ISLNK(mode) and mode & 0o077:
        path.chmod(stat.S_IMODE(mode) & 0o700)


def secret_key(var_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into the var directory."""
    given = os.environ.get("SECRET_KEY")
    if given:
        return given
    return generated_secret(var_dir / "secret_key", length=50)


def zookeeper_auth(var_dir: Path) -> str:
    """The console's ZooKeeper digest credential: ZOOKEEPER_AUTH ("user:password") from
    the environment, else the console's user with a password generated once into the var
    directory. Digest credentials need nothing configured on a server, so one serves the
    mini cluster and every registered cluster alike."""
    given = os.environ.get("ZOOKEEPER_AUTH")
    if not given:
        return f"{CONSOLE_USER}:{generated_secret(var_dir / 'zookeeper-password')}"
    user, _, password = given.partition(":")
    if not (user and password):
        raise ImproperlyConfigured("ZOOKEEPER_AUTH must be user:password (a ZooKeeper "
                                   "digest credential), with neither part empty")
    return given
