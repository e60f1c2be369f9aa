import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cqfriends.export.led import build_playlist, write_led
from cqfriends.normalize.post import Media
from cqfriends.store.db import session_scope
from cqfriends.store.models import AuthorConsent
from tests.conftest import make_settings
from tests.export.archived import archive_all
from tests.export.conftest import nasty_post, set_state
from tests.factories import make_post


def led_settings(tmp_path, db_url, **led):
    settings = make_settings(tmp_path, db_url)
    export = settings.export.model_copy(update={"led": settings.export.led.model_copy(
        update=led)})
    return settings.model_copy(update={"export": export})


def test_only_featured_approved_works_with_media_make_the_playlist(engine, add_posts,
                                                                   tmp_path, db_url):
    add_posts(make_post(text="Featured"), featured=True)
    add_posts(make_post(text="Not featured"))
    add_posts(make_post(text="Featured but pending"), status="pending", featured=True)
    (gone,) = add_posts(make_post(text="Featured then removed"), featured=True)
    add_posts(make_post(text="Featured, no media", media=[]), featured=True)
    set_state(engine, [gone], status="removed")
    settings = led_settings(tmp_path, db_url)
    archive_all(engine, settings)
    playlist = build_playlist(engine=engine, settings=settings)
    assert [i["caption"] for i in playlist["items"]] == ["Featured"]
    assert (playlist["width"], playlist["height"], playlist["seconds_per_item"]) == (1920, 1080, 10)


def test_items_carry_our_copies_duration_cut_caption_and_credit(engine, add_posts, tmp_path,
                                                                db_url):
    video = Media(type="video", url="https://v.douyin.com/clip.mp4",
                  preview_url="https://p.douyin.com/cover.jpg", duration_ms=15400)
    add_posts(make_post(source="douyin", text="A very long caption " * 10, media=[video]),
              featured=True)
    settings = led_settings(tmp_path, db_url, caption_chars=20)
    archive_all(engine, settings)
    (item,) = build_playlist(engine=engine, settings=settings)["items"]
    assert item["type"] == "video" and re.fullmatch(r"media/[0-9a-f]{2}/[0-9a-f]{64}/original\.mp4",
                                                    item["url"])
    assert item["poster"].endswith("/poster.jpg") and (item["width"], item["height"]) == (320, 240)
    assert item["duration_s"] == 10  # the 2-second clip is held for seconds_per_item
    assert len(item["caption"]) == 20 and item["caption"].endswith("…")
    assert item["credit"].endswith("· Douyin")
    quick = led_settings(tmp_path, db_url, seconds_per_item=1)
    assert build_playlist(engine=engine, settings=quick)["items"][0]["duration_s"] == 2


def test_a_work_whose_media_failed_or_is_not_archived_is_left_out(engine, add_posts, tmp_path,
                                                                  db_url):
    expired = "https://scontent.cdninstagram.com/v/expired.jpg?oe=1"
    add_posts(make_post(text="Expired", media=[Media("photo", url=expired)]), featured=True)
    settings = led_settings(tmp_path, db_url)
    archive_all(engine, settings, missing={expired})
    add_posts(make_post(text="Not fetched yet"), featured=True)
    assert build_playlist(engine=engine, settings=settings)["items"] == []
    assert write_led(engine=engine, settings=settings)["items"] == 0


def test_the_folder_holds_the_files_and_a_takedown_prunes_them(engine, add_posts, tmp_path,
                                                               db_url):
    video = Media(type="video", url="https://v.douyin.com/a.mp4", preview_url="")
    (photo,) = add_posts(make_post(text="Photo"), featured=True)
    add_posts(make_post(source="douyin", text="Video", media=[video]), featured=True)
    settings = led_settings(tmp_path, db_url)
    archive_all(engine, settings)
    result = write_led(engine=engine, settings=settings)
    out = Path(settings.export.led_dir)
    playlist = json.loads((out / "playlist.json").read_text())
    named = {i["url"] for i in playlist["items"]} | {i["poster"] for i in playlist["items"]}
    named.discard("")
    assert len(named) == 3 and all((out / rel).stat().st_size > 1000 for rel in named)
    assert result["media_files"] == 3 and result["media_removed"] == 0
    assert write_led(engine=engine, settings=settings)["written"] == []
    set_state(engine, [photo], status="removed")
    again = write_led(engine=engine, settings=settings)
    assert again["items"] == 1 and again["media_removed"] == 1
    kept = {p.relative_to(out).as_posix() for p in (out / "media").rglob("*") if p.is_file()}
    assert kept == named - {playlist["items"][0]["url"]}


def test_consent_rule_when_the_config_requires_it(engine, add_posts, tmp_path, db_url):
    consenting, silent = make_post(text="Has consent"), make_post(text="No consent")
    add_posts(consenting, silent, featured=True)
    with session_scope(engine) as session:
        session.add(AuthorConsent(source="twitter", author_id=consenting.author.id,
                                  recorded_at=datetime.now(UTC)))
    archive_all(engine, led_settings(tmp_path, db_url))
    loose = build_playlist(engine=engine, settings=led_settings(tmp_path, db_url))
    strict = build_playlist(engine=engine, settings=led_settings(tmp_path, db_url,
                                                                 require_consent=True))
    assert len(loose["items"]) == 2
    assert [i["caption"] for i in strict["items"]] == ["Has consent"]


def test_signage_page_embeds_the_playlist_inert_and_files_are_kept_when_unchanged(
        engine, add_posts, tmp_path, db_url):
    add_posts(nasty_post(), featured=True)
    settings = led_settings(tmp_path, db_url)
    archive_all(engine, settings)
    first = write_led(engine=engine, settings=settings)
    out = Path(settings.export.led_dir)
    html = (out / "index.html").read_text()
    assert "<script>window" not in html and "\\u003cscript\\u003e" in html  # escaped JSON
    assert '"width": 1920' in html and '"height": 1080' in html  # sized by signage.js
    assert "<style" not in html and " style=" not in html  # nothing a CSP would refuse
    assert [s for s in re.findall(r"<script[^>]*>", html) if "application/json" not in s] == [
        '<script src="assets/signage.js">']
    playlist = json.loads((out / "playlist.json").read_text())
    assert re.fullmatch(r"media/[0-9a-f]{2}/[0-9a-f]{64}/display\.jpg", playlist["items"][0]["url"])
    assert (out / playlist["items"][0]["url"]).is_file()
    assert first["written"][-2:] == ["playlist.json", "index.html"]
    assert {"assets/signage.js", "assets/signage.css", "assets/fonts/fonts.css",
            "assets/fonts/LICENSE-noto-sans-sc.txt"} <= set(first["written"])
    assert (out / "assets/fonts/noto-sans-sc-100-400-normal.woff2").stat().st_size > 1000
    mtime = (out / "playlist.json").stat().st_mtime_ns
    assert write_led(engine=engine, settings=settings)["written"] == []
    assert (out / "playlist.json").stat().st_mtime_ns == mtime


@pytest.mark.parametrize("media", [[Media(type="photo", url="javascript:alert(1)")], []])
def test_a_work_without_a_safe_media_url_is_left_out(engine, add_posts, tmp_path, db_url, media):
    add_posts(make_post(media=media), featured=True)
    archive_all(engine, led_settings(tmp_path, db_url))
    assert build_playlist(engine=engine, settings=led_settings(tmp_path, db_url))["items"] == []
