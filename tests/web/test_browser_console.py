"""End to end in Debian's Chromium: log in, clear three posts with the keyboard, audit them."""

from __future__ import annotations

import base64
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from moderation.users import create_user
from tests.factories import make_post
from tests.moderation.test_queue import add_pending
from tests.web.sessions import PASSWORD, fast_passwords  # noqa: F401
from web.app import create_app

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk"
                         "YAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
REMOTE = re.compile(r"^https?://(?!127\.0\.0\.1)")
CARDS = "#queue .card"


@pytest.fixture(scope="module")
def browser():
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


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.route(REMOTE, lambda route: route.fulfill(status=200, body=PIXEL,
                                                   content_type="image/png"))
    yield page
    context.close()


@pytest.fixture
def server(settings):
    app = create_app(settings)
    engine = app.state.engine
    create_user(engine=engine, username="li", role="admin", password=PASSWORD)
    add_pending(engine, [
        make_post(text='Hotpot night <script>window.__pwned=1</script> #ChongqingFriends'),
        make_post(text="Cable car over the Yangtze #ChongqingFriends"),
        make_post(text="Raffles City at dusk #ChongqingFriends"),
        make_post(text="Learn Chongqing dialect #ChongqingFriends")])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


def wait_for_cards(page, n: int) -> None:
    page.wait_for_function(f"document.querySelectorAll({CARDS!r}).length === {n}", timeout=5000)


def test_clear_three_posts_with_the_keyboard(page, server):
    page.goto(server + "/moderation")
    assert "/login" in page.url
    page.fill("input[name=username]", "li")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/moderation$"))
    wait_for_cards(page, 4)
    keys = page.locator(CARDS).evaluate_all("els => els.map(e => e.dataset.key)")
    assert page.evaluate("window.__pwned === undefined")
    assert page.get_by_text("<script>window.__pwned=1</script>", exact=False).is_visible()

    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("?")
    page.keyboard.press("2")  # section 2 (professional), then approve
    page.keyboard.press("a")
    wait_for_cards(page, 3)
    page.keyboard.press("r")  # reject with the first reason
    wait_for_cards(page, 2)
    page.keyboard.press("j")  # skip one item, approve the last into the first section
    page.keyboard.press("a")
    wait_for_cards(page, 1)
    assert "approved " + keys[3] in page.locator("#status").text_content()

    page.reload()
    left = page.locator(CARDS).evaluate_all("els => els.map(e => e.dataset.key)")
    assert left == [keys[2]]

    page.click("text=Audit log")
    rows = page.locator("#audit tr").all_inner_texts()
    decided = {key: row for row in rows for key in keys if key in row}
    assert set(decided) == {keys[0], keys[1], keys[3]}
    assert "approve" in decided[keys[0]] and "professional" in decided[keys[0]]
    assert "reject" in decided[keys[1]] and "off-topic" in decided[keys[1]]
    assert "mobile" in decided[keys[3]]
    assert page.errors == []
