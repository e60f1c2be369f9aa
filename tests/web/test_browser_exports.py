"""The theme page and /signage rendered in Debian's Chromium (Playwright, no downloads)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cqfriends.export.site import build_site
from cqfriends.normalize.post import Media
from cqfriends.web.app import create_app
from tests.conftest import make_settings
from tests.export.archived import archive_all
from tests.export.conftest import make_adder, nasty_post
from tests.factories import make_post
from tests.web.browser import serve_in_thread, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(tmp_path, sqlite_url):
    base = make_settings(tmp_path, sqlite_url)
    led = base.export.led.model_copy(update={"seconds_per_item": 1, "width": 960,
                                             "height": 540})
    return base.model_copy(update={
        "export": base.export.model_copy(update={"led": led}),
        "web": base.web.model_copy(update={"public_feeds": True})})


@pytest.fixture
def works(settings):
    from cqfriends.store.db import get_engine

    add = make_adder(get_engine(settings.database.url))
    add(nasty_post(), make_post(text="Cable car over the Yangtze"), featured=True)
    add(make_post(text="Raffles City at dusk"), section="professional")
    video = Media(type="video", url="https://v.douyin.com/clip.mp4",
                  preview_url="https://p.douyin.com/cover.jpg", duration_ms=3000)
    add(make_post(source="douyin", text="Learn Chongqing dialect", media=[video]),
        section="short-video")
    archive_all(get_engine(settings.database.url), settings)
    return get_engine(settings.database.url)


def test_theme_page_shows_the_works_without_console_errors(page, settings, works):
    build_site(engine=works, settings=settings)
    root = Path(settings.export.site_dir)
    page.goto((root / "index.html").resolve().as_uri())
    assert page.locator(".featured .card").count() == 2
    assert page.locator("main .grid .card").count() == 4
    assert page.get_by_text("Cable car over the Yangtze").first.is_visible()
    assert page.evaluate("window.__pwned === undefined")  # the <script> caption stayed text
    alts = page.locator("main img").evaluate_all("els => els.map(e => e.alt)")
    assert alts and all(alts)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.get_by_text("Raffles City at dusk").first.click()
    assert "View the original post" in page.content()
    page.go_back()
    page.locator("nav[aria-label=Sections] a").nth(2).click()
    assert page.get_by_text("Learn Chongqing dialect").is_visible()
    assert page.errors == []


@pytest.fixture
def server(settings, works):
    with serve_in_thread(create_app(settings)) as url:
        yield url


def test_signage_cycles_the_featured_works_and_reloads_the_playlist(page, server):
    reloads = []
    page.on("request", lambda r: "playlist.json" in r.url and reloads.append(r.url))
    page.goto(server + "/signage")
    wait_until(page, "document.querySelector('#caption').textContent.length > 0")
    first = page.locator("#caption").text_content()
    wait_until(page, f"document.querySelector('#caption').textContent !== {first!r}")
    captions = {first, page.locator("#caption").text_content()}
    assert any(c.startswith("Hotpot night <script>") for c in captions)  # shown as text
    assert page.locator("#stage img").count() == 1
    page.wait_for_timeout(2500)  # past the end of a cycle: the playlist is fetched again
    assert reloads
    assert page.evaluate("window.__pwned === undefined")
    assert page.errors == []
