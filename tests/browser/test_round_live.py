"""A round's page follows the round live without reloading: progress moves in place, a
change of state brings the page's live part again, and other rounds' events leave it
alone."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backups.events import publish_round, publish_task
from backups.models import DataSetTask, Round, RoundState, TaskState
from console.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_round_page_follows_its_round_without_reloading(open_page, make_user, make_service,
                                                          pairing):
    make_user("otto", Role.OPERATOR)
    service = make_service(pairing)
    round_ = Round.objects.create(service=service, moment=timezone.now(),
                                  state=RoundState.REPLICATING, snapshot_name="s1")
    other = Round.objects.create(service=service, moment=timezone.now(),
                                 state=RoundState.REPLICATING, snapshot_name="s0")
    task = DataSetTask.objects.create(round=round_, component="hdfs", locator="/data/acme",
                                      storage_path="/data/acme", state=TaskState.COPYING,
                                      files_total=60, bytes_total=60_000, attempts=1)
    page = open_page("otto")
    page.goto(f"/rounds/{round_.pk}/")
    expect(page.locator("#live")).to_have_text("● live")  # this page's own socket
    page.evaluate("window.stayed = true")
    tenant = service.tenant_id

    task.files_done, task.bytes_done = 19, 19_000
    task.save()
    publish_task(task, tenant)
    expect(page.locator(f'tr[data-task="{task.pk}"] .progress-text')).to_have_text(
        "19/60 files")
    publish_task(DataSetTask.objects.create(round=other, component="hdfs", locator="/x",
                                            storage_path="/x"), tenant)

    task.state, task.files_done, task.bytes_done = TaskState.VERIFIED, 60, 60_000
    task.save()
    round_.state, round_.files, round_.bytes = RoundState.CONSISTENT, 60, 60_000
    round_.finished_at = timezone.now()
    round_.save()
    publish_task(task, tenant)
    publish_round(round_)
    expect(page.locator("#round-state")).to_have_text("consistent")
    expect(page.locator("#round-moved")).to_contain_text("60 files")
    expect(page.locator(f'tr[data-task="{task.pk}"] .task-state')).to_have_text("verified")
    assert page.evaluate("window.stayed") is True  # never reloaded
    publish_round(other)
    assert page.evaluate("window.stayed") is True
