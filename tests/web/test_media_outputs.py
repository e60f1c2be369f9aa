"""The app's outputs use the archive: public files of approved works, the API's links, the
console's cards and post pages (our copies, a placeholder, a translated media-missing)."""

from __future__ import annotations

import re

import pytest

from cqfriends.normalize.post import Media
from cqfriends.store.users import set_user_locale
from tests.conftest import make_settings
from tests.export.conftest import set_state
from tests.factories import make_post
from tests.web.sessions import fast_passwords, login, make_client  # noqa: F401

EXPIRED = "https://scontent.cdninstagram.com/v/t51/gone.jpg?oe=65A1B2C3"
CLIP = Media("video", url="https://v.douyin.com/play/c.mp4", preview_url="")


@pytest.fixture(autouse=True)
def no_caching(monkeypatch):
    monkeypatch.setattr("cqfriends.web.routes.api.SEQ_RECHECK", -1.0)


def api_media(client, auth, **params):
    return [p["media"] for p in client.get("/api/v1/posts", headers=auth, params=params
                                           ).json()["posts"]]


def test_public_files_are_only_those_outputs_show_of_approved_works(client, auth, add_posts,
                                                                    archive, engine):
    (photo,) = add_posts(make_post(text="Photo"))
    add_posts(make_post(source="douyin", text="Clip", media=[CLIP]))
    archive()
    (shown,), (clip,) = api_media(client, auth)
    for url in (shown["url"], shown["preview_url"], clip["url"], clip["preview_url"]):
        response = client.get(url)  # no login, no token: partner sites' visitors
        assert response.status_code == 200 and response.headers["x-content-type-options"]
    assert client.get(clip["url"]).headers["content-type"] == "video/mp4"
    sha = shown["url"].split("/")[3]
    assert client.get(f"/media/public/{sha}/original").status_code == 404  # EXIF, GPS
    assert client.get(f"/media/{sha}/display").status_code in (401, 303)  # staff route
    set_state(engine, [photo], status="pending")  # an approval withdrawn: no longer public
    assert client.get(shown["url"]).status_code == 404
    assert client.get("/media/public/../../etc/passwd/display").status_code == 404


def test_api_links_follow_public_url_and_never_the_host_header(add_posts, archive, tmp_path,
                                                               db_url, auth, read_token):
    add_posts(make_post(text="Linked"))
    archive()
    settings = make_settings(tmp_path, db_url)
    plain = make_client(settings)
    headers = {**auth, "Host": "evil.example"}
    ((media,),) = [p["media"] for p in plain.get("/api/v1/posts", headers=headers
                                                 ).json()["posts"]]
    assert media["url"].startswith("/media/public/") and "evil" not in str(media)
    assert media["source_url"].startswith("https://pbs.twimg.com/")
    feed = plain.get("/feeds/approved.json", headers=headers).json()
    assert feed["items"][0]["attachments"][0]["url"] == media["url"]
    public = make_client(settings.model_copy(update={"web": settings.web.model_copy(
        update={"public_url": "https://friends.example.org"})}))
    ((media,),) = [p["media"] for p in public.get("/api/v1/posts", headers=headers
                                                  ).json()["posts"]]
    assert media["url"].startswith("https://friends.example.org/media/public/")
    atom = public.get("/feeds/approved.atom", headers=headers).text
    assert 'href="https://friends.example.org/media/public/' in atom and "evil" not in atom


def test_changes_carry_our_links_too(client, auth, add_posts, archive):
    add_posts(make_post(text="Mirrored"))
    archive()
    (change,) = client.get("/api/v1/changes", headers=auth).json()["changes"]
    assert change["post"]["media"][0]["url"].startswith("/media/public/")


def test_console_cards_show_archived_files_play_videos_and_say_why_media_is_missing(
        client, add_posts, archive):
    add_posts(make_post(text="Photo card"), status="pending")
    add_posts(make_post(source="douyin", text="Video card", media=[CLIP]), status="pending")
    add_posts(make_post(text="Expired card", media=[Media("photo", url=EXPIRED)]),
              status="pending")
    archive(missing={EXPIRED})
    add_posts(make_post(text="Waiting card"), status="pending")
    login(client, "mo", "moderator")
    page = client.get("/moderation").text
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert srcs and all(re.fullmatch(r"/media/[0-9a-f]{64}/thumb", s) for s in srcs)
    assert re.search(r'<video controls preload="none" poster="/media/[0-9a-f]{64}/poster"', page)
    assert re.search(r'<source src="/media/[0-9a-f]{64}/original" type="video/mp4">', page)
    assert "cdninstagram" not in page.replace(EXPIRED, "")  # only in the flag's detail
    assert "The platform&#39;s link has expired or the file was deleted there." in page or \
        "The platform's link has expired or the file was deleted there." in page
    assert "Not archived yet" in page
    for src in srcs:
        assert client.get(src).status_code == 200


def test_the_media_missing_reason_is_translated(client, add_posts, archive, engine):
    add_posts(make_post(text="Expired card", media=[Media("photo", url=EXPIRED)]),
              status="pending")
    archive(missing={EXPIRED})
    login(client, "zhang", "moderator")
    set_user_locale(engine=engine, username="zhang", locale="zh-Hans")
    page = client.get("/moderation").text
    assert "平台链接已过期" in page and "该作品的媒体没有存档副本" in page


def test_post_page_shows_every_item_large(client, add_posts, archive):
    two = [Media("photo", url="https://pbs.twimg.com/media/a.jpg"),
           Media("photo", url="https://pbs.twimg.com/media/b.jpg")]
    (key,) = add_posts(make_post(text="Two photos", media=two), status="approved")
    archive()
    login(client, "mo", "moderator")
    page = client.get(f"/moderation/post/{key}").text
    assert len(re.findall(r'<img src="/media/[0-9a-f]{64}/display" width="\d+" height="\d+"',
                          page)) == 2
