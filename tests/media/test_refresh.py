"""Expired platform links: a 403 asks the platform once for fresh links, then retries once.

The platform APIs are faked with ``responses`` (recorded-shape payloads); it
intercepts every request, so the local media server on 127.0.0.1 passes through.
"""

from __future__ import annotations

import re

import pytest
import responses
from pydantic import SecretStr
from sqlmodel import select

from cqfriends.jobs.media import platform_refresher
from cqfriends.media.archive import Archive
from cqfriends.normalize.post import Media
from cqfriends.store.db import session_scope
from cqfriends.store.models import MediaItem, PostRow
from tests.factories import make_post
from tests.media import files
from tests.media.conftest import photo_post, video_post
from tests.media.server import Route

TWEETS = "https://api.twitter.com/2/tweets"
GRAPH = "https://graph.facebook.com/v19.0"
EXPIRED = Route(files.HTML_ERROR, 403, "text/html")


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add_passthru(re.compile(r"http://127\.0\.0\.1:\d+/"))
        yield mock


def with_tokens(settings):
    sources = settings.sources
    return settings.model_copy(update={"sources": sources.model_copy(update={
        "twitter": sources.twitter.model_copy(update={"bearer_token": SecretStr("t0ken")}),
        "facebook": sources.facebook.model_copy(update={"access_token": SecretStr("fb-t0ken")}),
    })})


def tweet_page(tweet_id: str, photo_url: str) -> dict:
    """GET /2/tweets?ids=... with expansions=attachments.media_keys, as the API answers."""
    return {
        "data": [{"id": tweet_id, "text": "Hotpot #ChongqingFriends https://t.co/x",
                  "author_id": "2244994945", "created_at": "2026-10-03T12:00:00.000Z",
                  "attachments": {"media_keys": ["3_1712"]}, "lang": "en",
                  "edit_history_tweet_ids": [tweet_id],
                  "public_metrics": {"retweet_count": 0, "reply_count": 1, "like_count": 5,
                                     "quote_count": 0, "bookmark_count": 0,
                                     "impression_count": 40}}],
        "includes": {"media": [{"media_key": "3_1712", "type": "photo", "url": photo_url,
                                "width": 800, "height": 600}],
                     "users": [{"id": "2244994945", "name": "Friend", "username": "friend"}]},
    }


def rows(engine) -> list[MediaItem]:
    with session_scope(engine) as session:
        return list(session.exec(select(MediaItem).order_by(MediaItem.id)))


def run(settings, engine):
    return Archive(settings, engine, refresh=platform_refresher(settings)).run()


def test_an_expired_tweet_photo_is_looked_up_again_and_fetched_from_the_fresh_link(
        api, engine, settings_for, media_server, add_posts):
    settings = with_tokens(settings_for())
    media_server.routes["/old.jpg"] = EXPIRED
    fresh = media_server.add("/fresh.jpg", files.jpeg())
    post = make_post(media=[Media("photo", url=media_server.url("/old.jpg"))])
    add_posts(post, status="approved")
    api.get(TWEETS, json=tweet_page(post.source_id, fresh))
    assert run(settings, engine).line() == "fetched 1, failed 0, skipped 0"
    [row] = rows(engine)
    assert (row.state, row.url, row.refreshed) == ("archived", fresh, True)
    [call] = api.calls
    assert f"ids={post.source_id}" in call.request.url and "attachments.media_keys" in \
        call.request.url.replace("%2C", ",")
    assert call.request.headers["Authorization"] == "Bearer t0ken"
    assert media_server.hits == ["/old.jpg", "/fresh.jpg"]


def test_an_expired_instagram_carousel_is_refreshed_through_the_graph(
        api, engine, settings_for, media_server, add_posts):
    settings = with_tokens(settings_for())
    media_server.routes["/ig1.jpg"] = EXPIRED
    media_server.routes["/ig2.jpg"] = EXPIRED
    one, two = media_server.add("/n1.jpg", files.jpeg(seed=1)), \
        media_server.add("/n2.jpg", files.jpeg(seed=2))
    post = make_post(source="instagram", source_id="17900000000000001",
                     media=[Media("photo", url=media_server.url("/ig1.jpg")),
                            Media("photo", url=media_server.url("/ig2.jpg"))])
    add_posts(post, status="approved")
    api.get(f"{GRAPH}/17900000000000001", json={
        "id": "17900000000000001", "media_type": "CAROUSEL_ALBUM",
        "permalink": "https://www.instagram.com/p/Cx1/", "timestamp": "2026-10-03T12:00:00+0000",
        "children": {"data": [{"media_type": "IMAGE", "media_url": one, "id": "1790001"},
                              {"media_type": "IMAGE", "media_url": two, "id": "1790002"}]}})
    assert run(settings, engine).line() == "fetched 2, failed 0, skipped 0"
    assert [r.url for r in rows(engine)] == [one, two]
    [call] = api.calls  # one look-up for the post, however many items expired
    assert "thumbnail_url" in call.request.url and "children" in call.request.url


def test_an_expired_facebook_video_uses_the_posts_attachments(api, engine, settings_for,
                                                              media_server, add_posts):
    settings = with_tokens(settings_for())
    media_server.routes["/fb.mp4"] = EXPIRED
    fresh = media_server.add("/fb-fresh.mp4", files.mp4(), "video/mp4")
    cover = media_server.add("/fb-cover.jpg", files.jpeg())
    post = make_post(source="facebook", source_id="111_222",
                     media=[Media("video", url=media_server.url("/fb.mp4"), preview_url=cover)])
    add_posts(post, status="approved")
    api.get(f"{GRAPH}/111_222", json={
        "id": "111_222", "created_time": "2026-10-03T12:00:00+0000",
        "attachments": {"data": [{"media_type": "video", "type": "video_inline",
                                  "media": {"image": {"src": cover}, "source": fresh},
                                  "url": "https://www.facebook.com/watch/?v=1"}]}})
    assert run(settings, engine).line() == "fetched 1, failed 0, skipped 0"
    [row] = rows(engine)
    assert (row.kind, row.url) == ("video", fresh)


def test_when_the_fresh_link_fails_too_the_work_is_flagged_with_both_reasons(
        api, engine, settings_for, media_server, add_posts):
    settings = with_tokens(settings_for())
    media_server.routes["/old.jpg"] = EXPIRED
    media_server.routes["/new.jpg"] = Route(b"gone", 410, "text/plain")
    post = make_post(media=[Media("photo", url=media_server.url("/old.jpg"))])
    add_posts(post, status="approved")
    api.get(TWEETS, json=tweet_page(post.source_id, media_server.url("/new.jpg")))
    assert run(settings, engine).line() == "fetched 0, failed 1, skipped 0"
    [row] = rows(engine)
    assert row.state == "failed" and "HTTP 403" in row.reason and "HTTP 410" in row.reason
    with session_scope(engine) as session:
        flags = session.get(PostRow, row.post_id).flags
    assert flags[0]["code"] == "media-missing" and "fresh link failed too" in flags[0]["detail"]


def test_douyin_cannot_be_asked_so_its_expired_file_fails_at_once(api, engine, settings_for,
                                                                  media_server, add_posts):
    media_server.routes["/dy.mp4"] = EXPIRED
    add_posts(video_post(media_server.url("/dy.mp4")), status="pending")
    assert run(with_tokens(settings_for()), engine).line() == "fetched 0, failed 1, skipped 0"
    [row] = [r for r in rows(engine) if r.role == "full"]
    assert "cannot be asked for a fresh link" in row.reason
    assert len(api.calls) == 0


def test_a_platform_error_during_the_look_up_fails_the_item_not_the_run(
        api, engine, settings_for, media_server, add_posts):
    settings = with_tokens(settings_for())
    media_server.routes["/old.jpg"] = EXPIRED
    post = make_post(source="instagram", source_id="17900000000000009",
                     media=[Media("photo", url=media_server.url("/old.jpg"))])
    add_posts(post, photo_post(media_server.add("/fine.jpg", files.jpeg())), status="approved")
    api.get(f"{GRAPH}/17900000000000009", status=400, json={"error": {
        "message": "Unsupported get request. Object does not exist", "type": "GraphMethodException",
        "code": 100, "error_subcode": 33}})
    summary = run(settings, engine)
    assert summary.line() == "fetched 1, failed 1, skipped 0"
    failed = [r for r in rows(engine) if r.state == "failed"]
    assert len(failed) == 1 and "no fresh link" in failed[0].reason
