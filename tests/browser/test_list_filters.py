"""A filtered list is a link: its filters survive a reload and show what they are set to."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backups.models import Round, RoundState
from console.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_round_filters_survive_a_reload(open_page, make_user, make_service, pairing):
    make_user("otto", Role.OPERATOR)
    service = make_service(pairing)
    for minutes, state in ((30, RoundState.FAILED), (5, RoundState.CONSISTENT)):
        Round.objects.create(service=service, state=state, snapshot_name=f"s{minutes}",
                             moment=timezone.now() - timedelta(minutes=minutes))
    page = open_page("otto")
    page.goto("/rounds/")
    page.select_option("#round-filters select[name=state]", "failed")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url("/rounds/?service=&state=failed&since=&until=", ignore_case=True)
    page.reload()
    expect(page.locator("#round-filters select[name=state]")).to_have_value("failed")
    expect(page.locator("#round-rows tr")).to_have_count(1)
    expect(page.locator("#round-rows td.state")).to_have_text("failed")
