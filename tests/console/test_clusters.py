"""The cluster registry: saved only when every endpoint answers; live state on the list."""

from pathlib import Path

import pytest
from django.urls import reverse

from adapters.webhdfs import WebHdfs, WebHdfsError
from console.clusters import cluster_state, state_json, webhdfs_of
from console.models import AuditEntry, Cluster
from console.roles import Role
from minicluster.layout import CONSOLE_USER
from tests.conftest import cluster_fields


def form_data(layout, site: str, **changes) -> dict:
    return {key: "" if value is None else value
            for key, value in {**cluster_fields(layout, site), **changes}.items()}


def test_administrator_registers_a_cluster_whose_endpoints_answer(client, make_user, minicluster):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    response = client.post(reverse("cluster-new"), form_data(minicluster, "site-a"))
    assert response.status_code == 302, response.content.decode()
    cluster = Cluster.objects.get(name="site-a")
    assert cluster.hiveserver2_port == minicluster.sites["site-a"].hiveserver2
    assert AuditEntry.objects.filter(action="cluster.register", outcome="success").exists()


def test_registration_names_the_endpoint_that_failed_and_saves_nothing(
    client, make_user, minicluster
):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    closed_port = minicluster.sites["site-a"].hiveserver2 + 500
    response = client.post(
        reverse("cluster-new"),
        form_data(minicluster, "site-a", hiveserver2_port=closed_port, snapshot_root="/nowhere"),
    )
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert any(e.startswith("HiveServer2 check failed") and str(closed_port) in e for e in errors)
    assert any(e.startswith("WebHDFS check failed") and "/nowhere" in e for e in errors)
    assert not any(e.startswith("ZooKeeper") for e in errors)
    assert not Cluster.objects.exists()
    assert AuditEntry.objects.get(action="cluster.register").outcome == "refused"


def test_snapshot_root_that_is_a_file_is_refused_as_such(client, make_user, minicluster):
    webhdfs = WebHdfs(minicluster.webhdfs_url("site-a"), CONSOLE_USER)
    webhdfs.write("/data/bills.csv", b"", overwrite=True)
    try:
        client.force_login(make_user("ada", Role.ADMINISTRATOR))
        response = client.post(reverse("cluster-new"),
                               form_data(minicluster, "site-a", snapshot_root="/data/bills.csv"))
    finally:
        webhdfs.delete("/data/bills.csv")
    assert response.status_code == 200
    assert ("WebHDFS check failed: snapshot root /data/bills.csv is not a directory"
            in response.context["form"].non_field_errors())
    assert not Cluster.objects.exists()


def test_snapshot_root_with_path_tricks_is_refused(client, make_user, minicluster):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    for root in ("/data/../etc", "data", "/data/.snapshot/s1"):
        response = client.post(reverse("cluster-new"),
                               form_data(minicluster, "site-a", snapshot_root=root))
        assert "snapshot_root" in response.context["form"].errors, root
    assert not Cluster.objects.exists()


def test_live_state_shows_endpoints_identity_skew_and_space(clusters):
    state = state_json(cluster_state(clusters["site-a"]))
    assert state["reachable"] is True
    assert [e["endpoint"] for e in state["endpoints"]] == [
        "WebHDFS", "HiveServer2", "ZooKeeper", "LDAP"]
    assert state["identity"]["role"] == "unpaired"
    assert abs(state["clock_skew_seconds"]) < 0.5
    assert state["capacity_bytes"] > state["used_bytes"] >= 0


def test_live_state_of_a_dead_cluster_says_unreachable(clusters):
    cluster = clusters["site-b"]
    cluster.zookeeper_hosts = "127.0.0.1:1"
    state = state_json(cluster_state(cluster))
    assert state["reachable"] is False
    assert state["identity"]["role"] == "unreachable"
    zookeeper = next(e for e in state["endpoints"] if e["endpoint"] == "ZooKeeper")
    assert not zookeeper["ok"] and "127.0.0.1:1" in zookeeper["detail"]


def test_cluster_list_is_for_administrators_and_operators(client, make_user, clusters):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    assert client.get(reverse("clusters")).status_code == 403
    assert client.get(reverse("cluster-state", args=["site-a"])).status_code == 403
    client.force_login(make_user("otto", Role.OPERATOR))
    page = client.get(reverse("clusters"))
    assert page.status_code == 200 and b"site-a" in page.content
    assert b"Register a cluster" not in page.content
    assert client.get(reverse("cluster-state", args=["site-a"])).json()["reachable"]


def test_operator_cannot_register_or_remove_clusters(client, make_user, clusters, minicluster):
    client.force_login(make_user("otto", Role.OPERATOR))
    assert client.post(reverse("cluster-new"), form_data(minicluster, "site-a")).status_code == 403
    assert client.post(reverse("cluster-delete", args=["site-a"])).status_code == 403
    assert Cluster.objects.count() == 2


def test_paired_cluster_cannot_be_removed(client, make_user, pairing):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    response = client.post(reverse("cluster-delete", args=["site-a"]), follow=True)
    assert b"unpair it first" in response.content
    assert Cluster.objects.filter(name="site-a").exists()


def test_cluster_holding_data_sets_cannot_be_removed_after_unpairing(client, make_user, pairing,
                                                                     make_service):
    from backups.models import BackupPolicy
    from console.pairing import unpair

    service = make_service(pairing)
    BackupPolicy.objects.filter(service=service).update(enabled=False)
    unpair(pairing)
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    response = client.post(reverse("cluster-delete", args=["site-a"]), follow=True)
    assert b"still holds data sets" in response.content
    assert Cluster.objects.filter(name="site-a").exists()


def _shown_anywhere(client, secret: str) -> list[str]:
    """The pages and API answers about site-a that contain `secret`."""
    urls = [reverse("clusters"), reverse("cluster-edit", args=["site-a"]),
            reverse("cluster-state", args=["site-a"]), "/api/clusters/", "/api/clusters/site-a/",
            "/api/clusters/site-a/state/"]
    answers = {url: client.get(url) for url in urls}
    assert all(answer.status_code == 200 for answer in answers.values())
    return [url for url, answer in answers.items() if secret in answer.content.decode()]


def test_hiveserver2_password_is_taken_but_never_shown_back(client, make_user, minicluster):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    password = minicluster.account_password(CONSOLE_USER)
    response = client.post(reverse("cluster-new"), form_data(minicluster, "site-a"))
    assert response.status_code == 302, response.content.decode()
    assert Cluster.objects.get(name="site-a").hiveserver2_password == password
    assert _shown_anywhere(client, password) == []
    assert client.get("/api/clusters/site-a/").json()["hiveserver2_password_set"] is True

    # Edits that leave it out keep it, on the page and through the API alike.
    client.post(reverse("cluster-edit", args=["site-a"]),
                form_data(minicluster, "site-a", hiveserver2_password="", location="Bonn"))
    response = client.put("/api/clusters/site-a/", {"location": "Berlin"},
                          content_type="application/json")
    assert response.status_code == 200, response.json()
    cluster = Cluster.objects.get(name="site-a")
    assert (cluster.location, cluster.hiveserver2_password) == ("Berlin", password)
    assert not AuditEntry.objects.filter(detail__contains=password).exists()


def test_registration_with_a_wrong_or_no_hiveserver2_password_is_refused(
    client, make_user, minicluster
):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    for password, reason in (("guess", "refused the password of lockstep"),
                             ("", "probably requires a password")):
        response = client.post(reverse("cluster-new"),
                               form_data(minicluster, "site-a", hiveserver2_password=password))
        errors = response.context["form"].non_field_errors()
        assert any(e.startswith("HiveServer2 check failed") and reason in e for e in errors)
        assert 'value="guess"' not in response.content.decode()
    assert not Cluster.objects.exists()


def test_the_ldap_bind_is_checked_and_its_password_never_shown_back(client, make_user,
                                                                      minicluster):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    response = client.post(reverse("cluster-new"),
                           form_data(minicluster, "site-a", ldap_password="guess"))
    errors = response.context["form"].non_field_errors()
    assert any(e.startswith("LDAP check failed") and "refused the sign-in of "
               f"{minicluster.ldap_console_dn('site-a')}" in e for e in errors), errors
    response = client.post(reverse("cluster-new"),
                           form_data(minicluster, "site-a", ldap_base_dn="dc=nowhere"))
    assert any("has no base DN dc=nowhere" in e
               for e in response.context["form"].non_field_errors())
    response = client.post(reverse("cluster-new"), form_data(minicluster, "site-a"))
    assert response.status_code == 302, response.content.decode()
    password = minicluster.account_password(CONSOLE_USER)
    assert Cluster.objects.get(name="site-a").ldap_password == password
    assert client.get("/api/clusters/site-a/").json()["ldap_password_set"] is True
    client.put("/api/clusters/site-a/", {"location": "Berlin"}, content_type="application/json")
    assert Cluster.objects.get(name="site-a").ldap_password == password


def test_forgetting_the_hiveserver2_password_connects_without_one(client, make_user, clusters,
                                                                  minicluster):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    response = client.post(reverse("cluster-edit", args=["site-a"]),
                           form_data(minicluster, "site-a", hiveserver2_password="",
                                     forget_hiveserver2_password="on"))
    # The mini cluster requires authentication, so the edit is refused and nothing changes.
    assert any("probably requires a password" in e
               for e in response.context["form"].non_field_errors())
    assert Cluster.objects.get(name="site-a").hiveserver2_password


def _connections_to(port: int) -> set[int]:
    """The ephemeral port of every TCP connection on this machine to `port` that is open,
    or closed within the last minute (TIME_WAIT on whichever side closed first)."""
    ports = set()
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote = (int(address.split(":")[1], 16) for address in row.split()[1:3])
        if remote == port:
            ports.add(local)
        elif local == port and remote:  # the server's side; a listening socket has none
            ports.add(remote)
    return ports


def test_webhdfs_calls_to_one_cluster_reuse_one_connection(clusters, minicluster):
    cluster = clusters["site-a"]
    namenode = minicluster.sites["site-a"].webhdfs
    before = _connections_to(namenode)
    for _ in range(5):
        webhdfs_of(cluster).status("/data")
    webhdfs_of(cluster, timeout=3).status("/data")  # its own timeout, the same connections
    # None new when an earlier test of this process left the connection open.
    assert len(_connections_to(namenode) - before) <= 1


def test_a_cluster_whose_webhdfs_url_or_user_changed_is_reached_anew(clusters, minicluster):
    cluster = clusters["site-a"]
    only_on_a = "/data/reached-anew"
    webhdfs_of(cluster).makedirs(only_on_a, permission="755")
    try:
        cluster.webhdfs_url = minicluster.webhdfs_url("site-b")
        assert webhdfs_of(cluster).status(only_on_a, strict=False) is None
        cluster.webhdfs_url = minicluster.webhdfs_url("site-a")
        cluster.webhdfs_user = "alice"
        with pytest.raises(WebHdfsError) as refused:
            webhdfs_of(cluster).makedirs(f"{only_on_a}/by-alice")
        assert refused.value.exception == "AccessControlException"
    finally:
        cluster.webhdfs_user = CONSOLE_USER
        webhdfs_of(cluster).delete(only_on_a, recursive=True)


def test_a_refused_registration_is_audited_with_its_reasons(client, make_user, minicluster):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    data = form_data(minicluster, "site-a")
    data["name"] = "bad name!"
    client.post(reverse("cluster-new"), data)
    entry = AuditEntry.objects.get(action="cluster.register")
    assert entry.outcome == "refused"
    assert entry.detail.startswith("name: ")


def test_an_unreachable_endpoint_is_named_in_words_with_the_detail_one_click_away(
    client, make_user, minicluster
):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    closed = minicluster.sites["site-b"].webhdfs + 500
    response = client.post(reverse("cluster-new"), form_data(
        minicluster, "site-b", webhdfs_url=f"http://127.0.0.1:{closed}"))
    page = response.content.decode()
    said = (f"site-b&#x27;s WebHDFS (127.0.0.1:{closed}) refused the connection: is it "
            "running, at that address?")
    assert said in page
    # The raw text only inside the collapsed detail.
    before, _, detail = page.partition(said)
    assert "HTTPConnectionPool" not in before
    assert detail.startswith(' <details class="detail"><summary>technical detail</summary>'
                             "<code>HTTPConnectionPool")
    entry = AuditEntry.objects.get(action="cluster.register")
    assert "refused the connection" in entry.detail
    assert "technical detail" in client.get(reverse("audit")).content.decode()
