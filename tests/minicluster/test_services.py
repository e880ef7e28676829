"""`manage.py minicluster up | status | down` against the real servers.

This test runs a mini cluster of its own (its own ports and directory), so that
stopping it does not stop the one the rest of the suite shares.
"""

import io
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.core.management import CommandError, call_command

from adapters.ldap import Ldap, Write
from adapters.webhdfs import WebHdfs
from minicluster import processes, services
from minicluster.layout import BASE_REDIS_PORT, CONSOLE_USER, HOST, Layout


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("minicluster", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def own_layout(settings) -> Layout:
    # Not in pytest's tmp_path, which is closed to other users: Spark's account must
    # reach its directories.
    var_dir = Path(settings.VAR_DIR) / "own-minicluster"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(mode=0o700)  # closed to others, as a mini cluster's files should be
    # 100 ports past the suite's own: clear of every mini cluster run at whole thousands.
    suite_offset = settings.MINICLUSTER.redis_port - BASE_REDIS_PORT
    layout = Layout.build(var_dir, offset=suite_offset + 100)
    settings.MINICLUSTER = layout
    yield layout
    services.down(layout)
    shutil.rmtree(var_dir, ignore_errors=True)


def test_up_status_down_round_trip(own_layout: Layout):
    shown = run("up")
    assert f"site-a WebHDFS: {own_layout.webhdfs_url('site-a')}" in shown
    started = {s.name: s.pid for s in services.status(own_layout)}
    assert set(started) == {
        "redis",
        *(f"{site}/{kind}" for site in ("site-a", "site-b")
          for kind in ("zookeeper", "webhdfs", "ldap", "hiveserver2")),
    }
    assert all(started.values())

    run("up")  # a second `up` starts nothing twice
    assert {s.name: s.pid for s in services.status(own_layout)} == started

    shown = run("status")
    for name, pid in started.items():
        assert f"{name}" in shown and str(pid) in shown
    assert shown.count("yes") == len(started)

    assert redis.Redis.from_url(own_layout.redis_url).ping()
    site_a = own_layout.sites["site-a"]
    assert processes.exchange(HOST, site_a.zookeeper, b"ruok") == b"imok"
    assert Ldap(own_layout.ldap_url("site-a")).ping() == ["dc=site-a,dc=lockstep"]

    webhdfs = WebHdfs(own_layout.webhdfs_url("site-a"), CONSOLE_USER)
    assert [d.path for d in webhdfs.snapshottable_dirs()] == ["/data"]

    hive = services.hiveserver2_client(own_layout, "site-a")
    hive.query("CREATE TABLE probe (id INT, name STRING) USING parquet")
    hive.query("INSERT INTO probe VALUES (1, 'one'), (2, 'two')")
    assert hive.query("SELECT id, name FROM probe ORDER BY id") == [(1, "one"), (2, "two")]
    # The table's files live in the site's own warehouse, which WebHDFS serves.
    names = [name for name, _ in webhdfs.list_dir("/data/warehouse/probe")]
    assert any(name.endswith(".parquet") for name in names)

    assert "stopped:" in run("down")
    for pid in started.values():
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid)
    with pytest.raises(CommandError, match="do not answer"):
        run("status")
    assert "nothing was running" in run("down")


def _zombie(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def test_up_refuses_a_port_taken_by_someone_else_and_down_leaves_it_alone(own_layout: Layout):
    # A stranger answering PING on the Redis port: not ours to use, nor to stop.
    stranger = subprocess.Popen(
        [sys.executable, "-c", STRANGER, str(own_layout.redis_port)], stdout=subprocess.PIPE
    )
    try:
        assert stranger.stdout.readline() == b"listening\n"
        with pytest.raises(services.MiniClusterError, match="taken by a process"):
            services._start(own_layout, services.redis_service(own_layout))
        services.down(own_layout)
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


STRANGER = """
import socket, sys
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("listening", flush=True)
while True:
    conn, _ = server.accept()
    conn.recv(64)
    conn.sendall(b"+PONG\\r\\n")
    conn.close()
"""


def test_socket_probe_of_a_closed_port_is_empty():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        free_port = sock.getsockname()[1]
    assert processes.exchange(HOST, free_port, b"ruok") == b""


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs Spark as another account")
def test_spark_is_not_started_where_its_account_cannot_reach(settings):
    closed = Path(settings.VAR_DIR) / "closed"
    closed.mkdir(mode=0o700)
    try:
        # The mini cluster may open its own directory and the one that holds it, not more.
        layout = Layout.build(closed / "var" / "minicluster", offset=2000)
        with pytest.raises(services.MiniClusterError, match=f"because {closed} is closed to it"):
            services.hiveserver2_service(layout, "site-a").prepare()
    finally:
        shutil.rmtree(closed)


def test_a_restarted_directory_is_indexed_again_and_finds_what_it_held(own_layout: Layout):
    site = "site-a"
    started = [services.ldap_service(own_layout, site)]
    services.start(own_layout, started)
    admin = Ldap(own_layout.ldap_url(site), own_layout.ldap_admin_dn(site),
                 own_layout.ldap_password())
    people = own_layout.ldap_people(site)
    with admin.session() as session:
        [added] = session.apply([Write("add", f"uid=probe,{people}", {
            "uid": ["probe"], "cn": ["Probe"], "sn": ["Probe"]}, ("inetOrgPerson",))])
    assert added.ok
    services.down(own_layout)
    # Started again over its data: slapindex runs first (an index added since would
    # otherwise miss every entry written before it).
    services.start(own_layout, started)
    with admin.session() as session:
        found = [item.dn for item in session.search(people, "(uid=probe)", ["uid"])]
    assert found == [f"uid=probe,{people}"]
