"""Round pages: scopes, run now, the dry run, RPO breach."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from backups.models import DataSetTask, RestorePoint, Round, RoundState, TaskState
from console.models import AuditEntry
from console.roles import Role
from tests.backups.conftest import make_service


@pytest.fixture
def service(pairing, tenant_data, queues):
    return make_service(pairing, [("hdfs", tenant_data.bills)])


def test_tenant_runs_a_round_now_and_another_tenant_cannot_see_it(client, make_user, service):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    response = client.post(reverse("service-run-now", args=[service.pk]))
    round_ = Round.objects.get()
    assert response.url == reverse("round-detail", args=[round_.pk])
    assert b"scheduled" in client.get(response.url).content
    assert AuditEntry.objects.filter(action="round.run_now").exists()
    client.force_login(make_user("gil", Role.TENANT, tenant="globex"))
    assert str(round_.moment.year).encode() not in client.get(reverse("rounds")).content
    assert client.get(reverse("round-detail", args=[round_.pk])).status_code == 404


def test_operator_reads_rounds_but_cannot_start_one(client, make_user, service):
    client.force_login(make_user("otto", Role.OPERATOR))
    assert client.get(reverse("rounds")).status_code == 200
    assert client.post(reverse("service-run-now", args=[service.pk])).status_code == 403
    assert not Round.objects.exists()


def test_dry_run_checks_everything_and_copies_nothing(client, make_user, service, minicluster):
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    # Its own URL, reached by GET: bookmarked, reloaded, never re-posted.
    assert client.post(reverse("service-dry-run", args=[service.pk])).status_code == 302
    page = client.get(reverse("service-dry-run", args=[service.pk]))
    checks = {c.name: c for c in page.context["checks"]}
    assert checks["snapshot roots on site-a"].ok
    assert checks["clock of site-b"].ok
    assert checks["console may write on the secondary"].ok
    assert "full copy" in checks["next round would move"].detail
    assert checks["secondary has room"].ok
    assert not Round.objects.exists()


def test_dry_run_names_the_fix_for_a_missing_snapshot_root(client, make_user, service):
    cluster = service.pairing.primary
    cluster.snapshot_root = "/data/acme"
    cluster.save()
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    checks = client.get(reverse("service-dry-run", args=[service.pk])).context["checks"]
    failed = next(c for c in checks if c.name == "snapshot roots on site-a")
    assert not failed.ok and "hdfs dfsadmin -allowSnapshot /data/acme" in failed.fix


def test_rpo_breach_shows_on_the_round_list_and_the_service(client, make_user, service):
    old = Round.objects.create(service=service, moment=timezone.now() - timedelta(minutes=20),
                               state=RoundState.CONSISTENT, snapshot_name="old")
    RestorePoint.objects.create(service=service, round=old, cluster=service.pairing.secondary,
                                snapshot_roots=["/data"], name="old", moment=old.moment)
    client.force_login(make_user("tina", Role.TENANT, tenant="acme"))
    banner = re.sub(r"\s+", " ", client.get(reverse("rounds")).content.decode())
    assert re.search(r"has no consistent restore point from the last 10 min \(2 periods of "
                     r"5 min\): the newest is 20 min( \d+ s)? old\.", banner)
    detail = client.get(reverse("service-detail", args=[service.pk])).content.decode()
    assert re.search(r"is 20 min( \d+ s)? old: in breach", detail)


def page_of(client, round_: Round, part: str = "") -> str:
    url = reverse("round-detail", args=[round_.pk]) + (f"?part={part}" if part else "")
    return re.sub(r"\s+", " ", client.get(url).content.decode())


def test_a_round_page_never_contradicts_itself(client, make_user, service):
    """What the header says agrees with its tasks: a copy under way counts the tasks'
    progress, a failed task while others copy is explained, each undone change is
    listed once, and a round that ended before its snapshot says so."""
    client.force_login(make_user("otto", Role.OPERATOR))
    running = Round.objects.create(service=service, moment=timezone.now(),
                                   state=RoundState.REPLICATING, snapshot_name="s1",
                                   rolled_back=["delete bills/a", "delete bills/a", "modify b"])
    for locator, state, done in (("/data/acme/bills", TaskState.COPYING, 19),
                                 ("/data/acme/other", TaskState.FAILED, 0)):
        DataSetTask.objects.create(round=running, component="hdfs", locator=locator,
                                   storage_path=locator, state=state, files_done=done,
                                   files_total=60, bytes_done=done * 1000,
                                   bytes_total=60_000, attempts=1)
    page = page_of(client, running)
    assert "19 of 120 files" in page
    assert "(1 data set failed; the others go on, then the round fails)" in page
    assert page.count("<code>delete bills/a</code>") == 1
    assert "2 changes made there since its restore point" in page

    missed = Round.objects.create(service=service, moment=timezone.now(),
                                  state=RoundState.FAILED, reason="the primary did not answer")
    page = page_of(client, missed)
    assert "none: the round ended before its snapshot" in page
    assert "No data set was copied: the round ended before its snapshot." in page
    assert "not taken yet" not in page and "Tasks start once" not in page


def test_the_live_part_of_a_round_page_is_the_page_without_its_frame(client, make_user,
                                                                       service):
    client.force_login(make_user("otto", Role.OPERATOR))
    round_ = Round.objects.create(service=service, moment=timezone.now(),
                                  state=RoundState.REPLICATING, snapshot_name="s1")
    live = page_of(client, round_, "live")
    assert 'id="round-state"' in live and "<html" not in live
    rows = client.get(reverse("rounds") + "?part=rows").content.decode()
    assert f'data-round="{round_.pk}"' in rows and "<html" not in rows


def test_sizes_and_components_read_as_people_name_them(client, make_user, service):
    """Binary multiples under binary names; component codes never shown raw."""
    from backups.templatetags.backup_tags import component, size

    assert size(300_000_000) == "286.1 MiB" and size(1) == "1 byte"
    assert component("sparksql") == "SparkSQL table"
    client.force_login(make_user("otto", Role.OPERATOR))
    Round.objects.create(service=service, moment=timezone.now(), state=RoundState.CONSISTENT,
                         snapshot_name="s1", bytes=300_000_000)
    assert "286.1 MiB" in client.get(reverse("rounds")).content.decode()


def test_rounds_filter_by_state_and_dates_in_the_query_string(client, make_user, service):
    client.force_login(make_user("otto", Role.OPERATOR))
    now = timezone.now()
    Round.objects.create(service=service, moment=now - timedelta(days=3),
                         state=RoundState.FAILED, snapshot_name="old")
    Round.objects.create(service=service, moment=now, state=RoundState.CONSISTENT,
                         snapshot_name="new")

    def shown(query: str) -> list[str]:
        page = client.get(reverse("rounds") + query).content.decode()
        return re.findall(r'<td class="state (\w+)">', page)

    assert shown("?state=failed") == ["failed"]
    assert shown(f"?since={(now - timedelta(days=1)).date()}") == ["consistent"]
    assert shown(f"?until={(now - timedelta(days=2)).date()}&state=failed") == ["failed"]
    assert client.get(reverse("rounds") + "?since=yesterday").status_code == 400
    page = client.get(reverse("rounds") + "?state=failed").content.decode()
    assert '<option value="failed" selected>' in page
