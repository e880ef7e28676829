"""Spark with its default settings reading and writing webhdfs:// paths on the server.

Defaults matter: without spark.sql.sources.ignoreDataLocality Spark asks every file's
block locations (getFileBlockLocations) when it lists a table's files, and it commits a
write by renaming task directories (FileOutputCommitter), so both must work as in HDFS.
"""

from pyspark.sql import SparkSession

from tests.webhdfs.conftest import SUPERUSER, Site
from tests.webhdfs.jvm import Hadoop

pytest_plugins = ["tests.webhdfs.jvm_fixtures"]


def url(site: Site, path: str) -> str:
    return f"{Hadoop.uri(site)}{path}"


def test_parquet_write_and_read_back(spark: SparkSession, site_a: Site, base: str) -> None:
    frame = spark.range(0, 1000, 1, 3).selectExpr(
        "id", "id * 2 AS doubled", "CONCAT('row-', CAST(id AS STRING)) AS name")
    frame.write.parquet(url(site_a, f"{base}/numbers"))

    written = site_a.client().list(f"{base}/numbers")
    assert "_SUCCESS" in written
    assert len([name for name in written if name.endswith(".parquet")]) == 3
    assert "_temporary" not in written
    # Spark acts as the user the driver JVM was started as (HADOOP_USER_NAME).
    assert site_a.client().status(f"{base}/numbers/_SUCCESS")["owner"] == SUPERUSER

    back = spark.read.parquet(url(site_a, f"{base}/numbers"))
    assert back.count() == 1000
    (total,) = back.selectExpr("SUM(doubled)").first()
    assert total == 999_000
    rows = back.where("id IN (0, 999)").orderBy("id").collect()
    assert [tuple(row) for row in rows] == [(0, 0, "row-0"), (999, 1998, "row-999")]


def test_csv_read(spark: SparkSession, site_a: Site, base: str) -> None:
    site_a.client().write(f"{base}/csv/part-1.csv", data=b"name,qty\napple,3\npear,5\n")
    site_a.client().write(f"{base}/csv/part-2.csv", data=b"name,qty\nplum,7\n")
    frame = (spark.read.option("header", "true").option("inferSchema", "true")
             .csv(url(site_a, f"{base}/csv")))
    assert [(field.name, field.dataType.simpleString()) for field in frame.schema.fields] == [
        ("name", "string"), ("qty", "int")]
    assert sorted(tuple(row) for row in frame.collect()) == [
        ("apple", 3), ("pear", 5), ("plum", 7)]


def test_table_located_on_webhdfs(spark: SparkSession, site_a: Site, base: str) -> None:
    location = url(site_a, f"{base}/table")
    spark.sql(f"CREATE TABLE webhdfs_fruit (id INT, name STRING) USING parquet "
              f"LOCATION '{location}'")
    try:
        spark.sql("INSERT INTO webhdfs_fruit VALUES (1, 'apple'), (2, 'pear')")
        spark.sql("INSERT INTO webhdfs_fruit VALUES (3, 'plum')")
        rows = spark.sql("SELECT id, name FROM webhdfs_fruit ORDER BY id").collect()
        assert [tuple(row) for row in rows] == [(1, "apple"), (2, "pear"), (3, "plum")]
        files = site_a.client().list(f"{base}/table")
        assert len([name for name in files if name.endswith(".parquet")]) >= 2
        (location_row,) = spark.sql("DESCRIBE TABLE EXTENDED webhdfs_fruit").where(
            "col_name = 'Location'").collect()
        assert location_row.data_type == location
    finally:
        spark.sql("DROP TABLE IF EXISTS webhdfs_fruit")
    # An external table: dropping it leaves the data.
    assert site_a.client().status(f"{base}/table", strict=False) is not None
