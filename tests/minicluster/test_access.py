"""Who may talk to the mini cluster's services and read the files behind them: attacks
of another local user, against the real servers and the real files."""

import grp
import os
import stat
import subprocess
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
import redis
from django.conf import settings
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.security import OPEN_ACL_UNSAFE
from ldap3 import SUBTREE, Connection, Server
from rq import Queue, SimpleWorker

from adapters.ldap import Ldap, Write
from adapters.zookeeper import CLOCK, ROOT, ZooKeeper, console_acl
from console.clusters import check_endpoints
from console.pairing import pair
from failover.identity import IDENTITY_NODE, read_identity
from minicluster import processes
from minicluster.accounts import SPARK_ACCOUNT
from minicluster.layout import CONSOLE_USER, HOST, SITES, Layout

IDENTITY = f"{ROOT}/{IDENTITY_NODE}"


def job_result(word: str) -> str:
    """What the worker runs: imported by name, as every RQ job is."""
    return word.upper()


# Redis


def test_redis_refuses_a_client_without_the_password(minicluster: Layout):
    def send(*command: str) -> bytes:
        return processes.exchange(HOST, minicluster.redis_port, " ".join(command).encode()
                                  + b"\r\n")

    assert send("PING").startswith(b"-NOAUTH Authentication required")
    # What a local user would do to have a worker run code of theirs: push a job id.
    assert send("RPUSH", "rq:queue:control", "forged-job").startswith(b"-NOAUTH")
    console = redis.Redis.from_url(settings.REDIS_URL)
    assert b"forged-job" not in console.lrange("rq:queue:control", 0, -1)


def test_rq_with_the_configured_url_enqueues_and_a_worker_runs_the_job(minicluster: Layout):
    connection = redis.Redis.from_url(settings.REDIS_URL)
    queue = Queue("access-check", connection=connection)
    job = queue.enqueue(job_result, "ran")
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert job.return_value() == "RAN"


def test_redis_administration_is_disabled_even_with_the_password(minicluster: Layout):
    console = redis.Redis.from_url(settings.REDIS_URL)
    # CONFIG SET dir + SAVE is how a Redis client writes files as the server's user.
    for command in (("CONFIG", "GET", "dir"), ("SAVE",), ("MODULE", "LIST"),
                    ("DEBUG", "SLEEP", "0")):
        with pytest.raises(redis.ResponseError, match="unknown command"):
            console.execute_command(*command)


# ZooKeeper


def anonymous(layout: Layout, site: str) -> KazooClient:
    client = KazooClient(hosts=layout.zookeeper_hosts(site))
    client.start(timeout=10)
    return client


def test_anyone_reads_identities_but_only_the_console_changes_them(pairing, minicluster):
    client = anonymous(minicluster, "site-a")
    try:
        assert b'"role": "primary"' in client.get(IDENTITY)[0]
        attacks = {
            "set": lambda: client.set(IDENTITY, b'{"role": "secondary"}'),
            "delete": lambda: client.delete(IDENTITY),
            "create": lambda: client.create(f"{ROOT}/forged", b"{}"),
            "set ACL": lambda: client.set_acls(IDENTITY, OPEN_ACL_UNSAFE),
            "set ACL of the root": lambda: client.set_acls(ROOT, OPEN_ACL_UNSAFE),
        }
        for name, attack in attacks.items():
            with pytest.raises(NoAuthError):
                attack()
                pytest.fail(f"an anonymous {name} succeeded")
    finally:
        client.stop()
    with ZooKeeper(minicluster.zookeeper_hosts("site-a")) as reader:
        assert read_identity(reader).peer == "site-b"


def test_the_console_owns_its_root_from_the_moment_zookeeper_starts(minicluster):
    """Nobody can come first: `minicluster up` creates the root with the console's ACL."""
    with ZooKeeper(minicluster.zookeeper_hosts("site-b"), auth=settings.ZOOKEEPER_AUTH) as console:
        assert set(console.client.get_acls(ROOT)[0]) == set(
            console_acl(settings.ZOOKEEPER_AUTH))
    client = anonymous(minicluster, "site-b")
    try:
        with pytest.raises(NoAuthError):
            client.create(f"{ROOT}/squatter", b"{}")
    finally:
        client.stop()


def test_nodes_left_open_before_are_protected_when_the_console_writes(clusters, minicluster):
    hosts = minicluster.zookeeper_hosts("site-a")
    with ZooKeeper(hosts, auth=settings.ZOOKEEPER_AUTH) as console:
        for path in (ROOT, CLOCK):
            console.client.ensure_path(path)
            console.client.set_acls(path, OPEN_ACL_UNSAFE)
    client = anonymous(minicluster, "site-a")
    try:
        # An install made before ACLs, or a local user who came first.
        client.create(IDENTITY, b'{"role": "primary", "forged": true}')
        pair(clusters["site-a"], clusters["site-b"], by="ada")
        with ZooKeeper(hosts, auth=settings.ZOOKEEPER_AUTH) as console:
            for path in (ROOT, IDENTITY, CLOCK):
                assert set(console.client.get_acls(path)[0]) == set(
                    console_acl(settings.ZOOKEEPER_AUTH))
        assert b"forged" not in client.get(IDENTITY)[0]
        with pytest.raises(NoAuthError):
            client.set(IDENTITY, b"{}")
    finally:
        client.stop()


# LDAP


def search(layout: Layout, site: str, bind_dn: str | None, password: str | None) -> list[str]:
    connection = Connection(Server(layout.ldap_url(site)), bind_dn, password, auto_bind=True)
    try:
        connection.search(layout.ldap_suffix(site), "(objectClass=*)", SUBTREE)
        return [entry.entry_dn for entry in connection.entries]
    finally:
        connection.unbind()


def test_anonymous_may_not_read_the_directory(minicluster: Layout):
    assert search(minicluster, "site-a", None, None) == []
    admin = search(minicluster, "site-a", minicluster.ldap_admin_dn("site-a"),
                   minicluster.ldap_password())
    assert "ou=people,dc=site-a,dc=lockstep" in admin


def test_the_console_writes_people_and_tenants_but_not_its_own_entry_or_passwords(
    minicluster: Layout,
):
    suffix = minicluster.ldap_suffix("site-b")
    people = minicluster.ldap_people("site-b")
    console = Ldap(minicluster.ldap_url("site-b"), minicluster.ldap_console_dn("site-b"),
                   minicluster.account_password(CONSOLE_USER))
    probe = f"uid=probe,{people}"
    with console.session() as session:
        allowed = list(session.apply([
            Write("add", probe, {"uid": ["probe"], "cn": ["Probe"], "sn": ["Probe"]},
                  ("inetOrgPerson",)),
            Write("add", f"cn=probes,ou=tenants,{suffix}", {"gidNumber": ["3999"]},
                  ("posixGroup",)),
        ]))
        refused = list(session.apply([
            Write("modify", probe, {"userPassword": ["guess"]}),
            Write("modify", minicluster.ldap_console_dn("site-b"), {"cn": ["me"]}),
            Write("add", f"ou=elsewhere,{suffix}", {"ou": ["elsewhere"]},
                  ("organizationalUnit",)),
        ]))
        removed = list(session.apply([Write("delete", probe),
                                      Write("delete", f"cn=probes,ou=tenants,{suffix}")]))
    assert [result.code for result in allowed + removed] == ["success"] * 4
    assert [result.code for result in refused] == ["insufficientAccessRights"] * 3
    alice = Ldap(minicluster.ldap_url("site-b"), f"uid=alice,{people}",
                 minicluster.account_password("alice"))
    with alice.session() as session:
        [result] = session.apply([Write("delete", minicluster.ldap_console_dn("site-b"))])
    assert result.code == "insufficientAccessRights"


def test_the_health_probe_still_reads_the_root_dse_anonymously(clusters, minicluster):
    assert Ldap(minicluster.ldap_url("site-a")).ping() == ["dc=site-a,dc=lockstep"]
    ldap = next(check for check in check_endpoints(clusters["site-a"])
                if check.endpoint == "LDAP")
    assert ldap.ok, ldap.detail


# Files


def secret_files(layout: Layout) -> list[Path]:
    """Files with a secret or the console's data, as the demo and the suite leave them."""
    var = settings.VAR_DIR
    return [
        Path(settings.DATABASES["default"]["NAME"]), var / "secret_key",
        var / "zookeeper-password", layout.var_dir / "redis-password",
        layout.var_dir / "redis.conf", layout.var_dir / "ldap-admin-password",
        *(layout.site_dir(site) / "ldap" / "slapd.conf" for site in layout.sites),
        *(layout.site_dir(site) / "zookeeper" / "zoo.cfg" for site in layout.sites),
        layout.var_dir / "logs" / "redis.log", layout.var_dir / "logs" / "site-a-ldap.log",
    ]


def written_by_spark(path: Path) -> bool:
    """Spark writes its warehouse inside a site's WebHDFS root through Hadoop's file
    system, which applies a umask of its own (022), and snapshots hard-link those files:
    the site's folder (checked too) keeps them from others."""
    parts = path.parts
    return any(site in SITES and folder in ("root", "webhdfs-state")
               for site, folder in pairwise(parts))


def spark_passage(status: os.stat_result) -> bool:
    """A directory that lets Spark's account (its group) pass through, nothing more."""
    return (stat.S_ISDIR(status.st_mode) and status.st_mode & 0o077 == 0o010
            and grp.getgrgid(status.st_gid).gr_name == SPARK_ACCOUNT)


def entries(top: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """`top` and every path beneath it, with its lstat, as the walk finds them: a path
    gone meanwhile (Spark's session directories come and go, also another test worker's)
    is left out."""
    paths = [top]
    for directory, names, files in os.walk(top):
        paths += [Path(directory, name) for name in names + files]
    for path in paths:
        try:
            yield path, path.lstat()
        except FileNotFoundError:
            continue


@pytest.mark.django_db
def test_files_of_the_console_and_mini_cluster_are_their_users_alone(minicluster: Layout):
    files = secret_files(minicluster)
    assert all(path.is_file() for path in files), [p for p in files if not p.is_file()]
    open_to_others = [
        f"{path} {stat.filemode(status.st_mode)}"
        for top in {settings.VAR_DIR, minicluster.var_dir}
        for path, status in entries(top)
        if not stat.S_ISLNK(status.st_mode) and status.st_mode & 0o077
        and not written_by_spark(path) and not spark_passage(status)
    ]
    assert open_to_others == []


@pytest.mark.django_db
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_another_local_user_cannot_read_them(minicluster: Layout):
    for path in secret_files(minicluster):
        read = subprocess.run(["runuser", "-u", "nobody", "--", "cat", str(path)],
                              capture_output=True, check=False)
        assert read.returncode != 0 and b"Permission denied" in read.stderr, path
