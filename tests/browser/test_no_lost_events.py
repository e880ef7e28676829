"""A page kept open shows every event of its time, across the sockets it loses: closed by
the server, and down while the console restarts."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backups.events import publish_round
from backups.models import Round, RoundState
from console import events
from console.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEPT_OPEN = 120.0  # seconds
PERIOD = 4.0  # between two rounds' events


def test_a_page_open_for_two_minutes_shows_every_event_across_reconnects(
    open_page, daphne, make_user, make_service, pairing
):
    otto = make_user("otto", Role.OPERATOR)
    service = make_service(pairing)
    page = open_page("otto")
    page.evaluate("window.reconnects = 0; lockstep.on('reconnected', () => window.reconnects++)")
    base = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    published = []

    def publish() -> None:
        # Each round its own line: one event per round, a minute apart in their moments.
        round_ = Round.objects.create(service=service, state=RoundState.REPLICATING,
                                      moment=base + timedelta(minutes=len(published)),
                                      snapshot_name=f"r{len(published)}")
        publish_round(round_)
        published.append(round_.pk)

    def socket_closed_by_the_server() -> None:
        events.control(events.user_group(otto.pk), "close")
        publish()  # while the page waits to reconnect
        publish()

    def console_restarted() -> None:
        daphne.stop()
        for _ in range(3):
            publish()
        daphne.start()

    faults = {8: socket_closed_by_the_server, 15: console_restarted,
              22: socket_closed_by_the_server}
    started = time.monotonic()
    for step in range(int(KEPT_OPEN / PERIOD)):
        publish()
        if step in faults:
            faults[step]()
        time.sleep(max(0.0, started + (step + 1) * PERIOD - time.monotonic()))

    lines = page.locator("#events li")
    expect(lines).to_have_count(len(published))  # each round once: none lost, none twice
    assert page.evaluate("window.reconnects") == 3
    expect(page.locator("#live")).to_have_text("● live")
    texts = lines.all_inner_texts()
    assert all("acme/bill clearing: round at" in text and "replicating" in text
               for text in texts)
