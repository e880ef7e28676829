"""A table written through HiveServer2 is an ordinary directory to WebHDFS: listed,
read and snapshotted like any other, at the same path."""

from adapters.webhdfs import WebHdfs
from minicluster.layout import CONSOLE_USER
from minicluster.services import hiveserver2_client

TABLE_DIR = "/data/warehouse/probe.db/events"


def test_table_written_through_pyhive_is_listed_read_and_snapshotted(minicluster):
    hive = hiveserver2_client(minicluster, "site-a", "alice")
    webhdfs = WebHdfs(minicluster.webhdfs_url("site-a"), CONSOLE_USER)
    hive.query("CREATE DATABASE IF NOT EXISTS probe")
    hive.query("DROP TABLE IF EXISTS probe.events")
    hive.query("CREATE TABLE probe.events (id INT, what STRING) USING parquet")
    hive.query("INSERT INTO probe.events VALUES (1, 'created')")

    parts = [name for name, status in webhdfs.list_dir(TABLE_DIR)
             if name.endswith(".parquet") and status["length"] > 0]
    assert len(parts) == 1
    with webhdfs.read(f"{TABLE_DIR}/{parts[0]}") as chunks:
        data = b"".join(chunks)
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"

    webhdfs.create_snapshot("/data", "before-second-insert")
    hive.query("INSERT INTO probe.events VALUES (2, 'appended')")
    old = [name for name, _ in webhdfs.list_dir(
        "/data/.snapshot/before-second-insert/warehouse/probe.db/events")
        if name.endswith(".parquet")]
    assert old == parts
    diff = webhdfs.snapshot_diff("/data", "before-second-insert", "")
    created = [e.source for e in diff.entries if e.kind == "CREATE"]
    assert any(path.startswith("warehouse/probe.db/events/part-") for path in created)
    webhdfs.delete_snapshot("/data", "before-second-insert")
    assert hive.query("SELECT count(*) FROM probe.events") == [(2,)]


def test_spark_reads_and_extends_a_table_that_webhdfs_wrote(minicluster):
    """Replication writes a table's files through WebHDFS (root) into the warehouse that
    the unprivileged Spark owns; after failover Spark must read and extend them."""
    webhdfs = WebHdfs(minicluster.webhdfs_url("site-a"), CONSOLE_USER)
    location = "/data/warehouse/copied.db/lines"
    webhdfs.makedirs(location)
    webhdfs.write(f"{location}/part-00000.txt", b"one\ntwo\n", overwrite=True)
    hive = hiveserver2_client(minicluster, "site-a", "alice")
    hive.query("DROP TABLE IF EXISTS copied_lines")
    hive.query("CREATE TABLE copied_lines (line STRING) USING text "
               f"LOCATION 'file:{minicluster.site_root('site-a')}{location}'")
    assert sorted(hive.query("SELECT line FROM copied_lines")) == [("one",), ("two",)]
    hive.query("INSERT INTO copied_lines VALUES ('three')")
    assert hive.query("SELECT count(*) FROM copied_lines") == [(3,)]
    hive.query("DROP TABLE copied_lines")
