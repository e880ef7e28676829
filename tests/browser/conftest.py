"""Browser fixtures: Debian's chromium driven by Playwright against pytest-django's live
server (WSGI, so the pages' websocket stays offline; the page flows do not need it), or
against daphne where a test needs live events."""

import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from minicluster import processes
from minicluster.layout import HOST
from minicluster.webhdfs.launcher import free_port
from tests.conftest import PASSWORD, ROOT, console_env

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


def log_in_as(page: Page, username: str, password: str = PASSWORD) -> Page:
    """Log `username` in through the real login form; returns the page, on the overview."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("header .who")).to_contain_text(username)
    return page


@pytest.fixture
def log_in(page: Page) -> Callable[[str], Page]:
    """`log_in_as` on the test's page."""
    return lambda username, password=PASSWORD: log_in_as(page, username, password)


@dataclass
class Daphne:
    """daphne serving the console on the test database, as `./lockstep demo` serves it
    (unlike the live server, it carries the pages' websocket)."""

    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(self.port),
                 "console.asgi:application"], cwd=ROOT, env=console_env(),
                stdout=out, stderr=subprocess.STDOUT)
        assert processes.wait_until(
            lambda: processes.http_ok(f"{self.url}/accounts/login/"), 60), self.log.read_text()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def daphne(transactional_db, tmp_path) -> Iterator[Daphne]:
    server = Daphne(tmp_path / "daphne.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def console_url(daphne: Daphne) -> str:
    return daphne.url


@pytest.fixture
def open_page(browser: Browser, console_url: str) -> Iterator[Callable[[str], Page]]:
    """Pages of their own (each a fresh browser context) on the daphne-served console,
    logged in as the given user, with the live badge on."""
    contexts = []

    def open_page(username: str) -> Page:
        context = browser.new_context(base_url=console_url, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = log_in_as(context.new_page(), username)
        expect(page.locator("#live")).to_have_text("● live")
        return page

    yield open_page
    for context in contexts:
        context.close()
