"""The exports people really have, read and mapped with every field they carry.

Each fixture was made by the tool itself (or in its recorded shape): see
tests/fixtures/README.md.  One test per format; each checks every mapped field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cqfriends.jobs.ingest import read_file
from cqfriends.normalize import normalize_record
from cqfriends.normalize.post import Media, NormalizeOptions, Post

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OPTIONS = NormalizeOptions(tz=ZoneInfo("Asia/Shanghai"))
EMMA_TW, KOFI_TW = "1490000000000000001", "1500000000000000077"


def read(source: str, name: str) -> tuple[dict[str, Post], list, list[str]]:
    posts: dict[str, Post] = {}
    errors, warnings = [], []
    for record in read_file(source, FIXTURES / name, column_aliases={}):
        batch = normalize_record(record, OPTIONS)
        posts.update((p.key, p) for p in batch.posts)  # later wins, as in the store
        errors += batch.errors
        warnings += batch.warnings
    return posts, errors, warnings


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def check_campaign_tweets(posts: dict[str, Post], *, csv: bool = False) -> None:
    original = posts["twitter:1976100000000000001"]
    assert original.url == "https://x.com/emma_in_cq/status/1976100000000000001"
    assert (
        original.author.id,
        original.author.name,
        original.author.handle,
        original.author.url,
    ) == (EMMA_TW, "Emma Laurent", "emma_in_cq", "https://x.com/emma_in_cq")
    assert original.text.startswith("Hongyadong at dusk with @kofi_cq")
    assert original.created_at == at("2026-10-07T10:05:00+00:00")
    assert original.collected_at == at("2026-10-08T10:00:00+00:00")  # __twarc.retrieved_at
    assert original.lang == "en" and original.hashtags == ["chongqingfriends", "重庆"]
    assert original.mentions == ["kofi_cq"]
    assert original.media == [
        Media(
            "photo",
            "https://pbs.twimg.com/media/Fq000000000301.jpg",
            "https://pbs.twimg.com/media/Fq000000000301.jpg",
        )
    ]
    assert (
        original.metrics.likes,
        original.metrics.comments,
        original.metrics.shares,
        original.metrics.views,
    ) == (45, 3, 3, 1800)
    retweet = posts["twitter:1976100000000000002"]
    assert retweet.is_repost and retweet.repost_of == "twitter:1976100000000000001"
    assert retweet.author.handle == "kofi_cq" and retweet.text == original.text
    quote = posts["twitter:1976100000000000003"]
    assert quote.lang is None and not quote.is_repost  # qct: a quote with no text of its own
    assert posts["twitter:1976100000000000020"].lang is None  # qst: too short to say
    edited = posts["twitter:1976100000000000010"]  # keyed by the original id
    assert "twitter:1976100000000000011" not in posts
    assert edited.text == "Hotpot night in Yuzhong #ChongqingFriends 🌶️"  # the newest version
    assert edited.url.endswith("/status/1976100000000000011")
    assert edited.hashtags == ["chongqingfriends"] and edited.raw["edit_rank"] == 1
    [video] = edited.media
    assert video.type == "video" and video.url.endswith("/1280x720/b.mp4")  # best MP4
    assert video.preview_url.endswith("/pu/img/v.jpg") and video.duration_ms == 31200
    assert edited.metrics.views == 5120 and edited.metrics.likes == 9
    if not csv:
        assert quote.raw["tweet"]["referenced_tweets"][0]["type"] == "quoted"


def test_twarc2_search_pages_with_an_edit_and_no_language_codes():
    posts, errors, _ = read("twitter", "twitter/campaign_pages.jsonl")
    assert not errors and len(posts) == 5
    check_campaign_tweets(posts)


def test_twarc2_flatten_output():
    posts, errors, _ = read("twitter", "twitter/campaign_flat.jsonl")
    assert not errors and len(posts) == 5
    check_campaign_tweets(posts)


def test_twarc2_stream_output():
    posts, errors, _ = read("twitter", "twitter/campaign_stream.jsonl")
    assert not errors and len(posts) == 5
    check_campaign_tweets(posts)


def test_twarc_csv():
    posts, errors, _ = read("twitter", "twitter/campaign_twarc.csv")
    assert not errors and len(posts) == 5
    check_campaign_tweets(posts, csv=True)
    assert posts["twitter:1976100000000000001"].raw["tweet"]["author"]["username"] == "emma_in_cq"


def check_feed_posts(posts: dict[str, Post]) -> None:
    first = posts["facebook:104900000000001_3300000000000002"]
    assert first.created_at == at("2026-10-03T12:05:00+00:00")
    assert first.url.startswith("https://www.facebook.com/") and first.author.id
    assert first.media and first.media[0].type == "photo"
    assert first.media[0].url.startswith("https://scontent-hkg4-1.xx.fbcdn.net/")
    assert all(p.source == "facebook" for p in posts.values())


def test_facebook_sdk_connection_items_one_per_line():
    posts, errors, _ = read("facebook", "facebook/sdk_connection_items.jsonl")
    assert not errors and len(posts) == 3
    check_feed_posts(posts)


def test_graph_ids_answer_keyed_by_id():
    posts, errors, _ = read("facebook", "facebook/ids_answer.json")
    assert not errors and len(posts) == 2
    check_feed_posts(posts)


def test_graph_batch_answer_keeps_good_operations_and_names_the_bad():
    posts, errors, _ = read("facebook", "facebook/batch_answer.json")
    assert len(posts) == 3
    check_feed_posts(posts)
    assert ["code 100" in str(errors[0]), "timed out" in str(errors[1])] == [True, True]


EMMA_DY = "douyin:7432100000000000101"


def check_emma(post: Post, *, cover: bool = True, duration: bool = True) -> None:
    assert post.url == "https://www.douyin.com/video/7432100000000000101"
    assert (
        post.text == "洪崖洞的日落 🌇 Hongyadong sunset #chongqingfriends #外国人在重庆 #NightView"
    )
    assert post.created_at == datetime(2026, 10, 3, 13, 2, tzinfo=UTC)
    assert post.hashtags == ["chongqingfriends", "外国人在重庆", "nightview"]
    assert (post.metrics.likes, post.metrics.comments, post.metrics.shares) == (12830, 412, 960)
    [video] = post.media
    assert video.type == "video" and video.url.startswith("https://v")
    assert bool(video.preview_url) is cover and (video.duration_ms == 15233) is duration


def test_4cat_douyin_csv():
    posts, errors, warnings = read("douyin", "douyin/4cat_douyin.csv")
    assert not errors and not warnings and len(posts) == 4
    emma = posts[EMMA_DY]
    check_emma(emma)
    assert (emma.author.id, emma.author.name) == ("3300000000000001", "Emma在重庆")
    assert emma.author.url == "https://www.douyin.com/user/MS4wLjABAAAAemmaFixture"
    lena = posts["douyin:7433000000000000502"]
    assert [m.type for m in lena.media] == ["photo", "photo"]  # image_urls
    assert posts["douyin:7430500000000000303"].metrics.views == 150000


def test_zeeschuimer_douyin_csv():
    posts, errors, warnings = read("douyin", "douyin/zeeschuimer_douyin.csv")
    assert not errors and not warnings and len(posts) == 4
    check_emma(posts[EMMA_DY])
    assert posts[EMMA_DY].author.name == "Emma在重庆"


def test_mediacrawler_csv_and_jsonl_2025_with_user_fields():
    for name in (
        "douyin/mediacrawler_2025_contents.csv",
        "douyin/mediacrawler_2025_contents.jsonl",
    ):
        posts, errors, _ = read("douyin", name)
        assert not errors and len(posts) == 3, name
        emma = posts[EMMA_DY]
        check_emma(emma, cover=False, duration=False)
        assert (emma.author.id, emma.author.name, emma.author.handle) == (
            "3300000000000001",
            "Emma在重庆",
            "emma_cq",
        )
        assert emma.author.url == "https://www.douyin.com/user/MS4wLjABAAAAemmaFixture"
        marco = posts["douyin:7433000000000000501"]
        assert (
            marco.media[0].preview_url == "https://p6-dy.byteimg.com/large/tos-cn-p-0015/marco.jpeg"
        )
        assert [m.type for m in posts["douyin:7433000000000000502"].media] == ["photo", "photo"]


def test_mediacrawler_csv_and_jsonl_anonymised():
    for name in ("douyin/mediacrawler_contents.csv", "douyin/mediacrawler_contents.jsonl"):
        posts, errors, _ = read("douyin", name)
        assert not errors and len(posts) == 3, name
        emma = posts[EMMA_DY]
        check_emma(emma, cover=False, duration=False)
        assert (emma.author.id, emma.author.name) == ("a3f1c09e5b7d2e41", "E*****庆")


def test_douyin_share_api_item_list():
    posts, errors, _ = read("douyin", "douyin/share_item_list.json")
    assert not errors and len(posts) == 2
    marco = posts["douyin:7433000000000000501"]
    assert marco.created_at == datetime.fromtimestamp(1791200000, UTC)
    assert (marco.author.id, marco.author.name, marco.author.handle) == (
        "3300000000000005",
        "Marco在山城",
        "3300505",
    )
    assert marco.metrics.likes == 2301 and marco.hashtags == ["外国人在重庆", "chongqingfriends"]
    assert (
        marco.media[0].url.startswith("https://aweme.snssdk.com/")
        and marco.media[0].duration_ms == 21400
    )
    assert [m.type for m in posts["douyin:7433000000000000502"].media] == ["photo", "photo"]


def check_ana(post: Post, *, exact: bool) -> None:
    assert post.url == "https://www.tiktok.com/@ana.travels/video/7434000000000000701"
    assert (post.author.name, post.author.handle, post.author.url) == (
        "Ana 🇧🇷 in China",
        "ana.travels",
        "https://www.tiktok.com/@ana.travels",
    )
    assert post.created_at == datetime.fromtimestamp(1791300000, UTC)
    assert post.hashtags == ["chongqingfriends", "chongqing", "travelchina"]
    likes = 25431 if exact else 25400  # statsV2 is exact; the CSVs carry stats
    assert (post.metrics.likes, post.metrics.comments) == (likes, 402)
    [video] = post.media
    assert video.url.startswith(
        "https://v16-webapp-prime.us.tiktok.com/video/tos/alisg/ana-download"
    )


def test_zeeschuimer_tiktok_capture_dropped_in_the_douyin_inbox_is_tiktok():
    posts, errors, _ = read("douyin", "tiktok/zeeschuimer_tiktok.ndjson")
    assert not errors and set(posts) == {"tiktok:7434000000000000701", "tiktok:7434000000000000702"}
    ana = posts["tiktok:7434000000000000701"]
    check_ana(ana, exact=True)
    assert ana.lang == "en" and ana.author.id == "6799800000000000071"
    assert ana.media[0].duration_ms == 28000 and ana.metrics.views == 612004
    assert ana.collected_at == datetime.fromtimestamp(1791320000.001, UTC)
    tunde = posts["tiktok:7434000000000000702"]  # embedded: the author is the handle
    assert (tunde.author.handle, tunde.author.name, tunde.lang) == (
        "tunde.eats",
        "Tunde Eats",
        None,
    )
    assert tunde.mentions == ["ana.travels"]


def test_4cat_and_zeeschuimer_tiktok_csv():
    for name in ("tiktok/4cat_tiktok.csv", "tiktok/zeeschuimer_tiktok.csv"):
        for source in ("tiktok", "douyin"):  # recognised in the Douyin inbox too
            posts, errors, _ = read(source, name)
            assert not errors and len(posts) == 2, (name, source)
            check_ana(posts["tiktok:7434000000000000701"], exact=False)
