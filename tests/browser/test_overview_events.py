"""The Overview's live events card shows what happens to the rounds, clusters, prompts
and switchovers a user may see, one line per change of state, as daphne pushes it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backups.events import publish_round
from backups.models import Round, RoundState
from console.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_overview_lists_each_change_of_a_rounds_state_once(open_page, make_user,
                                                               make_service, pairing):
    make_user("otto", Role.OPERATOR)
    make_user("gil", Role.TENANT, tenant="globex")
    service = make_service(pairing)
    operator, stranger = open_page("otto"), open_page("gil")
    operator.goto("/")
    stranger.goto("/")
    for page in (operator, stranger):  # each page load opens a socket of its own
        expect(page.locator("#live")).to_have_text("● live")
    round_ = Round.objects.create(service=service, moment=timezone.now() + timedelta(seconds=1),
                                  state=RoundState.REPLICATING, snapshot_name="r1")
    publish_round(round_)
    publish_round(round_)  # progress within the same state: no second line
    round_.state = RoundState.CONSISTENT
    round_.save()
    publish_round(round_)

    lines = operator.locator("#events li")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("acme/bill clearing: round at")
    expect(lines.nth(0)).to_contain_text("consistent")
    expect(lines.nth(1)).to_contain_text("replicating")
    expect(operator.locator("#events-empty")).to_be_hidden()
    # Another tenant's page never hears of acme's rounds.
    expect(stranger.locator("#events li")).to_have_count(0)
