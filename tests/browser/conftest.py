"""Browser fixtures: one live server on the demo database and one Chromium per session, a fresh
browser context (its own cookies) for every test.

Chromium is Debian's (/usr/bin/chromium); Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.conftest import RUN_ID
from tests.live import LiveServer, live_environment

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def live_server(redis_url: str) -> Iterator[LiveServer]:
    with live_environment("browser", redis_url, RUN_ID) as live:
        # Every open page holds a thread for its live connection (Socket.IO in threading mode).
        # A short polling period, so the test of a page without its live connection is quick.
        yield live.start_server(threads=32, extra_env={"NOTIFICATION_POLL_SECONDS": "5"})


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(live_server: LiveServer, browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Open another browser context (another person, or the same person in another browser).

    The server is set up before the browser so that it stops after it: with Chromium's keep-alive
    connections gone, gunicorn stops at once instead of after its graceful timeout.
    """
    opened: list[BrowserContext] = []

    def factory(locale: str = "en-US") -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context

    yield factory
    for context in opened:
        context.close()


@pytest.fixture
def new_page(new_context: Callable[..., BrowserContext]) -> Callable[..., Page]:
    """A page in a fresh context of its own."""

    def factory(locale: str = "en-US") -> Page:
        return new_context(locale).new_page()

    return factory


@pytest.fixture
def screenshot_dir() -> Path | None:
    """Where screenshots go (ERP_SCREENSHOT_DIR), or None: saving them is optional."""
    value = os.environ.get("ERP_SCREENSHOT_DIR")
    if not value:
        return None
    path = Path(value)
    path.mkdir(parents=True, exist_ok=True)
    return path
