"""Where the mini cluster keeps its files and which loopback ports it uses.

Ports are fixed per deployment (so the README can name them) and shifted as a block
by LOCKSTEP_PORT_OFFSET, which the test suite uses to run beside a live demo.
"""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

SITES = ("site-a", "site-b")
HOST = "127.0.0.1"
# The user the console acts as on every cluster; the WebHDFS superuser.
CONSOLE_USER = "lockstep"
# Every site's snapshottable directory; the Hive warehouse lives at SNAPSHOT_ROOT/warehouse.
SNAPSHOT_ROOT = "/data"
# The people in every site's LDAP who may open HiveServer2 sessions: the console, and the
# demo's tenant user, who creates the bill-clearing example's tables and so owns them.
ACCOUNTS = (CONSOLE_USER, "alice")


@dataclass(frozen=True)
class SitePorts:
    zookeeper: int
    hiveserver2: int
    webhdfs: int
    datanode: int
    ldap: int


BASE_PORTS = {
    "site-a": SitePorts(zookeeper=2181, hiveserver2=10000, webhdfs=9870, datanode=9864, ldap=3890),
    "site-b": SitePorts(zookeeper=2182, hiveserver2=10001, webhdfs=9871, datanode=9865, ldap=3891),
}
BASE_REDIS_PORT = 6390


@dataclass(frozen=True)
class Layout:
    var_dir: Path
    redis_port: int
    sites: dict[str, SitePorts]

    @classmethod
    def build(cls, var_dir: Path, offset: int = 0) -> "Layout":
        sites = {
            name: SitePorts(*(port + offset for port in vars(ports).values()))
            for name, ports in BASE_PORTS.items()
        }
        return cls(var_dir=var_dir, redis_port=BASE_REDIS_PORT + offset, sites=sites)

    @classmethod
    def from_env(cls, default_var_dir: Path) -> "Layout":
        return cls.build(
            Path(os.environ.get("LOCKSTEP_MINICLUSTER_DIR", str(default_var_dir))),
            int(os.environ.get("LOCKSTEP_PORT_OFFSET", "0")),
        )

    @property
    def redis_url(self) -> str:
        return f"redis://:{self.redis_password()}@{HOST}:{self.redis_port}/0"

    def redis_password(self) -> str:
        """Redis's `requirepass`: without it any local user could enqueue a job for the
        workers, which run with the console's rights."""
        return self._generated_secret("redis-password")

    def site_dir(self, site: str) -> Path:
        return self.var_dir / site

    def site_root(self, site: str) -> Path:
        """The local directory that the site's WebHDFS serves as `/`."""
        return self.site_dir(site) / "root"

    def webhdfs_url(self, site: str) -> str:
        return f"http://{HOST}:{self.sites[site].webhdfs}"

    def zookeeper_hosts(self, site: str) -> str:
        return f"{HOST}:{self.sites[site].zookeeper}"

    def ldap_url(self, site: str) -> str:
        return f"ldap://{HOST}:{self.sites[site].ldap}"

    def ldap_suffix(self, site: str) -> str:
        return f"dc={site},dc=lockstep"

    def ldap_people(self, site: str) -> str:
        """Where the site's users are: HiveServer2 binds as `uid=NAME,` + this."""
        return f"ou=people,{self.ldap_suffix(site)}"

    def ldap_console_dn(self, site: str) -> str:
        """The console's own account in the site's LDAP: it reads the directory and writes
        its users, groups and tenants (the user-data sync)."""
        return f"uid={CONSOLE_USER},{self.ldap_people(site)}"

    def ldap_admin_dn(self, site: str) -> str:
        return f"cn=admin,{self.ldap_suffix(site)}"

    def ldap_password(self) -> str:
        """The LDAP administrators' password, generated once per mini cluster."""
        return self._generated_secret("ldap-admin-password")

    def account_password(self, user: str) -> str:
        """The LDAP password of `user`, one of ACCOUNTS, generated once per mini cluster:
        HiveServer2 checks it against the site's LDAP."""
        if user not in ACCOUNTS:
            raise ValueError(f"{user} has no account in the mini cluster's LDAP")
        return self._generated_secret(f"{user}-password")

    def _generated_secret(self, name: str) -> str:
        self.var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return generated_secret(self.var_dir / name)


def generated_secret(path: Path, length: int = 16) -> str:
    """The secret in `path`, generated there once (mode 600), however many threads and
    processes ask at once: both sites' slapd are prepared on two threads, and daphne and
    the workers start together. The secret is written in full to a file of its own and
    linked into place, which fails if another won the race; then everyone reads the
    winner's."""
    if not path.exists():
        fresh = path.with_name(f"{path.name}.{secrets.token_hex(8)}")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(length))
        try:
            os.link(fresh, path)
        except FileExistsError:
            pass
        finally:
            fresh.unlink()
    return path.read_text().strip()
