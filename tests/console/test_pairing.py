"""Pairing writes each cluster's identity into its own ZooKeeper, or refuses with figures."""

import pytest
from django.urls import reverse
from django.utils import timezone

from adapters.zookeeper import VersionConflict, ZooKeeper
from backups.models import BackupPolicy
from console.clusters import zookeeper_of
from console.models import AuditEntry, Pairing
from console.pairing import PairingRefused, pair, unpair
from console.roles import Role
from failover.identity import ClusterRole, Identity, load_identity, read_identity, write_identity


def identity_of(layout, site: str):
    with ZooKeeper(layout.zookeeper_hosts(site)) as zookeeper:
        return read_identity(zookeeper)


def test_pairing_writes_both_identities_and_is_audited(client, make_user, clusters, minicluster):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    response = client.post(reverse("pairing-new"), {
        "primary": clusters["site-a"].pk, "secondary": clusters["site-b"].pk}, follow=True)
    assert b"identities written to both ZooKeepers" in response.content
    primary, secondary = identity_of(minicluster, "site-a"), identity_of(minicluster, "site-b")
    assert (primary.role, primary.epoch, primary.peer, primary.by) == (
        ClusterRole.PRIMARY, 1, "site-b", "ada")
    assert (secondary.role, secondary.epoch, secondary.peer) == (
        ClusterRole.SECONDARY, 1, "site-a")
    assert AuditEntry.objects.get(action="pairing.create").outcome == "success"


def test_a_cluster_cannot_pair_with_itself(clusters):
    with pytest.raises(PairingRefused, match="two different clusters"):
        pair(clusters["site-a"], clusters["site-a"], by="ada")


def test_a_cluster_is_in_at_most_one_pairing(pairing, clusters):
    with pytest.raises(PairingRefused, match="already in the pairing"):
        pair(clusters["site-b"], clusters["site-a"], by="ada")
    assert Pairing.objects.count() == 1


def test_clock_skew_over_the_limit_is_refused_with_the_figure(clusters, minicluster):
    with pytest.raises(PairingRefused, match=r"clock is [+-]\d+\.\d{3} s .* over the 1e-09 s"):
        pair(clusters["site-a"], clusters["site-b"], by="ada", skew_limit=1e-9)
    assert not Pairing.objects.exists()
    assert identity_of(minicluster, "site-a") is None


def test_unreachable_secondary_is_refused_and_nothing_is_written(clusters, minicluster):
    secondary = clusters["site-b"]
    secondary.zookeeper_hosts = "127.0.0.1:1"
    secondary.save()
    with pytest.raises(PairingRefused, match=r"site-b is unreachable \(ZooKeeper: .*127.0.0.1:1"):
        pair(clusters["site-a"], secondary, by="ada")
    assert not Pairing.objects.exists()
    assert identity_of(minicluster, "site-a") is None


def test_refused_pairing_from_the_page_is_audited(client, make_user, clusters):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    response = client.post(reverse("pairing-new"), {
        "primary": clusters["site-a"].pk, "secondary": clusters["site-a"].pk}, follow=True)
    # A refusal looks like one: marked as an error and announced to screen readers.
    assert (b'<li class="error" role="alert">Pairing refused: Choose two different clusters'
            in response.content)
    assert AuditEntry.objects.get(action="pairing.create").outcome == "refused"


def test_unpairing_is_refused_while_a_policy_is_enabled(pairing, minicluster, make_service):
    service = make_service(pairing)
    with pytest.raises(PairingRefused, match="disable them first"):
        unpair(pairing)
    BackupPolicy.objects.filter(service=service).update(enabled=False)
    assert unpair(pairing) == []
    assert identity_of(minicluster, "site-a") is None
    assert identity_of(minicluster, "site-b") is None
    service.refresh_from_db()
    assert service.pairing is None


def test_tenant_cannot_pair(client, make_user, clusters):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    response = client.post(reverse("pairing-new"), {
        "primary": clusters["site-a"].pk, "secondary": clusters["site-b"].pk})
    assert response.status_code == 403
    assert not Pairing.objects.exists()


def claim(cluster, role: ClusterRole, peer: str, by: str = "eve") -> Identity:
    """Write an identity as another console's pairing would."""
    identity = Identity(role, 1, timezone.now(), by, cluster.name, peer)
    with zookeeper_of(cluster) as zookeeper:
        write_identity(zookeeper, identity, load_identity(zookeeper))
    return identity


def test_pairing_refuses_a_cluster_another_pairing_claims_and_changes_nothing(
    clusters, minicluster
):
    theirs = claim(clusters["site-b"], ClusterRole.SECONDARY, "site-c")
    with pytest.raises(PairingRefused, match=r"site-b's ZooKeeper records it as the secondary "
                                              r"of a pairing with site-c \(epoch 1, written by "
                                              r"eve at "):
        pair(clusters["site-a"], clusters["site-b"], by="ada")
    assert identity_of(minicluster, "site-b") == theirs
    assert identity_of(minicluster, "site-a") is None
    assert not Pairing.objects.exists()


def test_an_identity_written_since_it_was_read_is_not_overwritten(clusters, minicluster):
    cluster = clusters["site-a"]
    with zookeeper_of(cluster) as zookeeper:
        seen = load_identity(zookeeper)
        winner = claim(cluster, ClusterRole.PRIMARY, "site-c")
        with pytest.raises(VersionConflict, match="changed since it was read"):
            write_identity(zookeeper, Identity(ClusterRole.PRIMARY, 1, timezone.now(), "ada",
                                               "site-a", "site-b"), seen)
    assert identity_of(minicluster, "site-a") == winner


def test_an_identity_left_by_the_same_two_clusters_is_replaced(clusters, minicluster):
    # An unpair that could not reach ZooKeeper leaves this behind.
    claim(clusters["site-a"], ClusterRole.SECONDARY, "site-b", by="old")
    pair(clusters["site-a"], clusters["site-b"], by="ada")
    found = identity_of(minicluster, "site-a")
    assert (found.role, found.by, found.peer) == (ClusterRole.PRIMARY, "ada", "site-b")


def test_unpairing_leaves_an_identity_another_pairing_wrote_since(pairing, clusters,
                                                                  minicluster):
    with zookeeper_of(clusters["site-b"]) as zookeeper:
        recorded = load_identity(zookeeper)
        theirs = Identity(ClusterRole.PRIMARY, 1, timezone.now(), "eve", "site-b", "site-c")
        write_identity(zookeeper, theirs, recorded)
    assert unpair(pairing) == [
        "site-b: identity left in place (it names site-c now, another pairing's)"]
    assert identity_of(minicluster, "site-a") is None
    assert identity_of(minicluster, "site-b") == theirs
