"""normalize/twitter.py: X API v2 pages -> Post, table-driven on real-shaped pages."""

from __future__ import annotations

import copy
import json
import re
from collections import namedtuple
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cqfriends.errors import BadInput, NormalizeError
from cqfriends.normalize.post import Batch, Media, Metrics, NormalizeOptions, RawRecord
from cqfriends.normalize.twitter import normalize_page, normalize_raw

FIXTURES = Path(__file__).parent.parent / "fixtures" / "twitter"
FETCHED = datetime(2026, 10, 7, 10, 0, tzinfo=UTC)


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def run(page, kind: str = "search_page", line: int | None = 3) -> Batch:
    record = RawRecord(
        source="twitter", kind=kind, data=page, origin="pages.jsonl", fetched_at=FETCHED, line=line
    )
    return normalize_page(record, NormalizeOptions())


@pytest.fixture(scope="module")
def posts() -> dict:
    batch = run(load("page_cases.json"))
    assert not batch.errors
    return {p.source_id: p for p in batch.posts}


@pytest.mark.parametrize(
    ("tweet_id", "expected"),
    [
        (
            "1975100000000000001",
            {  # photo
                "url": "https://x.com/emma_in_cq/status/1975100000000000001",
                "lang": "en",
                "hashtags": ["chongqingfriends", "chongqing"],
                "media": [
                    Media(
                        "photo",
                        "https://pbs.twimg.com/media/000000000000201Aq.jpg",
                        "https://pbs.twimg.com/media/000000000000201Aq.jpg",
                    )
                ],
                "metrics": Metrics(likes=45, comments=3, shares=3, views=1200),
            },
        ),
        (
            "1975100000000000002",
            {  # video: highest-bit-rate mp4, views from the media
                "media": [
                    Media(
                        "video",
                        "https://video.twimg.com/ext_tw_video/1975000000000000202/pu/vid/1280x720/"
                        "Hq7x.mp4?tag=12",
                        "https://pbs.twimg.com/ext_tw_video_thumb/1975000000000000202/pu/img/"
                        "Cq8Vt2wZ.jpg",
                        58240,
                    )
                ],
                "metrics": Metrics(likes=300, comments=4, shares=12, views=48213),
            },
        ),
        (
            "1975100000000000003",
            {  # animated gif, no impression_count
                "media": [
                    Media(
                        "gif",
                        "https://video.twimg.com/tweet_video/000000000203.mp4",
                        "https://pbs.twimg.com/tweet_video_thumb/000000000203.jpg",
                    )
                ],
                "metrics": Metrics(likes=12, comments=0, shares=0, views=0),
            },
        ),
        (
            "1975100000000000004",
            {  # retweet: full original text and its hashtags
                "is_repost": True,
                "repost_of": "twitter:1974900000000000100",
                "text": "Cruzar el puente de Chaotianmen al amanecer es mi nueva rutina favorita "
                "en Chongqing, con la niebla subiendo desde el río #ChongqingFriends #Chaotianmen",
                "hashtags": ["chongqingfriends", "chaotianmen"],
                "mentions": ["carlos_cq"],
            },
        ),
        (
            "1975100000000000005",
            {  # quote + reply is original content
                "is_repost": False,
                "repost_of": None,
                "mentions": ["emma_in_cq"],
                "text": "@emma_in_cq Jia you! My teacher taught me the same one #ChongqingFriends",
            },
        ),
        ("1975100000000000006", {"lang": None, "media": []}),  # und
        ("1975100000000000007", {"media": []}),  # media key missing from includes
    ],
)
def test_tweet_fields(posts, tweet_id, expected):
    post = posts[tweet_id]
    assert {k: getattr(post, k) for k in expected} == expected


def test_common_fields(posts):
    post = posts["1975100000000000001"]
    assert post.key == "twitter:1975100000000000001"
    assert post.author.id == "1490000000000000001"
    assert (post.author.name, post.author.handle, post.author.url) == (
        "Emma Laurent",
        "emma_in_cq",
        "https://x.com/emma_in_cq",
    )
    assert post.created_at == datetime(2026, 10, 7, 9, 15, tzinfo=UTC)
    assert post.collected_at == FETCHED
    assert len(posts) == 7


def test_partial_errors_and_unresolved_media_are_warnings():
    batch = run(load("page_cases.json"))
    assert any("User has been suspended: [deleted_cq_fan]" in w for w in batch.warnings)
    assert any("3_1975000000000000299" in w for w in batch.warnings)


def test_raw_keeps_only_referenced_includes_and_renormalizes(posts):
    retweet = posts["1975100000000000004"]
    raw = json.loads(json.dumps(retweet.raw))  # survives a JSON column
    assert raw["tweet"]["id"] == "1975100000000000004"
    assert [t["id"] for t in raw["includes"]["tweets"]] == ["1974900000000000100"]
    assert {u["username"] for u in raw["includes"]["users"]} == {"sam_oduya", "carlos_cq"}
    assert normalize_raw(raw, collected_at=FETCHED) == retweet
    video = posts["1975100000000000002"]
    assert normalize_raw(video.raw, collected_at=FETCHED) == video


def test_missing_includes_keep_the_post_with_fallback_url():
    page = load("page_cases.json")
    del page["includes"]
    batch = run(page)
    post = {p.source_id: p for p in batch.posts}["1975100000000000004"]
    assert post.url == "https://twitter.com/i/web/status/1975100000000000004"
    assert post.author.id == "1455667788990011223" and post.author.handle == ""
    assert post.text.startswith("RT @carlos_cq: ") and post.text.endswith("sub…")
    assert post.is_repost and post.media == []
    assert len(batch.posts) == 7


def test_malformed_tweets_are_errors_with_field_paths_and_the_rest_is_kept():
    batch = run(load("page_malformed.json"), line=12)
    assert [p.source_id for p in batch.posts] == ["1975100000000000001"]
    assert [e.field for e in batch.errors] == [
        "data[1].created_at",
        "data[2].created_at",
        "data[3].id",
    ]
    assert all(isinstance(e, NormalizeError) for e in batch.errors)
    assert all((e.file, e.line) == ("pages.jsonl", 12) for e in batch.errors)
    assert "07/10/2026" in str(batch.errors[1])


@pytest.mark.parametrize(
    "page",
    [
        {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
        ["not", "a", "page"],
        {"data": {"id": "1"}, "meta": {}},
    ],
)
def test_not_a_page_is_one_error(page):
    batch = run(page)
    assert batch.posts == [] and len(batch.errors) == 1
    assert isinstance(batch.errors[0], NormalizeError)


def test_empty_page_and_lookup_page():
    assert run(load("empty_page.json")) == Batch()
    lookup = run(load("tweets_lookup.json"), kind="tweets_page")
    assert len(lookup.posts) == 2 and not lookup.errors
    assert "Could not find tweet" in lookup.warnings[0]


def test_bad_line_record_becomes_its_error():
    bad = BadInput("invalid JSON", file="x.jsonl", line=4)
    assert run(bad).errors == [bad]


def test_tweepy_response_shape():
    """A page tweepy built with its default return type (objects with ``.data``)."""
    page = load("page_cases.json")
    Wrapped = namedtuple("Wrapped", "data")
    Response = namedtuple("Response", "data includes errors meta")
    response = Response(
        data=[Wrapped(t) for t in page["data"]],
        includes={k: [Wrapped(i) for i in v] for k, v in page["includes"].items()},
        errors=page["errors"],
        meta=page["meta"],
    )
    assert run(response).posts == run(page).posts


def test_untrusted_handle_and_media_urls_are_not_emitted():
    page = copy.deepcopy(load("page_cases.json"))
    page["includes"]["users"][0]["username"] = "x/../../evil?"
    page["includes"]["media"][0]["url"] = "javascript:alert(1)"
    post = run(page).posts[0]
    assert post.url == "https://twitter.com/i/web/status/1975100000000000001"
    assert post.author.url == "" and post.media[0].url == ""


def test_bundled_demo_sample_is_clean_and_varied():
    from cqfriends.collectors.files import read_json_pages

    sample = Path(__file__).parents[2] / "collectors" / "samples" / "twitter-search.jsonl"
    batches = [
        normalize_page(r, NormalizeOptions())
        for r in read_json_pages(sample, source="twitter", kind="search_page")
    ]
    posts = [p for b in batches for p in b.posts]
    assert not any(b.errors or b.warnings for b in batches) and len(posts) == 15
    assert {p.lang for p in posts} >= {"en", "fr", "es", "ru", "ja", "de", "ko", "ar", None}
    assert {m.type for p in posts for m in p.media} == {"photo", "video", "gif"}
    assert sum(p.is_repost for p in posts) == 1
    emma = [p for p in posts if p.author.handle == "emma_in_cq" and p.media]
    assert emma[0].created_at == datetime(2026, 10, 3, 11, 20, tzinfo=UTC)
    assert emma[0].author.id == "1490000000000000001"
    captions = [re.sub(r" https://t\.co/\w+$", "", p.text) for p in posts if not p.is_repost]
    assert len(captions) - len(set(captions)) == 1  # one caption copied by another author
