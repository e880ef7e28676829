"""Browser fixtures: Debian's chromium driven by Playwright against pytest-django's live
server (WSGI, so the pages' websocket stays offline; the page flows do not need it)."""

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
# The clusters page asks every endpoint of every cluster before it shows their state.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromium per test module (launching takes half a second).

    Playwright's sync API keeps an asyncio loop running in this thread while it is
    started, and Django refuses ORM calls (the tests' own, the test database's flush)
    from a thread with a running loop. The loop is idle whenever a test's code runs, so
    the refusal is lifted, but only while Playwright runs: module scope, not session
    scope, so that neither the loop nor the lifted refusal outlives these tests and
    reaches the rest of the suite (async_to_sync refuses to run beside a running loop).
    """
    expect.set_options(timeout=TIMEOUT_MS)
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    """A fresh browser context (no cookies) on the live console, in Berlin's time zone so
    that the console's UTC and the browser's wall-clock time differ."""
    context = browser.new_context(base_url=live_server.url, timezone_id="Europe/Berlin",
                                  locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def log_in(page: Page) -> Callable[[str], Page]:
    """Log `username` in through the real login form; returns the page, on the overview."""

    def log_in(username: str, password: str = PASSWORD) -> Page:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        expect(page.locator("header .who")).to_contain_text(username)
        return page

    return log_in
