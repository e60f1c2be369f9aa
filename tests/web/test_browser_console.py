"""End to end in Debian's Chromium: log in, clear three posts with the keyboard, audit them."""

from __future__ import annotations

import re

import pytest

from cqfriends.store.users import create_user
from cqfriends.web.app import create_app
from tests.factories import make_post
from tests.moderation.test_queue import add_pending
from tests.web.browser import serve_in_thread
from tests.web.sessions import PASSWORD, fast_passwords  # noqa: F401

pytestmark = pytest.mark.browser
CARDS = "#queue .card"


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
    with serve_in_thread(app) as url:
        yield url


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
