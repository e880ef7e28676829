"""The session's Spark driver JVM and Hadoop client, as fixtures.

A test module that needs them names this module in `pytest_plugins`, which registers the
fixtures once for the whole session however many modules ask (fixtures imported into
each module would start one JVM per module).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark import SparkContext
from pyspark.sql import SparkSession

from tests.webhdfs.jvm import Hadoop, compile_shim, start_spark


@pytest.fixture(scope="session")
def java_shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compiled RuntimeDelegate shim, kept beside this run's temporary directories."""
    return compile_shim(tmp_path_factory.getbasetemp().parent / "webhdfs-java-shim")


@pytest.fixture(scope="session")
def spark(java_shim: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """The one Spark driver of this pytest worker."""
    session = start_spark(tmp_path_factory.mktemp("spark"), java_shim)
    yield session
    gateway = session.sparkContext._gateway
    session.stop()
    # Close py4j's connections and end the JVM now (it exits when its stdin closes),
    # rather than at interpreter exit, when nothing is left to log to.
    gateway.shutdown()
    process = getattr(gateway, "proc", None)
    if process is not None:
        process.stdin.close()
        process.wait(timeout=60)
    SparkContext._gateway = None
    SparkContext._jvm = None


@pytest.fixture(scope="session")
def hadoop(spark: SparkSession, java_shim: Path) -> Iterator[Hadoop]:
    client = Hadoop(spark, java_shim)
    yield client
    client.close()
