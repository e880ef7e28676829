"""Hadoop's own WebHDFS client in a Spark driver JVM, for the tests that check the server
against clients nobody here wrote.

pyspark ships Hadoop's shaded client jars (hadoop-client-api/-runtime), so its py4j JVM
holds `org.apache.hadoop.hdfs.web.WebHdfsFileSystem` exactly as Spark and distcp use it.
One JVM serves a whole pytest worker (session scope, see jvm_fixtures.py): it takes
seconds to start.
"""

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyspark
import pytest
import requests
from py4j.java_gateway import JavaObject
from py4j.protocol import Py4JJavaError
from pyspark import SparkContext
from pyspark.sql import SparkSession

from tests.webhdfs.conftest import SUPERUSER, Site

MIB = 1024 * 1024
PYSPARK_JARS = Path(pyspark.__file__).resolve().parent / "jars"
SHIM_SOURCE = Path(__file__).resolve().parent / "java" / "RuntimeDelegateImpl.java"
SHIM_CLASS = "org.apache.hadoop.shaded.org.glassfish.jersey.internal.RuntimeDelegateImpl"
HOST = "127.0.0.1"


def compile_shim(cache: Path) -> Path:
    """The directory of the compiled RuntimeDelegate shim (see its source for why it is
    needed), built with javac against pyspark's jars once per version of the source.

    No javac, or a source that no longer compiles, fails the tests that need it: these
    tests are not optional."""
    source = SHIM_SOURCE.read_bytes()
    built = cache / f"runtime-delegate-{hashlib.sha256(source).hexdigest()[:16]}"
    if (built / (SHIM_CLASS.replace(".", "/") + ".class")).exists():
        return built
    javac = shutil.which("javac")
    if javac is None:
        pytest.fail("javac is not installed: the WebHDFS client tests compile a test-only "
                    "class against pyspark's jars (install a JDK)", pytrace=False)
    cache.mkdir(parents=True, exist_ok=True)
    # Workers may compile at once: each into a directory of its own, the first rename wins.
    building = Path(tempfile.mkdtemp(prefix=f"{built.name}.", dir=cache))
    compiled = subprocess.run(
        [javac, "-nowarn", "-encoding", "UTF-8", "-cp", str(PYSPARK_JARS / "*"),
         "-d", str(building), str(SHIM_SOURCE)],
        capture_output=True, text=True, timeout=300)
    if compiled.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        pytest.fail(f"{SHIM_SOURCE.name} did not compile:\n{compiled.stderr}", pytrace=False)
    try:
        building.rename(built)
    except OSError:
        shutil.rmtree(building, ignore_errors=True)
    return built


def start_spark(work: Path, shim: Path) -> SparkSession:
    """A local Spark driver with the shim on its class path, acting as the superuser.

    The user goes in as the HADOOP_USER_NAME system property, read when Hadoop first logs
    a user in: Spark does that while it starts, so setting it later would be too late."""
    if SparkContext._active_spark_context is not None:
        pytest.fail("a SparkContext is already running in this process, without the "
                    "RuntimeDelegate shim on its class path", pytrace=False)
    java_options = [
        f"-DHADOOP_USER_NAME={SUPERUSER}",
        f"-Dderby.system.home={work / 'derby'}",
        f"-Djava.io.tmpdir={work / 'tmp'}",
    ]
    for name in ("derby", "tmp", "local"):
        (work / name).mkdir(parents=True, exist_ok=True)
    return (
        SparkSession.builder.master("local[1]")
        .appName("lockstep-webhdfs-clients")
        .config("spark.driver.memory", "512m")
        .config("spark.driver.extraClassPath", str(shim))
        .config("spark.driver.extraJavaOptions", " ".join(java_options))
        # Loopback only, like every other service of the tests.
        .config("spark.driver.bindAddress", HOST)
        .config("spark.driver.host", HOST)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.local.dir", str(work / "local"))
        .config("spark.sql.warehouse.dir", (work / "warehouse").as_uri())
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.hadoop.hadoop.security.authentication", "simple")
        # A server that stops answering fails its test within the pytest timeout.
        .config("spark.hadoop.dfs.webhdfs.socket.connect-timeout", "30s")
        .config("spark.hadoop.dfs.webhdfs.socket.read-timeout", "60s")
        .getOrCreate()
    )


@dataclass(frozen=True)
class JavaError:
    """What a call into the JVM threw: the exception class the client raised, its
    message, and for a RemoteException (a server error whose class the client does not
    turn back into an IOException) the class name the server sent."""

    java_class: str
    message: str
    remote_class: str | None

    @classmethod
    def of(cls, error: Py4JJavaError) -> "JavaError":
        exception = error.java_exception
        java_class = exception.getClass().getName()
        remote = (exception.getClassName()
                  if java_class == "org.apache.hadoop.ipc.RemoteException" else None)
        return cls(java_class, str(exception.getMessage()), remote)

    @property
    def thrown(self) -> str:
        """The class a caller has to handle: the remote one for a RemoteException."""
        return self.remote_class or self.java_class


def raised(action: Callable[[], object]) -> JavaError:
    """The Java exception `action` throws; a failed test if it throws none."""
    try:
        action()
    except Py4JJavaError as error:
        return JavaError.of(error)
    pytest.fail("the call threw no Java exception")


class Hadoop:
    """Hadoop's client classes in the driver JVM, and WebHdfsFileSystem instances."""

    def __init__(self, spark: SparkSession, shim: Path) -> None:
        context = spark.sparkContext
        self.spark = spark
        self.shim = shim
        self.gateway = context._gateway
        self.jvm: Any = context._jvm
        self.conf = context._jsc.hadoopConfiguration()
        self._filesystems: dict[tuple[str, str], JavaObject] = {}

    # ------------------------------------------------------------------ file systems

    @staticmethod
    def uri(site: Site) -> str:
        """webhdfs://host:port of a site's namenode."""
        return site.url.replace("http://", "webhdfs://", 1)

    def new_fs(self, site: Site, user: str = SUPERUSER) -> JavaObject:
        """A WebHdfsFileSystem of its own, acting as `user` (Hadoop's
        FileSystem.newInstance(uri, conf, user) makes the remote user and runs as it)."""
        uri = self.jvm.java.net.URI(self.uri(site))
        return self.jvm.org.apache.hadoop.fs.FileSystem.newInstance(uri, self.conf, user)

    def fs(self, site: Site, user: str = SUPERUSER) -> JavaObject:
        """The session's WebHdfsFileSystem for `site` and `user`."""
        key = (site.url, user)
        if key not in self._filesystems:
            self._filesystems[key] = self.new_fs(site, user)
        return self._filesystems[key]

    def close(self) -> None:
        for fs in self._filesystems.values():
            fs.close()
        self._filesystems.clear()

    # ------------------------------------------------------------------ Java values

    def path(self, path: str) -> JavaObject:
        return self.jvm.org.apache.hadoop.fs.Path(path)

    def paths(self, paths: Iterable[str]) -> Any:
        """A Path[] (py4j converts lists to java.util.List, never to arrays)."""
        items = [self.path(path) for path in paths]
        array = self.gateway.new_array(self.jvm.org.apache.hadoop.fs.Path, len(items))
        for index, item in enumerate(items):
            array[index] = item
        return array

    def permission(self, octal: str) -> JavaObject:
        return self.jvm.org.apache.hadoop.fs.permission.FsPermission(octal)

    def acl(self, spec: str, permissions: bool = True) -> JavaObject:
        """A List<AclEntry> parsed as `hdfs dfs -setfacl` parses it; `permissions=False`
        for the entries of a removal, which name no permission."""
        return self.jvm.org.apache.hadoop.fs.permission.AclEntry.parseAclSpec(spec, permissions)

    def string_list(self, values: Iterable[str]) -> JavaObject:
        result = self.jvm.java.util.ArrayList()
        for value in values:
            result.add(value)
        return result

    def xattr_flags(self, *names: str) -> JavaObject:
        """An EnumSet<XAttrSetFlag> of CREATE and/or REPLACE."""
        flag = self.jvm.org.apache.hadoop.fs.XAttrSetFlag
        flags = self.jvm.java.util.EnumSet.noneOf(self.jvm.java.lang.Class.forName(
            "org.apache.hadoop.fs.XAttrSetFlag"))
        for name in names:
            flags.add(getattr(flag, name))
        return flags

    def fs_action(self, name: str) -> JavaObject:
        return getattr(self.jvm.org.apache.hadoop.fs.permission.FsAction, name)

    def storage_type(self, name: str) -> JavaObject:
        return getattr(self.jvm.org.apache.hadoop.fs.StorageType, name)

    @property
    def quota_dont_set(self) -> int:
        return int(self.jvm.org.apache.hadoop.hdfs.protocol.HdfsConstants.QUOTA_DONT_SET)

    @property
    def quota_reset(self) -> int:
        return int(self.jvm.org.apache.hadoop.hdfs.protocol.HdfsConstants.QUOTA_RESET)

    # ------------------------------------------------------------------ file bytes

    def write(self, fs: JavaObject, path: str, data: bytes, *, overwrite: bool = True,
              permission: str | None = None, replication: int | None = None,
              block_size: int | None = None) -> None:
        """Create `path` holding `data` through FileSystem.create, as Spark writes."""
        target = self.path(path)
        if permission is None and replication is None and block_size is None:
            out = fs.create(target, overwrite)
        else:
            out = fs.create(target, self.permission(permission or "644"), overwrite, 4096,
                            replication or 3, block_size or 128 * MIB, None)
        try:
            if data:
                out.write(data)
        finally:
            out.close()

    def append(self, fs: JavaObject, path: str, data: bytes) -> None:
        out = fs.append(self.path(path))
        try:
            out.write(data)
        finally:
            out.close()

    def read(self, fs: JavaObject, path: str) -> bytes:
        stream = fs.open(self.path(path))
        try:
            return bytes(stream.readAllBytes())
        finally:
            stream.close()

    # ------------------------------------------------------------------ reports

    @staticmethod
    def diff_entries(report: JavaObject) -> set[tuple[str, str, str | None]]:
        """A SnapshotDiffReport's entries as (type, source, target) with paths relative
        to the snapshot root ("" for the root itself), as `hdfs snapshotDiff` lists them."""
        entries = set()
        for entry in report.getDiffList():
            target = entry.getTargetPath()
            entries.add((str(entry.getType().name()), bytes(entry.getSourcePath()).decode(),
                         None if target is None else bytes(target).decode()))
        return entries


def make_dirs(site: Site, parent: str, names: Iterable[str]) -> None:
    """Many directories quickly (one MKDIRS each on a kept-alive connection), for
    listings and snapshot diffs longer than one page."""
    with requests.Session() as session:
        for name in names:
            reply = session.put(f"{site.url}/webhdfs/v1{parent}/{name}",
                                params={"op": "MKDIRS", "user.name": SUPERUSER}, timeout=30)
            assert reply.status_code == 200, reply.text
