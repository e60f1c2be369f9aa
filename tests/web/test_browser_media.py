"""In Debian's Chromium, with the media server STOPPED: the console's cards and post pages show
every archived work from /media/ (every image loaded, the video's poster shown and the video
playable), a placeholder while a copy is fetched and, translated, why media is missing."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from cqfriends.media.archive import Archive
from cqfriends.normalize.post import Media
from cqfriends.store.users import create_user, set_user_locale
from cqfriends.web.app import create_app
from tests.export.conftest import make_adder
from tests.factories import make_post
from tests.media import files
from tests.media.conftest import media_settings
from tests.media.server import MediaServer
from tests.web.browser import serve_in_thread, wait_until
from tests.web.sessions import PASSWORD, fast_passwords  # noqa: F401

pytestmark = pytest.mark.browser
LOADED = ("[...document.querySelectorAll('.card .media img')]"
          ".every(i => i.complete && i.naturalWidth > 0)")
POSTER_WIDTH = """async (poster) => await new Promise(done => {
    const still = new Image();
    still.onload = () => done(still.naturalWidth); still.onerror = () => done(0);
    still.src = poster; })"""


@pytest.fixture
def console(tmp_path, sqlite_url):
    settings = media_settings(tmp_path, sqlite_url)
    app = create_app(settings)
    engine = app.state.engine
    for name, locale in (("li", "en"), ("wang", "zh-Hans")):
        create_user(engine=engine, username=name, role="moderator", password=PASSWORD)
        set_user_locale(engine=engine, username=name, locale=locale)
    media = MediaServer().start()
    photo = media.add("/p.jpg", files.jpeg(1600, 1200, seed=4))
    clip = media.add("/v.mp4", files.mp4(seconds=2.0), "video/mp4")
    add = make_adder(engine)
    add(make_post(text="Hotpot photo #ChongqingFriends", media=[Media("photo", url=photo)]),
        make_post(source="douyin", text="Dialect lesson #ChongqingFriends",
                  media=[Media("video", url=clip)]),
        make_post(text="Expired link #ChongqingFriends",
                  media=[Media("photo", url=media.url("/expired.jpg"))]), status="pending")
    assert Archive(settings, engine).run().fetched == 2
    media.stop()  # from here on only our copies exist
    add(make_post(text="Collected a moment ago #ChongqingFriends"), status="pending")
    with serve_in_thread(app) as url:
        yield url


def log_in(page, base: str, user: str) -> None:
    page.goto(base + "/moderation")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action=\"/login\"] button[type=submit]")
    page.wait_for_url(re.compile(r"/moderation"))


@pytest.mark.parametrize(("user", "locale"), [("li", "en"), ("wang", "zh-Hans")],
                         ids=["en", "zh"])
def test_cards_show_our_copies_with_the_media_server_stopped(page, console, user, locale):
    log_in(page, console, user)
    wait_until(page, "document.querySelectorAll('#queue .card').length === 4")
    wait_until(page, LOADED, timeout=10)
    assert page.locator(".card .media img").count() == 1
    sources = page.locator(".card .media img, .card .media video").evaluate_all(
        "els => els.map(e => e.getAttribute('src') || e.getAttribute('poster'))")
    assert all(re.fullmatch(r"/media/[0-9a-f]{64}/(thumb|poster)", s) for s in sources)
    poster = page.locator(".card video").get_attribute("poster")
    assert page.evaluate(POSTER_WIDTH, poster) == 320
    page.locator(".card video").evaluate("v => { v.preload = 'metadata'; v.load(); }")
    wait_until(page, "document.querySelector('.card video').readyState >= 1", timeout=10)
    missing = page.locator(".media-placeholder.state-failed")
    waiting = page.locator(".media-placeholder.state-pending")
    assert missing.count() == 1 and waiting.count() == 1
    expired = ("平台链接已过期" if locale == "zh-Hans"
               else "The platform's link has expired or the file was deleted there.")
    assert expired in missing.text_content()
    assert "HTTP 404" in missing.get_attribute("title")  # the archive's own words
    assert "HTTP 404" in page.locator(".card .flags").text_content()
    shoot(page, f"console-media-{locale}")
    page.locator(".card", has_text="Hotpot photo").get_by_role("link", name=re.compile(
        "history|历史")).click()
    wait_until(page, "document.querySelectorAll('.post-media img').length === 1 && "
                     "document.querySelector('.post-media img').naturalWidth === 1600")
    assert page.errors == []


def shoot(page, name: str) -> None:
    folder = Path(os.environ.get("CQF_SCREENSHOT_DIR") or "/tmp/cqf-screens")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
