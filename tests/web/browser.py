"""Browser-test plumbing: Debian's Chromium through Playwright, and the app on a thread.

The ``browser`` (one per test session) and ``page`` fixtures are registered once, in
tests/conftest.py: importing them into a module would start a second Playwright.
Chromium is never downloaded: without /usr/bin/chromium the tests skip, and
under CI=true that is a failure.  Remote media requests get a 1x1 PNG, so no
test touches the network.
"""

from __future__ import annotations

import base64
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.processes import free_port

CHROMIUM = "/usr/bin/chromium"
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk"
                         "YAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
REMOTE = re.compile(r"^https?://(?!127\.0\.0\.1)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole run (a launch costs about a second)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is required in CI")
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


def new_page(browser: Any, **context_options: Any) -> Any:
    """A page in a fresh context that records console errors (CSP refusals included) in
    ``page.errors``; remote media requests get a 1x1 PNG."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 720},
                                     **context_options})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.route(REMOTE, lambda route: route.fulfill(status=200, body=PIXEL,
                                                   content_type="image/png"))
    return page


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that records console errors in ``page.errors``."""
    page = new_page(browser)
    yield page
    page.context.close()


def wait_until(page: Any, expression: str, timeout: float = 5.0) -> None:
    """Poll ``expression`` until it is truthy, across page reloads.

    Playwright's wait_for_function evaluates its predicate with eval(), which the
    app's Content-Security-Policy rightly refuses; page.evaluate is not subject to it.
    """
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression):
                return
        except Error as e:  # the page navigated while we asked: ask the new one
            if "destroyed" not in str(e) and "navigat" not in str(e):
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {expression}")
        time.sleep(0.05)


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
