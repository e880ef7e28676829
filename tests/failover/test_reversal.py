"""Identities written with compare-and-set: an old primary that does not answer is fenced
when it returns, and another writer moving first fails the switchover, saying so."""

import pytest

from console.models import AuditEntry, Cluster
from failover import reversal
from failover.holds import hold_reason
from failover.identity import ClusterRole
from failover.models import SwitchoverState
from failover.reversal import fence_returning
from failover.running import run_here
from failover.switching import failover, resume_failed
from tests.backups.test_fencing import set_identity
from tests.failover.conftest import identity_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_old_primary_that_does_not_answer_is_made_secondary_when_it_returns(
    pairing, clusters, silent_zookeeper
):
    site_a = clusters["site-a"]
    real_hosts = site_a.zookeeper_hosts
    Cluster.objects.filter(pk=site_a.pk).update(zookeeper_hosts=silent_zookeeper)

    switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)

    switchover.refresh_from_db()
    assert switchover.state == SwitchoverState.DONE, switchover.error
    assert "old_primary_written" in switchover.steps
    [discovery, note] = [n for n in switchover.notes if not n.startswith("User data")]
    assert discovery.startswith("site-a: HiveServer2 discovery record not moved")
    assert note.startswith("site-a not reachable (ZooKeeper at 127.0.0.1:")
    assert note.endswith("it keeps its old identity until it returns, and is then made "
                         "secondary in epoch 2 (fenced); no round replicates from it")
    Cluster.objects.filter(pk=site_a.pk).update(zookeeper_hosts=real_hosts)
    site_a.refresh_from_db()
    assert identity_of(site_a) == ("primary", 1, "site-b")
    assert identity_of(clusters["site-b"]) == ("primary", 2, "site-a")

    done = fence_returning(site_a)

    assert done == ("site-a returned carrying primary in epoch 1: now secondary in epoch 2, "
                    "the pairing's")
    assert identity_of(site_a) == ("secondary", 2, "site-b")
    assert fence_returning(site_a) == ""
    assert fence_returning(clusters["site-b"]) == ""
    entry = AuditEntry.objects.get(action="failover.fence")
    assert (entry.actor_name, entry.detail) == ("lockstep", done)


def test_a_write_that_loses_its_compare_and_set_fails_the_failover_until_resumed(
    pairing, clusters, monkeypatch
):
    site_b = clusters["site-b"]
    write = reversal.write_identity

    def another_console_first(zookeeper, identity, over):
        if identity.cluster == "site-b":
            # Between this read and this write, another console rewrites the record.
            set_identity(site_b, ClusterRole.SECONDARY, 1, "site-a")
        return write(zookeeper, identity, over)

    monkeypatch.setattr(reversal, "write_identity", another_console_first)

    switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)

    switchover.refresh_from_db()
    assert switchover.state == SwitchoverState.FAILED
    assert switchover.error.startswith(
        "primary_written: site-b's identity changed while it was being written: "
        "/lockstep/identity on 127.0.0.1:")
    assert "The pairing's backups stay paused" in switchover.error
    assert "primary_written" not in switchover.steps
    assert identity_of(site_b) == ("secondary", 1, "site-a")
    assert hold_reason(pairing.pk).endswith("failed half-way and waits for an operator. Until "
                                            "it is committed or rolled back no round runs "
                                            "and no restore point is deleted.")
    assert AuditEntry.objects.get(action="switchover.failed").actor_name == "olga"
    monkeypatch.setattr(reversal, "write_identity", write)

    resume_failed(switchover, run=run_here)

    switchover.refresh_from_db()
    assert switchover.state == SwitchoverState.DONE, switchover.error
    assert identity_of(site_b) == ("primary", 2, "site-a")
    assert identity_of(clusters["site-a"]) == ("secondary", 2, "site-b")
