"""In Debian's Chromium, with the media server STOPPED and every other address refused: the
theme page and the LED page, each served from its export folder by a plain file server,
show every archived work from their own copies (every image loaded, video posters shown),
and the LED page holds each work for its seconds, a holding card when every file fails."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cqfriends.export.led import write_led
from cqfriends.export.site import build_site
from cqfriends.media.archive import Archive
from cqfriends.normalize.post import Media
from cqfriends.store.db import get_engine
from tests.export.conftest import make_adder
from tests.factories import make_post
from tests.media import files
from tests.media.conftest import media_settings
from tests.media.server import MediaServer
from tests.web.browser import wait_until

pytestmark = pytest.mark.browser
SECONDS = 2
IMAGES_LOADED = "[...document.images].every(i => i.complete && i.naturalWidth > 0)"
POSTER_WIDTH = """async (poster) => await new Promise(done => {
    const still = new Image();
    still.onload = () => done(still.naturalWidth); still.onerror = () => done(0);
    still.src = poster; })"""
# Every change of the stage, time-stamped in the page (changes within 150 ms are one flip).
RECORD_FLIPS = """() => {
    window.flips = [];
    const note = () => {
        const now = performance.now(), last = window.flips[window.flips.length - 1];
        const key = document.querySelector('#media').dataset.key || 'holding';
        if (!last || now - last.t > 150) { window.flips.push({t: now, key: key}); }
        else { last.key = key; }
    };
    new MutationObserver(note).observe(document.querySelector('#stage'),
        {subtree: true, childList: true, attributes: true, attributeFilter: ['hidden']});
}"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def file_server(root: Path) -> Iterator[str]:
    """A plain static file server (Python's http.server) on the folder ``root``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=os.path.realpath(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def archived(tmp_path, sqlite_url):
    """Two photos, a video and an expired link, approved and featured, archived from a local
    media server that is then stopped."""
    base = media_settings(tmp_path, sqlite_url)
    led = base.export.led.model_copy(update={"seconds_per_item": SECONDS, "width": 960,
                                             "height": 540})
    settings = base.model_copy(update={"export": base.export.model_copy(update={"led": led})})
    engine = get_engine(settings.database.url)
    media = MediaServer().start()
    jpeg = media.add("/a.jpg", files.jpeg(2400, 1600, orientation=6))
    png = media.add("/b.png", files.png(900, 700), "image/png")
    clip = media.add("/c.mp4", files.mp4(seconds=1.0), "video/mp4")
    add = make_adder(engine)
    add(make_post(text="Photo on the cable car", media=[Media("photo", url=jpeg)]),
        make_post(text="Photo of Hongyadong", media=[Media("photo", url=png)]), featured=True)
    add(make_post(source="douyin", text="Dialect lesson video", media=[Media("video", url=clip)]),
        section="short-video", featured=True)
    add(make_post(text="Expired", media=[Media("photo", url=media.url("/gone.jpg"))]),
        featured=True)
    summary = Archive(settings, engine).run()
    assert (summary.fetched, summary.failed) == (3, 1)
    media.stop()  # from here on only our copies exist
    return settings, engine


def offline(page, base: str) -> list[str]:
    """Refuse every request that is not to ``base``; the refused URLs."""
    refused: list[str] = []

    def only_ours(route) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_ours)
    return refused


def show_every_image(page) -> None:
    for n in range(page.locator("img").count()):
        page.locator("img").nth(n).scroll_into_view_if_needed()
    wait_until(page, IMAGES_LOADED, timeout=10)


def test_theme_page_from_a_plain_file_server_shows_every_work_offline(page, archived):
    settings, engine = archived
    build_site(engine=engine, settings=settings)
    with file_server(Path(settings.export.site_dir)) as base:
        refused = offline(page, base)
        page.goto(base + "/index.html")
        show_every_image(page)
        assert page.locator("main img").count() == 6  # 3 featured, 2 mobile, 1 short video
        assert page.locator(".placeholder").count() == 2  # the expired one, strip + section
        for link in page.locator(".featured .card-link").evaluate_all(
                "links => links.map(a => a.href)"):
            page.goto(link)
            show_every_image(page)
            if page.locator("video").count():
                poster = page.locator("video").get_attribute("poster")
                assert page.evaluate(POSTER_WIDTH, poster) == 320
                page.evaluate("v => { v.preload = 'metadata'; v.load(); }",
                              page.locator("video").element_handle())
                wait_until(page, "document.querySelector('video').readyState >= 1", timeout=10)
        assert refused == [] and page.errors == []


def test_led_page_plays_offline_and_holds_each_work_for_its_seconds(page, archived):
    settings, engine = archived
    out = Path(settings.export.led_dir)
    assert write_led(engine=engine, settings=settings, out_dir=out)["items"] == 3
    with file_server(out) as base:
        refused = offline(page, base)
        page.goto(base + "/index.html")
        page.evaluate(RECORD_FLIPS)
        seen = set()
        for _ in range(3):
            wait_until(page, "document.querySelector('#media').dataset.key && "
                             f"!{sorted(seen)!r}.includes(document.querySelector('#media')"
                             ".dataset.key)", timeout=3 * SECONDS + 2)
            key = page.evaluate("document.querySelector('#media').dataset.key")
            if page.locator("#media video").count():
                wait_until(page, "document.querySelector('#media video').readyState >= 2")
                poster = page.locator("#media video").get_attribute("poster")
                assert page.evaluate(POSTER_WIDTH, poster) == 320
            else:
                wait_until(page, IMAGES_LOADED)
            seen.add(key)
        page.wait_for_timeout(SECONDS * 2000)
        flips = page.evaluate("window.flips")
        assert len(seen) == 3 and refused == [] and page.errors == []
    gaps = [b["t"] - a["t"] for a, b in zip(flips, flips[1:], strict=False)]
    assert len(gaps) >= 3 and all(gap >= SECONDS * 1000 - 60 for gap in gaps), gaps


def test_led_page_shows_a_calm_holding_card_when_every_file_fails(page, archived):
    settings, engine = archived
    out = Path(settings.export.led_dir)
    write_led(engine=engine, settings=settings, out_dir=out)
    for path in (out / "media").rglob("*"):  # the files are lost (a disk swapped, say)
        if path.is_file():
            path.unlink()
    with file_server(out) as base:
        offline(page, base)
        page.goto(base + "/index.html")
        page.evaluate(RECORD_FLIPS)
        page.wait_for_timeout(SECONDS * 3000 + 500)
        flips = page.evaluate("window.flips")
        assert page.locator("#empty").is_visible()
        assert page.locator("#empty").text_content() == settings.campaign.name
    gaps = [b["t"] - a["t"] for a, b in zip(flips, flips[1:], strict=False)]
    assert all(gap >= SECONDS * 1000 - 60 for gap in gaps), gaps
    assert {f["key"] for f in flips} <= {"holding"}


@pytest.mark.parametrize("locale", ["en", "zh-Hans"], ids=["en", "zh"])
def test_screens_of_the_theme_page_and_led_in_both_languages(page, archived, locale):
    settings, engine = archived
    settings = settings.model_copy(update={"export": settings.export.model_copy(
        update={"language": locale})})
    build_site(engine=engine, settings=settings)
    write_led(engine=engine, settings=settings)
    with file_server(Path(settings.export.site_dir)) as base:
        refused = offline(page, base)
        page.goto(base + "/index.html")
        show_every_image(page)
        shoot(page, f"theme-media-{locale}")
        page.locator(".card-link", has_text="Dialect lesson").first.click()
        wait_until(page, "document.querySelector('video') !== null")
        shoot(page, f"theme-video-{locale}")
        assert refused == []
    with file_server(Path(settings.export.led_dir)) as base:
        offline(page, base)
        page.goto(base + "/index.html")
        wait_until(page, "document.querySelector('#media').dataset.key !== undefined && "
                         + IMAGES_LOADED)
        shoot(page, f"led-{locale}")
    assert page.errors == []


def shoot(page, name: str) -> None:
    folder = Path(os.environ.get("CQF_SCREENSHOT_DIR") or "/tmp/cqf-screens")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
