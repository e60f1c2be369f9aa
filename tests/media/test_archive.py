"""The archive end to end against a local media server: fetch, validate, derive, dedupe, flags."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import select

from cqfriends.media.archive import Archive
from cqfriends.media.archived import archived_media
from cqfriends.media.storage import open_store
from cqfriends.store.db import session_scope
from cqfriends.store.media import MEDIA_MISSING
from cqfriends.store.models import MediaItem, PostRow
from tests.media import files
from tests.media.conftest import photo_post, video_post


def rows(engine) -> list[MediaItem]:
    with session_scope(engine) as session:
        return list(session.exec(select(MediaItem).order_by(MediaItem.id)))


def flags_of(engine, key: str) -> list[dict]:
    source, _, source_id = key.partition(":")
    with session_scope(engine) as session:
        post = session.exec(select(PostRow).where(PostRow.source == source,
                                                  PostRow.source_id == source_id)).one()
        return post.flags


def read(settings, key: str) -> bytes:
    return b"".join(open_store(settings).read(key))


def test_every_photo_format_is_archived_with_display_thumbnail_and_phash(
        engine, settings_for, backend, media_server, add_posts):
    settings = settings_for(**backend)
    urls = [media_server.add("/a.jpg", files.jpeg(3000, 2000), "image/jpeg"),
            media_server.add("/b.png", files.png(alpha=True), "image/png"),
            media_server.add("/c.webp", files.webp(), "image/webp"),
            media_server.add("/d.gif", files.gif(), "image/gif")]
    [key] = add_posts(photo_post(*urls), status="approved")
    summary = Archive(settings, engine).run()
    assert summary.line() == "fetched 4, failed 0, skipped 0"
    found = {r.url.rsplit("/", 1)[1]: r for r in rows(engine)}
    assert [found[n].state for n in ("a.jpg", "b.png", "c.webp", "d.gif")] == ["archived"] * 4
    assert [found[n].kind for n in ("a.jpg", "b.png", "c.webp", "d.gif")] == [
        "photo", "photo", "photo", "gif"]
    jpg = found["a.jpg"]
    assert (jpg.mime, jpg.width, jpg.height, jpg.container) == ("image/jpeg", 3000, 2000, "JPEG")
    assert jpg.derived["display"]["width"] == 1600 and jpg.derived["thumb"]["width"] == 480
    assert all(len(r.phash or "") == 16 for r in found.values())
    display = Image.open(io.BytesIO(read(settings, jpg.derived["display"]["key"])))
    assert display.format == "JPEG" and display.size == (1600, 1067)
    thumb = Image.open(io.BytesIO(read(settings, jpg.derived["thumb"]["key"])))
    assert thumb.format == "WEBP" and max(thumb.size) == 480
    with session_scope(engine) as session:
        [items] = archived_media(session=session, post_keys=[key]).values()
    assert [i.state for i in items] == ["archived"] * 4
    assert items[3].video is not None and items[3].video.mime == "image/gif"
    assert items[0].thumb.path == f"/media/{jpg.sha256}/thumb"


def test_a_video_gets_its_poster_and_duration(engine, settings_for, backend, media_server,
                                              add_posts):
    settings = settings_for(**backend)
    url = media_server.add("/v.mp4", files.mp4(seconds=2.0), "video/mp4")
    cover = media_server.add("/cover.jpg", files.jpeg(720, 1280, seed=5))
    [key] = add_posts(video_post(url, cover), status="pending")
    summary = Archive(settings, engine).run()
    assert summary.line() == "fetched 2, failed 0, skipped 0"  # Douyin: the file at once
    by_role = {r.role: r for r in rows(engine)}
    video = by_role["full"]
    assert (video.kind, video.mime, video.codec, video.width, video.height) == (
        "video", "video/mp4", "h264", 320, 240)
    assert 1800 <= video.duration_ms <= 2200
    poster = Image.open(io.BytesIO(read(settings, video.derived["poster"]["key"])))
    assert poster.size == (320, 240)
    assert by_role["preview"].kind == "photo"
    with session_scope(engine) as session:
        [item] = archived_media(session=session, post_keys=[key])[key]
    assert item.state == "archived" and item.poster is not None and item.video is not None
    assert item.duration_ms == video.duration_ms


def stored_keys(settings) -> set[str]:
    return {key for key, _ in open_store(settings).keys()}


def test_identical_bytes_are_stored_once_and_a_known_link_is_not_fetched_again(
        engine, settings_for, backend, media_server, add_posts):
    settings = settings_for(**backend)
    data = files.jpeg(1200, 800, seed=7)
    one, two = media_server.add("/one.jpg", data), media_server.add("/two.jpg", data)
    add_posts(photo_post(one), photo_post(two), photo_post(one), status="approved")
    summary = Archive(settings, engine).run()
    assert (summary.fetched + summary.skipped, summary.failed) == (3, 0)
    assert summary.skipped >= 1 and media_server.hits.count("/one.jpg") <= 2
    hashes = {r.sha256 for r in rows(engine)}
    assert len(hashes) == 1
    assert len(stored_keys(settings)) == 3  # one original, its display and thumbnail
    assert all(r.derived == rows(engine)[0].derived for r in rows(engine))


def test_an_html_page_served_as_a_jpeg_is_refused_and_flagged(engine, settings_for,
                                                              media_server, add_posts):
    settings = settings_for()
    bad = media_server.add("/expired.jpg", files.HTML_ERROR, "image/jpeg")
    [key] = add_posts(photo_post(bad), status="pending")
    summary = Archive(settings, engine).run()
    assert summary.line() == "fetched 0, failed 1, skipped 0"
    [row] = rows(engine)
    assert row.state == "failed" and "HTML" in row.reason and row.sha256 is None
    [flag] = [f for f in flags_of(engine, key) if f["code"] == MEDIA_MISSING]
    assert flag["detail"].startswith("photo 1: an HTML or text page")
    assert stored_keys(settings) == set()


def test_a_decompression_bomb_is_refused_through_the_archive(engine, settings_for,
                                                             media_server, add_posts):
    bomb = media_server.add("/bomb.png", files.png_bomb(), "image/png")
    add_posts(photo_post(bomb), status="approved")
    Archive(settings_for(), engine).run()
    [row] = rows(engine)
    assert row.state == "failed" and "decompression bomb" in row.reason


def test_too_large_a_photo_is_refused_while_streaming(engine, settings_for, media_server,
                                                     add_posts):
    big = media_server.add("/big.jpg", files.jpeg(2000, 1500, quality=100), chunked=True)
    add_posts(photo_post(big), status="approved")
    Archive(settings_for(max_photo_mb=0.1), engine).run()
    [row] = rows(engine)
    assert row.state == "failed" and "too large" in row.reason


def test_a_server_error_is_retried_later_then_the_flag_clears(engine, settings_for, media_server,
                                                             add_posts):
    from tests.media.server import Route

    settings = settings_for()
    media_server.routes["/later.jpg"] = Route(b"busy", 503, "text/plain")
    [key] = add_posts(photo_post(media_server.url("/later.jpg")), status="approved")
    summary = Archive(settings, engine).run()
    assert (summary.failed, summary.retrying) == (1, 1)
    [row] = rows(engine)
    assert row.state == "retry" and row.retry_at is not None and row.attempts == 1
    assert not [f for f in flags_of(engine, key) if f["code"] == MEDIA_MISSING]
    assert Archive(settings, engine).run().line() == "fetched 0, failed 0, skipped 0"  # not yet
    media_server.add("/later.jpg", files.jpeg())
    with session_scope(engine) as session:
        session.get(MediaItem, row.id).retry_at = row.fetched_at
    assert Archive(settings, engine).run().line() == "fetched 1, failed 0, skipped 0"


def test_the_flag_goes_when_a_new_link_later_works(engine, settings_for, media_server,
                                                   add_posts):
    settings = settings_for()
    [key] = add_posts(photo_post(media_server.url("/gone.jpg")), status="approved")
    Archive(settings, engine).run()
    assert [f["code"] for f in flags_of(engine, key)] == [MEDIA_MISSING]
    [row] = rows(engine)
    media_server.add("/back.jpg", files.jpeg())
    with session_scope(engine) as session:
        item = session.get(MediaItem, row.id)
        item.state, item.url = "due", media_server.url("/back.jpg")
    Archive(settings, engine).run()
    assert flags_of(engine, key) == []


@pytest.mark.parametrize(("mode", "expected"), [
    ("queued", {("twitter", "preview"), ("twitter-approved", "full"), ("douyin", "full"),
                ("douyin", "preview")}),
    ("approved", {("twitter-approved", "full"), ("douyin", "full")}),
    ("off", set())])
def test_what_is_due_follows_media_fetch(engine, settings_for, media_server, add_posts, mode,
                                         expected):
    photo = media_server.add("/p.jpg", files.jpeg())
    add_posts(photo_post(photo, source_id="1"), status="pending")
    add_posts(photo_post(photo, source_id="2"), status="approved")
    add_posts(photo_post(photo, source_id="3"), status="rejected")
    add_posts(video_post(media_server.add("/v.mp4", files.mp4(), "video/mp4"),
                         media_server.add("/c.jpg", files.jpeg(seed=3))), status="pending")
    Archive(settings_for(fetch=mode), engine).run()
    with session_scope(engine) as session:
        found = [(session.get(PostRow, r.post_id), r.role) for r in rows(engine)]
        seen = {(p.source + ("-approved" if p.status == "approved" else ""), role)
                for p, role in found}
    assert seen == expected
    assert all(r.state == "archived" for r in rows(engine))


def test_fetch_of_one_post_only(engine, settings_for, media_server, add_posts):
    url = media_server.add("/p.jpg", files.jpeg())
    keys = add_posts(photo_post(url), photo_post(url), status="approved")
    summary = Archive(settings_for(), engine).run(key=keys[1])
    assert summary.line() == "fetched 1, failed 0, skipped 0"
    assert {r.state for r in rows(engine)} == {"archived", "due"}
