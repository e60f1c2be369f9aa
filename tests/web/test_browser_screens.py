"""Screenshots of the queue, the reports, the theme page and the signage, in English and in
Chinese, on this machine that has no CJK font of its own: the vendored Noto Sans SC must
load (``document.fonts.check``) for every Chinese character to have a glyph.

The PNGs go to $CQF_SCREENSHOT_DIR when set (else a temporary folder), named
``{page}-{language}.png``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cqfriends.export.led import write_led
from cqfriends.export.site import build_site
from cqfriends.normalize.post import Author, Media, Metrics
from tests.export.archived import archive_all
from tests.factories import make_post
from tests.web.browser import wait_until

pytestmark = pytest.mark.browser
CHINESE_POST = ("山城的雾，江上的桥。和外国朋友一起走过李子坝的轻轨穿楼 🚡 #重庆朋友 "
                "#ChongqingFriends")
FONT_LOADED = """async () => {
    const text = document.body.innerText;
    await document.fonts.load("16px 'Noto Sans SC'", text);
    await document.fonts.load("16px 'Noto Emoji'", text);
    await document.fonts.ready;
    const cjk = (text.match(/[\\u3400-\\u9fff\\uff00-\\uffef]/g) || []).join("");
    const emoji = (text.match(/\\p{Extended_Pictographic}/gu) || []).join("");
    return {cjk: cjk.length, check: document.fonts.check("16px 'Noto Sans SC'", cjk),
            emoji: emoji.length,
            emoji_check: !emoji || document.fonts.check("16px 'Noto Emoji'", emoji),
            loaded: [...document.fonts].filter(f => f.family.includes("Noto Sans SC")
                                                    && f.status === "loaded").length};
}"""


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("CQF_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screens"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def works(fresh):
    li = Author(id="2200000000000002", name="李明", handle="liming")
    photo = [Media(type="photo", url="https://pbs.twimg.com/media/fog.jpg")]
    fresh.add(make_post(text=CHINESE_POST, author=li, media=photo,
                        metrics=Metrics(likes=120, comments=8, shares=3, views=900)),
              make_post(text="Hongyadong at sunset #ChongqingFriends", media=photo),
              status="approved", section="mobile", featured=True, decided_by="li")
    fresh.add(make_post(text="火锅之夜，九宫格太巴适了 #ChongqingFriends", author=li),
              make_post(text="Cable car over the Yangtze #ChongqingFriends"))
    archive_all(fresh.engine, fresh.settings)  # the pages show our copies
    return fresh


def photograph(page, shots: Path, name: str) -> dict:
    fonts = page.evaluate(FONT_LOADED)
    assert fonts["cjk"] > 0, f"{name}: no Chinese on the page to prove the font with"
    assert fonts["check"] is True and fonts["loaded"] > 0, (name, fonts)
    assert fonts["emoji_check"] is True, (name, fonts)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    assert page.errors == [], (name, page.errors)
    return fonts


@pytest.mark.parametrize(("moderator", "manager", "locale"), [
    ("li", "root", "en"), ("wang", "mgr", "zh-Hans")], ids=["en", "zh"])
def test_console_pages_render_chinese_with_the_vendored_font(works, shots, moderator,
                                                               manager, locale):
    page = works.page(moderator)
    wait_until(page, "document.querySelectorAll('#queue .card').length === 2")
    photograph(page, shots, f"queue-{locale}")
    page.context.close()
    page = works.page(manager, "/reports")
    assert page.locator("svg.chart .title").count() == 5
    photograph(page, shots, f"reports-{locale}")
    page.context.close()


@pytest.mark.parametrize("locale", ["en", "zh-Hans"], ids=["en", "zh"])
def test_theme_page_and_signage_render_chinese_with_the_vendored_font(works, shots, locale):
    base = works.settings
    settings = base.model_copy(update={"export": base.export.model_copy(
        update={"language": locale})})
    build_site(engine=works.engine, settings=settings)
    page = works.page("mgr", "/site/")
    assert page.locator("html").get_attribute("lang") == locale
    heading = page.locator("#sec-mobile").text_content()
    assert heading.startswith("手机作品" if locale == "zh-Hans" else "Mobile phone works")
    photograph(page, shots, f"theme-{locale}")
    page.goto(works.url + f"/signage?lang={locale}")
    wait_until(page, "document.querySelector('#caption').textContent.length > 0")
    wait_until(page, "document.querySelector('#caption').textContent.includes('山城')", 15)
    credit = page.locator("#credit").text_content()
    assert credit.endswith("X（推特）" if locale == "zh-Hans" else "X (Twitter)")
    photograph(page, shots, f"signage-{locale}")
    page.context.close()
    # The LED folder gets the same font: it plays with the network unplugged.
    out = Path(settings.export.led_dir)
    write_led(engine=works.engine, settings=settings, out_dir=out)
    offline = works.page("mgr", "/moderation")
    offline.goto((out / "index.html").resolve().as_uri())
    wait_until(offline, "document.querySelector('#caption').textContent.length > 0")
    assert offline.evaluate(FONT_LOADED)["loaded"] > 0
    offline.context.close()
