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
