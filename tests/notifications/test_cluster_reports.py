"""The failover monitor (its real process, against the mini cluster) notifies a cluster
that stops answering once, naming the endpoint, and once more when it is back for the
recovery period; a webhook of the operators' receives both."""

import time

import pytest
from django.conf import settings

from notifications.models import Delivery, DeliveryState, Kind, Notification
from tests.backups.conftest import wait_for
from tests.backups.test_failures import webhdfs_stopped
from tests.notifications.conftest import work_control

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cluster_unreachable_and_back_notifies_once_each(start_monitor, clusters, minicluster,
                                                           receiver, make_channel, queues):
    channel = make_channel(receiver.url, [Kind.CLUSTER_UNREACHABLE, Kind.CLUSTER_BACK],
                           role="operators")
    start_monitor(LOCKSTEP_FAULT_RECOVERY="3")
    with webhdfs_stopped(minicluster, "site-b"):
        lost = wait_for(lambda: Notification.objects.filter(
            kind=Kind.CLUSTER_UNREACHABLE).first(), 30, "site-b unreachable")
        time.sleep(2 * settings.LOCKSTEP_MONITOR_INTERVAL)  # more probes, failing still
    back = wait_for(lambda: Notification.objects.filter(kind=Kind.CLUSTER_BACK).first(), 60,
                    "site-b back")

    assert lost.subject == "site-b is unreachable"
    assert "- WebHDFS:" in lost.body
    assert (lost.tenant, lost.link) == (None, "/failover/")
    assert back.subject == "site-b is reachable again"
    assert Notification.objects.filter(kind=Kind.CLUSTER_UNREACHABLE).count() == 1
    assert not Notification.objects.filter(subject__startswith="site-a").exists()
    work_control()
    assert [body["kind"] for body in receiver.bodies()] == ["cluster_unreachable",
                                                            "cluster_back"]
    assert set(Delivery.objects.filter(channel=channel).values_list("state", flat=True)) == {
        DeliveryState.SENT}
