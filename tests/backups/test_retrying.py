"""Retrying a failed round's data sets from its page and the API: after the cause is
fixed the round ends in its restore point; refused while another round holds the
service, once a newer round has started, and for whoever may not see the round."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backups.models import Round, RoundState, Service, TaskState
from backups.preparing import prepare_round, run_now
from backups.reaping import reap
from console.models import AuditEntry
from console.roles import Role
from tests.backups.conftest import make_service, site, tree, work
from tests.backups.test_failures import webhdfs_stopped

pytestmark = pytest.mark.django_db(transaction=True)
RETRY = "Retry failed data sets"


@pytest.fixture
def failed(pairing, tenant_data, queues, minicluster) -> Round:
    """A round of acme's bills whose copy failed: the secondary's WebHDFS was down."""
    service = make_service(pairing, [("hdfs", tenant_data.bills)])
    round_ = run_now(service)
    work("site-a")
    with webhdfs_stopped(minicluster, "site-b"):
        work()
    round_.refresh_from_db()
    assert round_.state == RoundState.FAILED
    assert round_.tasks.get().state == TaskState.FAILED
    return round_


def snapshots_on(minicluster, site_name: str) -> set[str]:
    return {s.name for s in site(minicluster, site_name).snapshots("/data")}


def test_an_operator_retries_a_failed_copy_and_the_round_ends_in_its_restore_point(
    failed, client, make_user, minicluster, tenant_data
):
    client.force_login(make_user("olga", Role.OPERATOR))
    page = client.get(f"/rounds/{failed.pk}/").content.decode()
    assert RETRY in page and f'action="/rounds/{failed.pk}/retry/"' in page
    assert "csrfmiddlewaretoken" in page
    answer = client.post(f"/rounds/{failed.pk}/retry/", follow=True).content.decode()
    assert "Copying 1 failed data set again from the round&#x27;s snapshot at T." in answer
    failed.refresh_from_db()
    assert failed.state == RoundState.REPLICATING and failed.finished_at is None
    assert failed.reason == ""
    assert Service.objects.get(pk=failed.service_id).active_round_id == failed.pk
    task = failed.tasks.get()
    assert (task.state, task.error) == (TaskState.PENDING, "")
    entry = AuditEntry.objects.get(action="round.retry")
    assert (entry.actor_name, entry.outcome, entry.detail) == ("olga", "success",
                                                               tenant_data.bills)
    work()
    failed.refresh_from_db()
    assert failed.state == RoundState.CONSISTENT, failed.reason
    assert failed.restore_point.name == failed.snapshot_name
    assert failed.snapshot_name in snapshots_on(minicluster, "site-b")
    assert Service.objects.get(pk=failed.service_id).active_round is None
    assert tree(site(minicluster, "site-b"), tenant_data.bills) == tree(
        site(minicluster, "site-a"), tenant_data.bills)
    # Consistent now: nothing more to retry, and the page offers nothing.
    assert RETRY not in client.get(f"/rounds/{failed.pk}/").content.decode()
    refused = client.post(f"/api/rounds/{failed.pk}/retry/")
    assert refused.status_code == 409
    assert refused.json() == {
        "error": "Only a failed round can be retried; this one is consistent."}


def test_a_retry_waits_for_the_round_that_holds_the_service_and_keeps_a_crash_finding(
    failed, client, make_user
):
    newer = prepare_round(failed.service, timezone.now() + timedelta(minutes=1))
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    held = (f"The round at {newer.moment:%H:%M:%S} is scheduled: one round of a service runs "
            "at a time. Cancel it on its page to retry this one")
    assert held in client.get(f"/rounds/{failed.pk}/").content.decode()
    refused = client.post(f"/api/rounds/{failed.pk}/retry/")
    assert refused.status_code == 409 and refused.json()["error"].startswith(held)
    assert AuditEntry.objects.get(action="api-round-retry.post").outcome == "refused"
    failed.refresh_from_db()
    assert failed.state == RoundState.FAILED
    # The snapshot's finding at T outlives the failure's reason.
    Round.objects.filter(pk=failed.pk).update(crash_reason="table metadata changed around T")
    assert client.post(f"/api/rounds/{newer.pk}/cancel/").status_code == 200
    retried = client.post(f"/api/rounds/{failed.pk}/retry/")
    assert retried.status_code == 200, retried.json()
    assert retried.json()["state"] == "replicating"
    assert [t["state"] for t in retried.json()["tasks"]] == ["pending"]
    again = client.post(f"/api/rounds/{failed.pk}/retry/")
    assert again.json() == {
        "error": "Only a failed round can be retried; this one is replicating."}
    work()
    failed.refresh_from_db()
    assert failed.state == RoundState.CRASH_CONSISTENT
    assert failed.reason == "table metadata changed around T"


def test_a_round_retried_hours_after_t_has_its_deadline_from_the_retry(
    failed, client, make_user, settings
):
    """It failed at night, and is retried in the morning: the reaper lets it run."""
    night = timezone.now() - timedelta(seconds=settings.LOCKSTEP_ROUND_DEADLINE + 3600)
    Round.objects.filter(pk=failed.pk).update(moment=night, started_at=night)
    client.force_login(make_user("olga", Role.OPERATOR))
    assert client.post(f"/api/rounds/{failed.pk}/retry/").status_code == 200
    assert reap() == []
    work()
    failed.refresh_from_db()
    assert failed.state == RoundState.CONSISTENT, failed.reason


def test_a_round_is_stale_once_a_newer_round_has_started(failed, client, make_user,
                                                          minicluster):
    newer = run_now(failed.service)
    work()
    newer.refresh_from_db()
    assert newer.state == RoundState.CONSISTENT, newer.reason
    # The newer round's finish dropped the snapshot kept for a retry.
    assert failed.snapshot_name not in snapshots_on(minicluster, "site-a")
    client.force_login(make_user("olga", Role.OPERATOR))
    stale = (f"The round at {newer.moment:%H:%M:%S} has started since, with a newer snapshot: "
             "this one is stale and can no longer be retried.")
    page = client.get(f"/rounds/{failed.pk}/").content.decode()
    assert RETRY not in page and "this one is stale" in page
    answer = client.post(f"/rounds/{failed.pk}/retry/", follow=True).content.decode()
    assert "this one is stale and can no longer be retried" in answer
    entry = AuditEntry.objects.get(action="round.retry")
    assert (entry.outcome, entry.detail) == ("refused", stale)
    assert Round.objects.get(pk=failed.pk).state == RoundState.FAILED


def test_only_those_who_see_the_round_may_retry_it_and_only_while_its_snapshot_is_there(
    failed, client, make_user, minicluster
):
    client.force_login(make_user("gil", Role.TENANT, tenant="globex"))
    assert client.get(f"/rounds/{failed.pk}/").status_code == 404
    assert client.post(f"/rounds/{failed.pk}/retry/").status_code == 404
    assert client.post(f"/api/rounds/{failed.pk}/retry/").status_code == 404
    client.logout()
    assert client.post(f"/rounds/{failed.pk}/retry/").status_code == 302  # to the login
    assert client.post(f"/api/rounds/{failed.pk}/retry/").status_code == 401
    assert Round.objects.get(pk=failed.pk).state == RoundState.FAILED
    assert not AuditEntry.objects.filter(action="round.retry", outcome="success").exists()
    site(minicluster, "site-a").delete_snapshot("/data", failed.snapshot_name)
    client.force_login(make_user("olga", Role.OPERATOR))
    gone = client.post(f"/api/rounds/{failed.pk}/retry/")
    assert gone.status_code == 409
    assert gone.json()["error"] == (
        f"Its snapshot {failed.snapshot_name} is gone from site-a (/data): the data as it "
        "was at T can no longer be copied. The next round takes a new snapshot.")
