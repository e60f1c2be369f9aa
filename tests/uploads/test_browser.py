"""A participant uploads a photo from a phone in Chinese and gets a receipt; a moderator
approves it with the mouse; it shows on the theme page in its section with the credit name.

Screenshots of the upload page and the receipt in both languages (phone-sized) go to
$CQF_SCREENSHOT_DIR when set.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from cqfriends.export.site import build_site
from cqfriends.store.users import create_user
from cqfriends.web.app import create_app
from tests.media.files import jpeg
from tests.uploads.conftest import upload_settings
from tests.web.browser import new_page, serve_in_thread, wait_until
from tests.web.sessions import PASSWORD

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
CARDS = "article.card"


@pytest.fixture
def app_url(browser, tmp_path, sqlite_url):
    settings = upload_settings(tmp_path, sqlite_url, proof_of_work=True)
    app = create_app(settings)
    create_user(engine=app.state.engine, username="wang", role="moderator", password=PASSWORD)
    with serve_in_thread(app) as url:
        yield app, url


def shots() -> Path | None:
    folder = os.environ.get("CQF_SCREENSHOT_DIR")
    return Path(folder) if folder else None


def participant_uploads(browser, url: str, tmp_path: Path, lang: str, title: str) -> str:
    page = new_page(browser, locale=lang, extra_http_headers={"Accept-Language": lang}, **PHONE)
    page.goto(url + "/upload?section=professional")
    assert page.locator('input[name="section"][value="professional"]').is_checked()
    photo = tmp_path / f"{lang}.jpg"
    photo.write_bytes(jpeg(1600, 1200, gps=True, seed=3 if lang.startswith("zh") else 6))
    page.locator('input[name="title"]').fill(title)
    page.locator('textarea[name="description"]').fill("嘉陵江上的夜景 #ChongqingFriends")
    page.locator('input[name="file"]').set_input_files(str(photo))
    page.locator('input[name="credit_name"]').fill("李华 Li Hua")
    page.locator('input[name="email"]').fill("lihua@example.org")
    page.locator('input[name="consent_led"]').check()
    name = "zh" if lang.startswith("zh") else "en"
    if shots():
        page.screenshot(path=str(shots() / f"upload-{name}.png"), full_page=True)
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/upload/receipt/"), timeout=20000)
    assert page.errors == []
    if shots():
        page.screenshot(path=str(shots() / f"receipt-{name}.png"), full_page=True)
    text = page.locator("main").inner_text()
    page.context.close()
    return text


def test_a_phone_upload_in_chinese_is_approved_and_shown_on_the_theme_page(
        app_url, browser, tmp_path):
    app, url = app_url
    receipt = participant_uploads(browser, url, tmp_path, "zh-CN", "洪崖洞夜景")
    assert "审核中" in receipt and "洪崖洞夜景" in receipt and "专业作品" in receipt
    english = participant_uploads(browser, url, tmp_path, "en-US", "Chaotianmen bridge")
    assert "in review" in english

    page = new_page(browser)
    page.goto(url + "/login")
    page.fill("input[name=username]", "wang")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(re.compile(r"/moderation"))
    wait_until(page, f"document.querySelectorAll({CARDS!r}).length === 2")
    card = page.locator(f'{CARDS}[data-key="upload:1"]')
    assert card.locator('input[name="section"][value="professional"]').is_checked()
    card.locator("button[value=approve]").click()
    wait_until(page, f"document.querySelectorAll({CARDS!r}).length === 1")

    build_site(engine=app.state.engine, settings=app.state.settings)
    page.goto(url + "/site/sections/professional/index.html")
    shown = page.locator("main").inner_text()
    assert "洪崖洞夜景" in shown and "李华 Li Hua" in shown
    assert "Chaotianmen" not in shown  # still in the queue
    assert page.locator('a[href="/upload?section=professional"]').count() == 1
    page.context.close()


def test_the_page_sends_a_video_by_tus_and_resumes_after_a_dropped_connection(
        app_url, browser, tmp_path):
    from tests.media.files import mp4

    app, url = app_url
    video = tmp_path / "clip.mp4"
    video.write_bytes(mp4(seconds=2.0, seed=3))
    page = new_page(browser, **PHONE)
    dropped = []

    def drop_first_patch(route):
        if route.request.method == "PATCH" and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(re.compile(r"/upload/tus"), drop_first_patch)
    page.goto(url + "/upload?section=short-video&lang=en")
    page.locator('input[name="title"]').fill("Cable car over the Yangtze")
    page.locator('input[name="file"]').set_input_files(str(video))
    page.locator('input[name="credit_name"]').fill("Ana")
    page.locator('input[name="email"]').fill("ana@example.org")
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/upload/receipt/"), timeout=30000)
    assert dropped and "in review" in page.locator("main").inner_text()
    from cqfriends.store.db import session_scope
    from cqfriends.store.models import MediaItem

    with session_scope(app.state.engine) as session:
        item = session.query(MediaItem).filter_by(role="full").one()
        assert item.kind == "video" and item.duration_ms
    page.context.close()
