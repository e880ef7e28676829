"""The Spark Thrift Server as another local user or a stranger on the network would see
it: loopback ports only, no root, no unauthenticated sessions, no way to read secrets."""

import ipaddress
import os
from pathlib import Path

import pytest
from django.conf import settings

from adapters.hiveserver2 import HiveServer2, HiveServer2Error
from console.demo import demo_passwords
from minicluster import processes, services
from minicluster.layout import CONSOLE_USER, HOST, SITES, Layout

LISTENING = "0A"


def spark_processes(layout: Layout) -> list[int]:
    """Every live process of both sites' Spark Thrift Servers: each runs in a session of
    its own (the JVM and whatever spark-submit forked), found from its pid file."""
    leaders = set()
    for service in services.services(layout):
        if service.name.endswith("/hiveserver2"):
            pid = processes.read_pid(services._pid_file(layout, service), service.marker)
            assert pid is not None, f"{service.name} is not running"
            leaders.add(pid)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, _, _, session = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:4]
        except FileNotFoundError:  # ended meanwhile
            continue
        if int(session) in leaders and state != "Z":
            found.append(int(entry.name))
    return found


def listening_addresses(pids: list[int]) -> dict[int, str]:
    """The local address of every listening TCP socket the processes hold, by port."""
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd) if fd.is_symlink() else ""
            if target.startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
    addresses = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == LISTENING and fields[9] in inodes:
                address, port = fields[1].split(":")
                addresses[int(port, 16)] = str(_address(bytes.fromhex(address)))
    return addresses


def _address(raw: bytes) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    # /proc writes each 32-bit word of the address in the host's (little-endian) order.
    swapped = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(swapped)
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def test_every_spark_port_listens_on_loopback_only(minicluster: Layout):
    addresses = listening_addresses(spark_processes(minicluster))
    for site in SITES:
        assert minicluster.sites[site].hiveserver2 in addresses
    # Besides the two Thrift ports: each driver's RPC and block manager ports.
    assert len(addresses) >= 6, addresses
    assert set(addresses.values()) == {HOST}, addresses


def test_spark_runs_as_an_unprivileged_account_without_our_environment(minicluster: Layout):
    for pid in spark_processes(minicluster):
        status = dict(line.split(":", 1) for line in
                      Path(f"/proc/{pid}/status").read_text().splitlines())
        uids, gids = status["Uid"].split(), status["Gid"].split()
        assert "0" not in uids and "0" not in gids, (pid, uids, gids)
        assert "0" not in status["Groups"].split(), pid
        variables = dict(item.split("=", 1) for item in
                         Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in item)
        inherited = {name for name, value in variables.items()
                     if os.environ.get(name) == value and name not in processes.PASSED_ON}
        assert inherited <= {"SHLVL"}, inherited  # bash counts its own levels


def test_sql_cannot_read_files_only_root_may_read(minicluster: Layout):
    secrets = [
        settings.VAR_DIR / "secret_key",
        minicluster.var_dir / "ldap-admin-password",
        minicluster.var_dir / f"{CONSOLE_USER}-password",
    ]
    demo_passwords(settings.VAR_DIR)
    secrets.append(settings.VAR_DIR / "demo-logins.json")
    alice = services.hiveserver2_client(minicluster, "site-a", "alice")
    for secret in secrets:
        assert secret.stat().st_uid == 0 and secret.stat().st_mode & 0o077 == 0, secret
        with pytest.raises(HiveServer2Error) as refused:
            alice.query(f"SELECT * FROM text.`file:{secret}`")  # noqa: S608 (our paths)
        assert secret.read_text().strip() not in str(refused.value)


def test_hiveserver2_admits_only_ldap_accounts_with_their_password(minicluster: Layout):
    port = minicluster.sites["site-a"].hiveserver2
    with pytest.raises(HiveServer2Error, match="probably requires a password"):
        HiveServer2(HOST, port, CONSOLE_USER).query("SELECT 1")
    alice_password = minicluster.account_password("alice")
    for user, password in ((CONSOLE_USER, "wrong"), (CONSOLE_USER, alice_password),
                           ("mallory", alice_password), ("admin", minicluster.ldap_password())):
        with pytest.raises(HiveServer2Error, match=f"refused the password of {user}"):
            HiveServer2(HOST, port, user, password).query("SELECT 1")
    console = services.hiveserver2_client(minicluster, "site-a")
    assert console.query("SELECT current_user()") == [(CONSOLE_USER,)]


def test_a_script_that_sql_runs_is_not_root(minicluster: Layout):
    """`SELECT TRANSFORM ... USING` runs a shell command as the server's user: any
    signed-in account may, so that user must be no one in particular."""
    alice = services.hiveserver2_client(minicluster, "site-a", "alice")
    [(uid,)] = alice.query("SELECT TRANSFORM(1) USING 'id -u' AS (uid STRING)")
    assert uid != "0"
