"""Graph API pages -> Post: Page feed, /posts, /tagged, Instagram hashtag media."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cqfriends.errors import BadInput, NormalizeError
from cqfriends.normalize.facebook import extract_hashtags, normalize_page
from cqfriends.normalize.post import Media, NormalizeOptions, RawRecord

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facebook"
SAMPLES = Path(__file__).resolve().parents[2] / "collectors" / "samples"
FETCHED = datetime(2026, 10, 7, 8, 0, tzinfo=UTC)
OPTIONS = NormalizeOptions()


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def make_record(data: object, origin: str = "feed.jsonl", line: int | None = 3) -> RawRecord:
    return RawRecord(source="facebook", kind="graph_page", data=data, origin=origin,
                     fetched_at=FETCHED, line=line)


def only_post(item: dict):
    batch = normalize_page(make_record({"data": [item]}), OPTIONS)
    assert not batch.errors, batch.errors
    return batch.posts[0]


# fixture, index, expected (attribute path -> value)
CASES = [
    ("feed_p1.json", 0, {
        "source": "facebook", "source_id": "104900000000001_3300000000000002",
        "url": "https://www.facebook.com/104900000000001/posts/3300000000000002/",
        "author.id": "2200000000000001", "author.name": "Emma Laurent",
        "created_at": datetime(2026, 10, 3, 12, 5, tzinfo=UTC),
        "hashtags": ["chongqingfriends"], "metrics.likes": 342, "metrics.comments": 18,
        "metrics.shares": 5, "media_types": ["photo"], "lang": None}),
    ("feed_p1.json", 1, {  # no reactions edge: like.summary; no shares; message_tags
        "author.id": "104900000000001", "author.name": "", "metrics.likes": 45,
        "metrics.shares": 0, "metrics.comments": 2, "mentions": ["重庆日报"],
        "hashtags": ["重庆朋友", "chongqingfriends"], "media_types": []}),
    ("feed_p2.json", 0, {
        "author.name": "Giulia Rossi", "media_types": ["video"], "metrics.likes": 211,
        "media0.url": "https://video-hkg4-1.xx.fbcdn.net/o1/v/t2/f2/m69/cableway.mp4"
                      "?_nc_ht=video-hkg4-1.xx&oh=00_AY1&oe=6721B0C2"}),
    ("posts_p1.json", 0, {  # /posts with fields=id,message,created_time only
        "source": "facebook", "author.id": "104900000000001", "metrics.likes": 0,
        "url": "https://www.facebook.com/104900000000001_3400000000000002",
        "created_at": datetime(2026, 10, 4, 19, 50, 58, tzinfo=UTC), "media_types": []}),
    ("tagged.json", 0, {  # a post of someone else tagging the page: author is the id prefix
        "source": "facebook", "author.id": "2121000000000932", "hashtags": ["chongqingfriends"],
        "created_at": datetime(2026, 10, 3, 3, 59, 53, tzinfo=UTC)}),
    ("ig_recent_p1.json", 0, {
        "source": "instagram", "source_id": "18021000000000101",
        "url": "https://www.instagram.com/p/DAbCqF1x101/", "mentions": ["cqimc.official"],
        "hashtags": ["chongqingfriends"], "metrics.likes": 233, "metrics.comments": 14,
        "metrics.shares": 0, "media_types": ["photo"], "author.id": ""}),
    ("ig_recent_p1.json", 1, {
        "source": "instagram", "media_types": ["video"], "hashtags": ["chongqingfriends", "ฉงชิ่ง"],
        "created_at": datetime(2026, 10, 6, 11, 2, 55, tzinfo=UTC)}),
    ("ig_recent_p2.json", 0, {"media_types": ["photo", "video"], "hashtags": ["chongqingfriends"]}),
    ("ig_top_media.json", 1, {  # no timestamp: fetch time; thumbnail as the video preview
        "source": "instagram", "created_at": FETCHED, "media_types": ["video"],
        "media0.preview_url": "https://scontent.cdninstagram.com/v/t51.29350-15/1051_n.jpg"
                              "?_nc_ht=scontent.cdninstagram.com&oh=00_AY1051&oe=6722C1A0"}),
]


@pytest.mark.parametrize(("fixture", "index", "expected"), CASES)
def test_maps_item(fixture, index, expected):
    batch = normalize_page(make_record(load(fixture)), OPTIONS)
    assert not batch.errors
    post = batch.posts[index]
    for path, want in expected.items():
        if path == "media_types":
            got = [m.type for m in post.media]
        elif path.startswith("media0."):
            got = getattr(post.media[0], path.split(".")[1])
        else:
            got = post
            for part in path.split("."):
                got = getattr(got, part)
        assert got == want, path
    assert post.raw == load(fixture)["data"][index]
    assert post.collected_at == FETCHED


def test_missing_timestamp_warns():
    batch = normalize_page(make_record(load("ig_top_media.json")), OPTIONS)
    assert len(batch.warnings) == 2
    assert "18021000000000104" in batch.warnings[0]


@pytest.mark.parametrize(("item", "field"), [
    ({"id": "1_2", "message": "x", "created_time": "03/10/2026"}, "data[1].created_time"),
    ({"id": "1_2", "message": "x", "created_time": None}, "data[1].created_time"),
    ({"id": "1_2", "message": "x"}, "data[1].created_time"),
    ({"message": "no id", "created_time": "2026-10-03T12:05:00+0000"}, "data[1].id"),
    ({"id": "1_2", "message": ["not", "text"], "created_time": "2026-10-03T12:05:00+0000"},
     "data[1].message"),
    ({"id": "178", "media_type": "IMAGE", "timestamp": "yesterday"}, "data[1].timestamp"),
    ("not an object", "data[1]"),
])
def test_bad_item_reported_and_rest_kept(item, field):
    good = load("posts_p1.json")["data"]
    batch = normalize_page(make_record({"data": [good[0], item, good[1]]}), OPTIONS)
    assert [p.source_id for p in batch.posts] == [good[0]["id"], good[1]["id"]]
    [error] = batch.errors
    assert isinstance(error, NormalizeError)
    assert (error.file, error.line, error.field) == ("feed.jsonl", 3, field)


@pytest.mark.parametrize(("data", "field", "words"), [
    (load("error_permission.json"), "error", ["code 100", "pages_read_engagement"]),
    ({"error": {"message": "Error validating access token: Session has expired",
                "type": "OAuthException", "code": 190, "error_subcode": 463}},
     "error", ["code 190", "subcode 463", "expired"]),
    ({"paging": {}}, "data", ["no 'data' list"]),
    ([1, 2], "data", ["no 'data' list"]),
])
def test_unusable_page_is_one_error(data, field, words):
    batch = normalize_page(make_record(data), OPTIONS)
    assert batch.posts == []
    [error] = batch.errors
    assert error.field == field
    assert all(w in str(error) for w in words)


@pytest.mark.parametrize(("value", "want"), [
    ("2026-10-03T12:05:00+0000", datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
    ("2026-10-03T20:05:00+0800", datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
    ("2026-10-03T12:05:00Z", datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
    ("2026-10-03T12:05:00+00:00", datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
])
def test_times_become_utc(value, want):
    post = only_post({"id": "1_2", "created_time": value})
    assert post.created_at == want and post.created_at.tzinfo == UTC


@pytest.mark.parametrize(("text", "tags"), [
    ("Hongyadong! #ChongqingFriends", ["chongqingfriends"]),
    ("全角 ＃ChongqingFriends ＃重庆朋友", ["chongqingfriends", "重庆朋友"]),
    ("#重庆朋友#山城 and #CHONGQINGfriends", ["重庆朋友", "山城", "chongqingfriends"]),
    ("ล่องเรือ #ฉงชิ่ง, #चोंगकिंग.", ["ฉงชิ่ง", "चोंगकिंग"]),
    ("#lẩu_cay #2026 page#anchor #", ["lẩu_cay"]),
    ("", []),
])
def test_hashtags(text, tags):
    assert extract_hashtags(text) == tags


@pytest.mark.parametrize(("item", "media"), [
    ({"full_picture": "https://scontent.xx.fbcdn.net/a.jpg"},
     [Media(type="photo", url="https://scontent.xx.fbcdn.net/a.jpg")]),
    ({"full_picture": "javascript:alert(1)"}, []),
    ({"attachments": {"data": [{"media_type": "link", "type": "share",
                                "media": {"image": {"src": "https://external.xx/s.jpg"}}}]},
      "full_picture": "https://external.xx/s.jpg"}, []),
    ({"attachments": {"data": [{"media_type": "album", "type": "album",
                                "media": {"image": {"src": "https://x.fbcdn.net/cover.jpg"}},
                                "subattachments": {"data": [
                                    {"media_type": "photo", "type": "photo",
                                     "media": {"image": {"src": "https://x.fbcdn.net/1.jpg"}}},
                                    {"media_type": "video", "type": "video",
                                     "media": {"image": {"src": "https://x.fbcdn.net/2.jpg"}}}]}}]}},
     [Media(type="photo", url="https://x.fbcdn.net/1.jpg"),
      Media(type="video", url="", preview_url="https://x.fbcdn.net/2.jpg")]),
])
def test_facebook_media(item, media):
    post = only_post({"id": "1_2", "created_time": "2026-10-03T12:05:00+0000", **item})
    assert post.media == media


@pytest.mark.parametrize(("extra", "author"), [
    ({"username": "emma.laurent"}, ("@emma.laurent", "emma.laurent", "https://www.instagram.com/emma.laurent/")),
    ({"owner": {"id": "17841400000000009"}, "username": "emma"},
     ("17841400000000009", "emma", "https://www.instagram.com/emma/")),
    ({"username": "<script>"}, ("@<script>", "<script>", "")),
    ({}, ("", "", "")),
])
def test_instagram_author(extra, author):
    post = only_post({"id": "1", "media_type": "IMAGE", "caption": "#ChongqingFriends", **extra})
    assert (post.author.id, post.author.handle, post.author.url) == author


def test_unsafe_permalink_falls_back():
    post = only_post({"id": "1_2", "created_time": "2026-10-03T12:05:00+0000",
                      "permalink_url": "javascript:alert(1)"})
    assert post.url == "https://www.facebook.com/1_2"


def test_unreadable_line_passes_through():
    bad = BadInput("not JSON", file="feed.jsonl", line=7)
    assert normalize_page(make_record(bad), OPTIONS).errors == [bad]


def test_raw_item_is_not_changed():
    page = load("feed_p1.json")
    before = copy.deepcopy(page)
    normalize_page(make_record(page), OPTIONS)
    assert page == before


@pytest.mark.parametrize(("name", "source", "count"), [
    ("facebook-feed.json", "facebook", 6), ("instagram-hashtag.json", "instagram", 4),
])
def test_bundled_samples(name, source, count):
    data = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    batch = normalize_page(make_record(data, origin=name, line=None), OPTIONS)
    assert not batch.errors and not batch.warnings
    assert [p.source for p in batch.posts] == [source] * count
    assert all("chongqingfriends" in p.hashtags for p in batch.posts)


def test_sample_cross_post():
    data = json.loads((SAMPLES / "facebook-feed.json").read_text(encoding="utf-8"))
    batch = normalize_page(make_record(data), OPTIONS)
    [emma] = [p for p in batch.posts if p.author.name == "Emma Laurent"]
    assert emma.author.id == "2200000000000001"
    assert emma.created_at == datetime(2026, 10, 3, 12, 5, tzinfo=UTC)
    assert emma.text.startswith("Hongyadong at sunset, seen from the Qiansimen bridge.")
    assert [m.type for m in emma.media] == ["photo"]
