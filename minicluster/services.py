"""Every process of the embedded mini cluster: how to start, probe and stop it.

`up`, `down` and `status` are used by `manage.py minicluster` and, unchanged, by the
test suite's session fixtures, so tests run against the same processes as the demo.
"""

import hashlib
import importlib.util
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from adapters.hiveserver2 import HiveServer2
from adapters.ldap import Ldap, LdapError
from adapters.webhdfs import WebHdfs
from adapters.zookeeper import ZooKeeper, ZooKeeperError
from minicluster import accounts, processes
from minicluster.layout import ACCOUNTS, CONSOLE_USER, HOST, SITES, SNAPSHOT_ROOT, Layout
from minicluster.webhdfs import launcher as webhdfs_launcher

ZOOKEEPER_CLASSPATH = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"


class MiniClusterError(Exception):
    """A service that could not be started; the message names it and its log."""


@dataclass
class Service:
    name: str
    port: int
    command: list[str]
    cwd: Path
    probe: Callable[[], bool]
    ready_timeout: float
    # Text that the running process's command line carries: tells our process from
    # a recycled pid, and the same program run for two sites (or demo and tests) apart.
    marker: str
    prepare: Callable[[], None] = lambda: None
    env: dict[str, str] = field(default_factory=dict)
    after_start: Callable[[], None] = lambda: None
    # The unprivileged system account the process runs as (created when missing);
    # None: as whoever runs the mini cluster.
    account: str | None = None


@dataclass(frozen=True)
class Status:
    name: str
    port: int
    pid: int | None
    answers: bool


def _pid_file(layout: Layout, service: Service) -> Path:
    return layout.var_dir / "pids" / f"{service.name.replace('/', '-')}.pid"


def _log_file(layout: Layout, service: Service) -> Path:
    return layout.var_dir / "logs" / f"{service.name.replace('/', '-')}.log"


# Administrative commands nobody of ours sends: renamed to nothing, so that even a
# client holding the password cannot reconfigure the server (CONFIG SET dir plus SAVE
# writes files as root), load a module or replicate the data away.
REDIS_DISABLED_COMMANDS = (
    "CONFIG", "DEBUG", "MODULE", "SAVE", "BGSAVE", "BGREWRITEAOF", "SHUTDOWN",
    "REPLICAOF", "SLAVEOF", "MIGRATE", "SYNC", "PSYNC", "FAILOVER", "ACL",
)


def redis_service(layout: Layout) -> Service:
    port = layout.redis_port
    # The password goes into a file only we can read: on the command line any local
    # user would see it in /proc.
    config = layout.var_dir / "redis.conf"

    def prepare() -> None:
        renames = "".join(f'rename-command {name} ""\n' for name in REDIS_DISABLED_COMMANDS)
        config.write_text(f"requirepass {layout.redis_password()}\n{renames}")

    return Service(
        name="redis",
        port=port,
        command=[
            shutil.which("redis-server") or "/usr/bin/redis-server", str(config),
            "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
        ],
        cwd=layout.var_dir,
        probe=lambda: _redis_answers(layout),
        ready_timeout=10,
        marker=f":{port}",
        prepare=prepare,
    )


def _redis_answers(layout: Layout) -> bool:
    request = f"AUTH {layout.redis_password()}\r\nPING\r\n".encode()
    return b"+PONG" in processes.exchange(HOST, layout.redis_port, request)


def zookeeper_service(layout: Layout, site: str) -> Service:
    port = layout.sites[site].zookeeper
    data_dir = layout.site_dir(site) / "zookeeper"
    config = data_dir / "zoo.cfg"

    def prepare() -> None:
        (data_dir / "data").mkdir(parents=True, exist_ok=True)
        config.write_text(
            f"tickTime=1000\ninitLimit=10\nsyncLimit=5\n"
            f"dataDir={data_dir / 'data'}\nclientPort={port}\nclientPortAddress={HOST}\n"
            "admin.enableServer=false\n4lw.commands.whitelist=ruok,srvr,stat,mntr\n"
            "maxSessionTimeout=60000\n"
        )

    def claim_root() -> None:
        # The console's credential comes from its settings (ZOOKEEPER_AUTH), read here
        # because the mini cluster is started by manage.py and the tests, both configured.
        from django.conf import settings

        def claimed() -> bool:
            # A server that just answered `ruok` may still drop its first sessions.
            try:
                with ZooKeeper(layout.zookeeper_hosts(site),
                               auth=settings.ZOOKEEPER_AUTH) as zookeeper:
                    zookeeper.claim_root()
            except ZooKeeperError:
                return False
            return True

        if not processes.wait_until(claimed, 30, interval=0.5):
            raise MiniClusterError(f"{site}/zookeeper answers but took no session within 30 s "
                                   f"to create its root; see its log")

    return Service(
        name=f"{site}/zookeeper",
        port=port,
        command=[
            "java", "-Xmx256m", "-cp", ZOOKEEPER_CLASSPATH,
            "org.apache.zookeeper.server.ZooKeeperServerMain", str(config),
        ],
        cwd=data_dir,
        probe=lambda: processes.exchange(HOST, port, b"ruok") == b"imok",
        ready_timeout=30,
        marker=str(config),
        prepare=prepare,
        after_start=claim_root,
    )


def spark_home() -> Path:
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise MiniClusterError("pyspark is not installed: run ./lockstep setup")
    return Path(spec.origin).parent


FENCE_SOURCE = Path(__file__).parent / "spark" / "LockstepFence.java"


def fence_classes(layout: Layout) -> Path:
    """The Spark extension that refuses writes while the site is fenced, compiled once
    per version of its source (javac against pyspark's jars, a few seconds)."""
    source = FENCE_SOURCE.read_bytes()
    built = layout.var_dir / f"spark-fence-{hashlib.sha256(source).hexdigest()[:12]}"
    if (built / "lockstep" / "LockstepFence.class").exists():
        return built
    # Both sites' servers start at once: each compiles apart, the first rename wins.
    layout.var_dir.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f"{built.name}.", dir=layout.var_dir))
    classpath = str(spark_home() / "jars" / "*")
    compiled = subprocess.run(
        ["javac", "-nowarn", "-cp", classpath, "-d", str(building), str(FENCE_SOURCE)],
        capture_output=True, text=True)
    if compiled.returncode != 0:
        raise MiniClusterError(f"the Spark fence extension did not compile: {compiled.stderr}")
    try:
        building.rename(built)
    except OSError:
        shutil.rmtree(building)
    return built


def hiveserver2_service(layout: Layout, site: str) -> Service:
    """The Spark Thrift Server: HiveServer2's protocol over SparkSQL and a Derby metastore.

    It runs as an unprivileged account that owns only its warehouse and working files,
    listens on loopback only, and admits the people of its site's LDAP by password."""
    port = layout.sites[site].hiveserver2
    spark_dir = layout.site_dir(site) / "spark"
    scratch = spark_dir / "tmp"
    fence = spark_dir / "fence"
    warehouse = layout.site_root(site) / "data" / "warehouse"
    home = spark_home()

    def prepare() -> None:
        account = accounts.ensure_account(accounts.SPARK_ACCOUNT)
        scratch.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(fence, ignore_errors=True)
        shutil.copytree(fence_classes(layout), fence)
        for directory in (spark_dir, warehouse):
            accounts.hand_over(directory, account)
            # From the directory that holds the mini cluster's, the console's var
            # directory by default: both are closed to others where files are kept private.
            accounts.open_path(directory, account, layout.var_dir.parent)
            if blocked := accounts.unreachable_ancestor(directory, account):
                raise MiniClusterError(
                    f"{site}/hiveserver2: its account {accounts.SPARK_ACCOUNT} cannot reach "
                    f"{directory}, because {blocked} is closed to it; let it pass "
                    f"(chgrp {accounts.SPARK_ACCOUNT} {blocked}; chmod g+x {blocked}) or "
                    "move the mini cluster elsewhere with LOCKSTEP_MINICLUSTER_DIR")

    metastore = f"jdbc:derby:;databaseName={spark_dir / 'metastore_db'};create=true"
    java_options = (f"-Dderby.system.home={spark_dir} -Djava.io.tmpdir={scratch} "
                    f"-Dlockstep.zookeeper={layout.zookeeper_hosts(site)} "
                    f"-Dlockstep.superuser={CONSOLE_USER}")
    return Service(
        name=f"{site}/hiveserver2",
        port=port,
        command=[
            str(home / "bin" / "spark-submit"),
            "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
            "--master", "local[2]",
            "--driver-memory", "768m",
            "--conf", "spark.ui.enabled=false",
            "--driver-class-path", str(fence),
            "--conf", "spark.sql.extensions=lockstep.LockstepFence",
            # The driver's RPC and block manager ports, which local mode needs but nobody
            # outside this process uses: loopback, like every other port here.
            "--conf", f"spark.driver.bindAddress={HOST}",
            "--conf", f"spark.driver.host={HOST}",
            "--conf", f"spark.local.dir={scratch}",
            "--conf", f"spark.sql.warehouse.dir=file://{warehouse}",
            "--conf", f"spark.hadoop.javax.jdo.option.ConnectionURL={metastore}",
            "--conf", f"spark.driver.extraJavaOptions={java_options}",
            "--hiveconf", f"hive.exec.scratchdir={scratch / 'hive'}",
            "--hiveconf", f"hive.exec.local.scratchdir={scratch / 'hive-local'}",
            # One directory per session, as Hive's default: a session deletes its own when
            # it closes, so a shared one vanished under sessions opened at the same time.
            "--hiveconf",
            f"hive.downloaded.resources.dir={scratch}/${{hive.session.id}}_resources",
            "--hiveconf", f"hive.server2.thrift.port={port}",
            "--hiveconf", f"hive.server2.thrift.bind.host={HOST}",
            "--hiveconf", "hive.server2.authentication=LDAP",
            "--hiveconf", f"hive.server2.authentication.ldap.url={layout.ldap_url(site)}",
            "--hiveconf", f"hive.server2.authentication.ldap.baseDN={layout.ldap_people(site)}",
            "spark-internal",
        ],
        cwd=spark_dir,
        env={"SPARK_HOME": str(home), "SPARK_LOG_DIR": str(spark_dir / "logs"),
             "SPARK_LOCAL_IP": HOST, "HOME": str(spark_dir)},
        probe=lambda: hiveserver2_client(layout, site).ping(),
        ready_timeout=180,
        marker=f"hive.server2.thrift.port={port}",
        prepare=prepare,
        account=accounts.SPARK_ACCOUNT,
    )


def hiveserver2_client(layout: Layout, site: str, user: str = CONSOLE_USER) -> HiveServer2:
    """A client of the site's Spark Thrift Server, signed in as `user`, one of ACCOUNTS."""
    return HiveServer2(HOST, layout.sites[site].hiveserver2, user, layout.account_password(user))


# Anyone may read the root DSE and the schema (the health probe asks for the naming
# contexts anonymously) and nothing else: the directory's users, groups and tenants are
# for bound users. The administrator (rootdn) is above these rules; a password is
# only ever compared, by a bind, and changed by its own user.
LDAP_GLOBAL_ACCESS = (
    'access to dn.base="" by * read\n'
    'access to dn.base="cn=Subschema" by * read\n'
)
# Units whose entries the console's account writes: the user-data sync adds, changes,
# renames and removes users, groups and tenants there (passwords excepted).
LDAP_SYNCED_UNITS = ("people", "groups", "tenants")


def ldap_directory_access(layout: Layout, site: str) -> str:
    """The site's access rules: the above, and the console's account may write the synced
    units but not its own entry (a sync cannot lock the console out)."""
    console = layout.ldap_console_dn(site)
    units = "".join(
        f'access to dn.subtree="ou={unit},{layout.ldap_suffix(site)}" '
        f'by dn.base="{console}" write by users read by * none\n'
        for unit in LDAP_SYNCED_UNITS)
    return (
        "access to attrs=userPassword by self write by anonymous auth by * none\n"
        f'access to dn.base="{console}" by users read by * none\n'
        f"{units}"
        "access to * by users read by * none\n"
        # Its searches are paged; the server's default limit (500 entries in all) would
        # end a paged search of a large directory after its first page.
        f'limits dn.base="{console}" size.soft=unlimited size.hard=unlimited '
        "size.prtotal=unlimited\n"
    )


# What the user-data sync looks entries up by (names, numbers, members): without these,
# each lookup of a few hundred names scans the whole directory.
LDAP_INDEXES = "index objectClass,uid,cn,uidNumber,gidNumber,memberUid eq\n"


def ldap_service(layout: Layout, site: str) -> Service:
    """Debian's slapd with one MDB database for the site's users, groups and tenants."""
    port = layout.sites[site].ldap
    ldap_dir = layout.site_dir(site) / "ldap"
    config = ldap_dir / "slapd.conf"
    url = layout.ldap_url(site)
    suffix = layout.ldap_suffix(site)

    def prepare() -> None:
        (ldap_dir / "data").mkdir(parents=True, exist_ok=True)
        schemas = "".join(f"include /etc/ldap/schema/{name}.schema\n"
                          for name in ("core", "cosine", "inetorgperson", "nis"))
        config.write_text(
            f"{schemas}pidfile {ldap_dir / 'slapd.pid'}\nargsfile {ldap_dir / 'slapd.args'}\n"
            f"modulepath /usr/lib/ldap\nmoduleload back_mdb\n{LDAP_GLOBAL_ACCESS}"
            f"database mdb\nmaxsize 104857600\nsuffix \"{suffix}\"\n"
            f"rootdn \"{layout.ldap_admin_dn(site)}\"\nrootpw {layout.ldap_password()}\n"
            f"directory {ldap_dir / 'data'}\n{LDAP_INDEXES}"
            f"{ldap_directory_access(layout, site)}"
        )
        # An index added to a directory that already holds entries knows none of them
        # until they are indexed again: searches through it would miss them.
        if (ldap_dir / "data" / "data.mdb").exists():
            indexed = subprocess.run(["/usr/sbin/slapindex", "-q", "-f", str(config)],
                                     capture_output=True, text=True, check=False)
            if indexed.returncode:
                raise MiniClusterError(f"{site}/ldap: slapindex failed: {indexed.stderr}")

    def seed() -> None:
        admin = Ldap(url, layout.ldap_admin_dn(site), layout.ldap_password())
        admin.add(suffix, ["dcObject", "organization"], {"dc": site, "o": site})
        for unit in ("people", "groups", "tenants"):
            admin.add(f"ou={unit},{suffix}", ["organizationalUnit"], {"ou": unit})
        for user in ACCOUNTS:
            dn = f"uid={user},{layout.ldap_people(site)}"
            admin.add(dn, ["inetOrgPerson"], {"uid": user, "cn": user, "sn": user})
            # Set on every start: a password file removed to rotate it takes effect here.
            admin.set_password(dn, layout.account_password(user))

    return Service(
        name=f"{site}/ldap",
        port=port,
        # -d 0: stay in the foreground, so that the pid we record is slapd's own.
        command=["/usr/sbin/slapd", "-d", "0", "-h", url, "-f", str(config)],
        cwd=ldap_dir,
        probe=lambda: _ldap_answers(url),
        ready_timeout=20,
        marker=str(config),
        prepare=prepare,
        after_start=seed,
    )


def _ldap_answers(url: str) -> bool:
    try:
        Ldap(url, timeout=1.0).ping()
    except LdapError:
        return False
    return True


# What each site reports as its capacity: both share this machine's disk, which would
# otherwise make them report the same space.
SITE_CAPACITY = {"site-a": 512 * 2**30, "site-b": 384 * 2**30}


def webhdfs_service(layout: Layout, site: str) -> Service:
    """The WebHDFS server over the site's root directory, with `/data` snapshottable."""
    ports = layout.sites[site]
    url = layout.webhdfs_url(site)
    root = layout.site_root(site)
    state = layout.site_dir(site) / "webhdfs-state"

    def prepare() -> None:
        root.mkdir(parents=True, exist_ok=True)
        state.mkdir(parents=True, exist_ok=True)

    def make_snapshot_root() -> None:
        client = WebHdfs(url, CONSOLE_USER)
        client.makedirs(f"{SNAPSHOT_ROOT}/warehouse")
        client.allow_snapshot(SNAPSHOT_ROOT)

    return Service(
        name=f"{site}/webhdfs",
        port=ports.webhdfs,
        command=webhdfs_launcher.command(
            root, state, ports.webhdfs, ports.datanode, CONSOLE_USER, HOST,
            options=["--zookeeper", layout.zookeeper_hosts(site),
                     "--capacity", str(SITE_CAPACITY[site])]),
        cwd=layout.site_dir(site),
        env=webhdfs_launcher.environment(),
        probe=lambda: webhdfs_launcher.answers(url),
        ready_timeout=20,
        marker=f"--namenode-port {ports.webhdfs}",
        prepare=prepare,
        after_start=make_snapshot_root,
    )


def services(layout: Layout) -> list[Service]:
    """Every service of the mini cluster, in start order."""
    found = [redis_service(layout)]
    for site in SITES:
        found += [
            zookeeper_service(layout, site),
            webhdfs_service(layout, site),
            ldap_service(layout, site),
            hiveserver2_service(layout, site),
        ]
    return found


def status(layout: Layout) -> list[Status]:
    def one(service: Service) -> Status:
        pid = processes.read_pid(_pid_file(layout, service), service.marker)
        return Status(service.name, service.port, pid, service.probe())

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, services(layout)))


def _start(layout: Layout, service: Service) -> None:
    pid_file = _pid_file(layout, service)
    if processes.read_pid(pid_file, service.marker) is None:
        if service.probe():
            raise MiniClusterError(
                f"{service.name}: port {service.port} is taken by a process this mini "
                "cluster did not start; stop it or set LOCKSTEP_PORT_OFFSET"
            )
        run_as = accounts.ensure_account(service.account) if service.account else None
        service.prepare()
        processes.spawn(service.command, pid_file, _log_file(layout, service), service.cwd,
                        service.env, run_as)
    if not processes.wait_until(service.probe, service.ready_timeout, interval=0.2):
        raise MiniClusterError(
            f"{service.name} did not answer on port {service.port} within "
            f"{service.ready_timeout:.0f} s; see {_log_file(layout, service)}"
        )
    service.after_start()


def start(layout: Layout, chosen: list[Service]) -> None:
    """Start each of `chosen` not already running (in parallel) and wait until each answers."""
    layout.var_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(_start, layout, service) for service in chosen]
        errors = [str(error) for f in futures if (error := f.exception())]
    if errors:
        raise MiniClusterError("; ".join(errors))


def up(layout: Layout) -> list[Status]:
    """Start every service not already running (in parallel) and wait until each answers."""
    start(layout, services(layout))
    return status(layout)


def stop(layout: Layout, service: Service) -> bool:
    """Stop the service, by pid, if this mini cluster started it; whether it ran."""
    pid_file = _pid_file(layout, service)
    pid = processes.read_pid(pid_file, service.marker)
    if pid is not None:
        processes.terminate(pid)
    pid_file.unlink(missing_ok=True)
    return pid is not None


def down(layout: Layout) -> list[str]:
    """Stop, by pid, only the services this mini cluster started; return their names."""
    return [service.name for service in reversed(services(layout)) if stop(layout, service)]

