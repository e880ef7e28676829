"""A primary fails while people are on their pages, with the monitor and daphne running as
the demo runs them: every operator's and administrator's page shows the fault banner
within the grace period (and two seconds), a tenant's never; it stays until it is
decided, and goes away live on every page once it is dismissed or its primary recovers."""

import time

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from console.models import AuditEntry
from console.roles import Role
from failover.models import FaultPrompt, PromptState
from tests.backups.test_failures import webhdfs_stopped

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GRACE = settings.LOCKSTEP_FAULT_GRACE
# Seen by the next probe, at most an interval after the stop, then the grace; half a
# second for the confirming probe, the database, the push and the page.
WITHIN = GRACE + settings.LOCKSTEP_MONITOR_INTERVAL + 0.5
BANNER = "#fault-prompts li"


def wait_for_banner(page: Page, timeout: float) -> None:
    page.wait_for_selector(BANNER, timeout=timeout * 1000)


def test_operators_see_the_banner_arrive_live_tenants_never_and_a_dismissal_takes_it_down(
    open_page, start_monitor, make_user, pairing, minicluster
):
    make_user("otto", Role.OPERATOR)
    make_user("ada", Role.ADMINISTRATOR)
    make_user("tina", Role.TENANT, tenant="acme")
    start_monitor()  # production grace and interval: the timing is under test
    operator, administrator, tenant = (open_page(name) for name in ("otto", "ada", "tina"))
    operator.goto("/rounds/")
    administrator.goto("/services/")
    tenant.goto("/rounds/")
    for page in (operator, administrator, tenant):
        expect(page.locator("#live")).to_have_text("● live")
        expect(page.locator(BANNER)).to_have_count(0)

    # The fault begins while the server stops (SIGTERM, then the wait for its exit, which
    # takes a while on a loaded machine): not before the stop begins, nor after it ends.
    stopping = time.monotonic()
    with webhdfs_stopped(minicluster, "site-a"):
        stopped = time.monotonic()
        wait_for_banner(operator, GRACE + 10)
        arrived = time.monotonic()
    print(f"WebHDFS stopping → banner on the operator's page: {arrived - stopping:.2f} s "
          f"({arrived - stopped:.2f} s after it had stopped)")
    assert arrived - stopping >= GRACE and arrived - stopped <= WITHIN
    banner = operator.locator(BANNER)
    expect(banner).to_contain_text("The primary site-a has failed")
    expect(banner).to_contain_text("WebHDFS")
    expect(administrator.locator(BANNER)).to_have_count(1)
    expect(tenant.locator(BANNER)).to_have_count(0)
    expect(tenant.locator("#fault-prompts")).to_have_count(0)
    # A reload keeps it: it is on every page until it is decided.
    operator.reload()
    expect(operator.locator(BANNER)).to_have_count(1)

    operator.locator(BANNER).get_by_role("link").click()
    prompt = FaultPrompt.objects.get()
    card = operator.locator(f"#prompt-{prompt.pk}")
    expect(card).to_contain_text("Fail over to site-b")
    reason = "WebHDFS of site-a was restarted on purpose"
    card.locator("form.dismiss textarea[name=reason]").fill(reason)
    card.get_by_role("button", name="Dismiss").click()
    expect(operator.locator("ul.messages")).to_contain_text("Dismissed the fault prompt")
    expect(operator.locator(BANNER)).to_have_count(0)
    # Gone live from the page the administrator kept open.
    expect(administrator.locator(BANNER)).to_have_count(0)
    assert FaultPrompt.objects.get().state == PromptState.DISMISSED
    entry = AuditEntry.objects.get(action="prompt.dismiss")
    assert (entry.actor_name, entry.outcome, entry.detail) == ("otto", "success", reason)


def test_the_banner_goes_away_live_when_its_primary_recovers(
    open_page, start_monitor, make_user, pairing, minicluster
):
    make_user("otto", Role.OPERATOR)
    # Short settings: how soon a prompt opens or closes is tested elsewhere
    # (tests/failover/test_monitor.py); here only that its closing reaches the page.
    start_monitor(LOCKSTEP_FAULT_GRACE="2", LOCKSTEP_FAULT_RECOVERY="3")
    operator = open_page("otto")
    operator.goto("/services/")
    with webhdfs_stopped(minicluster, "site-a"):
        wait_for_banner(operator, 15)
    expect(operator.locator(BANNER)).to_have_count(0, timeout=30_000)
    prompt = FaultPrompt.objects.get()
    assert prompt.state == PromptState.RECOVERED
    operator.goto("/failover/")
    expect(operator.locator("#prompt-history")).to_contain_text(prompt.note)
