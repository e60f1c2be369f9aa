"""The crash shapes of issue 11, one regression case each: never an exception, good ones kept.

Each shape is put into one item of a real-shaped record that holds another, good
item (a page of two tweets or Graph posts), or into a Douyin/TikTok item; the
record goes through ``normalize_record``.  The shape's item becomes a post
(cleaned, counts clamped, with a warning) or one error naming the file, the line
and the field; the good item is always a post.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cqfriends.errors import BadInput
from cqfriends.normalize import normalize_record
from cqfriends.normalize.clean import MAX_COUNT
from cqfriends.normalize.post import NormalizeOptions, RawRecord

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FETCHED = datetime(2026, 10, 8, tzinfo=UTC)
OPTIONS = NormalizeOptions()
BIG_ID = "9" * 5000


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def put(target: dict, path: str, value: object) -> dict:
    *parents, last = path.split(".")
    for key in parents:
        target = target[key]
    target[last] = value
    return target


TWITTER = [("entities", [1]), ("attachments", "x"), ("public_metrics", [1]),
           ("created_at", "9999-12-31T23:59:59-05:00"), ("created_at", "0001-01-01T00:00:00+01:00"),
           ("created_at", "0001-01-01"), ("public_metrics.like_count", 10**20),
           ("public_metrics.retweet_count", -5), ("id", BIG_ID), ("id", 10**400),
           ("text", "lone \ud800 surrogate"), ("text", "NUL \x00 byte"), ("lang", {"a": 1}),
           ("referenced_tweets", "x"), ("edit_history_tweet_ids", 5), ("author_id", [1]),
           ("attachments", {"media_keys": [1, None, {"a": 1}]}), ("entities", {"hashtags": "x"}),
           ("created_at", 1791029100)]
FACEBOOK = [("attachments", "x"), ("shares", {"count": 10**19}), ("shares", [1]),
            ("created_time", "0001-01-01T00:00:00+0100"),
            ("created_time", "9999-12-31T23:59:59-0500"), ("message", {"a": 1}), ("id", BIG_ID),
            ("message", "lone \ud800 \x00"), ("reactions", [1]), ("comments", {"summary": [1]}),
            ("from", "x"), ("attachments", {"data": [5, {"media": "x"}]}),
            ("message_tags", {"a": 1})]
DOUYIN = [("author", "x"), ("statistics", [1]), ("images", 5), ("desc_language", {"a": 1}),
          ("statistics.digg_count", "lots"), ("statistics.digg_count", "1e999999999"),
          ("statistics.share_count", 10**20), ("statistics.digg_count", 1e308 * 10),
          ("video.bit_rate", [{"bit_rate": "high"}, {"bit_rate": 5}, 3, None]),
          ("create_time", "not a time"), ("create_time", 10**20), ("create_time", "0001-01-01"),
          ("create_time", {"a": 1}), ("aweme_id", BIG_ID), ("aweme_id", [1]),
          ("desc", "lone \ud800 \x00"), ("text_extra", 5), ("video", "x"),
          ("author.nickname", {"a": 1}), ("statistics", {"digg_count": [1]})]
TIKTOK = [("author", 5), ("stats", [1]), ("createTime", "soon"), ("createTime", 10**30),
          ("video.duration", "x"), ("imagePost", {"images": 5}), ("id", [1]),
          ("statsV2.diggCount", "lots"), ("textExtra", "x"), ("challenges", [1, "x"])]


def check(batch, good_keys: set[str], origin: str) -> None:
    assert {p.key for p in batch.posts} >= good_keys
    for error in batch.errors:
        assert isinstance(error, BadInput)
        assert error.file == origin and error.line == 3, error


@pytest.mark.parametrize(("path", "value"), TWITTER, ids=[f"{p}={v!r:.20}" for p, v in TWITTER])
def test_twitter_shapes(path, value):
    page = load("twitter/search_p1.json")
    put(page["data"][0], path, value)
    record = RawRecord("twitter", "search_page", page, "p.jsonl", FETCHED, 3)
    batch = normalize_record(record, OPTIONS)
    check(batch, {f"twitter:{page['data'][1]['id']}"}, "p.jsonl")
    assert len(batch.posts) + len(batch.errors) == 2
    for error in batch.errors:
        assert error.field and error.field.startswith("data[0]") or "twitter:" in str(error)


@pytest.mark.parametrize(("path", "value"), FACEBOOK, ids=[f"{p}={v!r:.20}" for p, v in FACEBOOK])
def test_facebook_shapes(path, value):
    page = load("facebook/feed_p1.json")
    put(page["data"][0], path, value)
    record = RawRecord("facebook", "graph_page", page, "fb.json", FETCHED, 3)
    batch = normalize_record(record, OPTIONS)
    check(batch, {f"facebook:{page['data'][1]['id']}"}, "fb.json")
    assert len(batch.posts) + len(batch.errors) == 2


@pytest.mark.parametrize(("path", "value"), DOUYIN, ids=[f"{p}={v!r:.20}" for p, v in DOUYIN])
def test_douyin_shapes(path, value):
    item = copy.deepcopy(load("douyin/item_snake.json"))
    put(item, path, value)
    batch = normalize_record(RawRecord("douyin", "item", item, "d.ndjson", FETCHED, 3), OPTIONS)
    check(batch, set(), "d.ndjson")
    assert len(batch.posts) + len(batch.errors) == 1


@pytest.mark.parametrize(("path", "value"), TIKTOK, ids=[f"{p}={v!r:.20}" for p, v in TIKTOK])
def test_tiktok_shapes(path, value):
    item = copy.deepcopy(load("tiktok/item_api.json"))
    put(item, path, value)
    batch = normalize_record(RawRecord("tiktok", "item", item, "t.ndjson", FETCHED, 3), OPTIONS)
    check(batch, set(), "t.ndjson")
    assert len(batch.posts) + len(batch.errors) == 1


@pytest.mark.parametrize(("source", "kind", "data", "path"), [
    ("twitter", "search_page", "twitter/search_p1.json", "data.0.public_metrics.like_count"),
    ("facebook", "graph_page", "facebook/feed_p1.json", "data.0.shares.count"),
    ("douyin", "item", "douyin/item_snake.json", "statistics.digg_count"),
])
def test_counts_past_the_column_are_clamped_with_a_warning(source, kind, data, path):
    page = load(data)
    *parents, last = path.split(".")
    target = page
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    target[last] = 10**20
    batch = normalize_record(RawRecord(source, kind, page, "f", FETCHED, 1), OPTIONS)
    assert not batch.errors
    assert max(max(p.metrics.likes, p.metrics.shares) for p in batch.posts) == MAX_COUNT
    assert any("clamped" in w for w in batch.warnings)


def test_text_is_cleaned_of_nul_and_lone_surrogates_with_a_warning():
    item = load("douyin/item_snake.json")
    item["desc"] = "洪崖洞\x00 \ud800night"
    item["author"]["nickname"] = "Em\x00ma"
    [post] = normalize_record(RawRecord("douyin", "item", item, "f", FETCHED, 1), OPTIONS).posts
    assert post.text == "洪崖洞 night" and post.author.name == "Emma"
    assert "\x00" not in json.dumps(post.raw) and "\\ud800" not in json.dumps(post.raw)


@pytest.mark.parametrize("created", ["0001-01-01", "9999-12-31 23:59:59", "1969-12-31 23:59:59",
                                     "2100-01-01 00:00:00"])
def test_times_outside_1970_to_2100_are_a_bad_row(created):
    row = {"作品ID": "7432600000000000901", "作品描述": "x", "发布时间": created}
    batch = normalize_record(RawRecord("douyin", "row", row, "e.csv", FETCHED, 4), OPTIONS)
    [error] = batch.errors
    assert (error.file, error.line) == ("e.csv", 4) and not batch.posts
    assert "1970-2100" in str(error) or "out of range" in str(error)


@pytest.mark.parametrize("name", ["deep.ndjson", "deep.jsonl"])
def test_200000_nested_brackets_are_one_bad_line(tmp_path, name):
    from cqfriends.jobs.ingest import read_file

    good = json.dumps({"data": load("douyin/item_snake.json"), "source_platform": "douyin.com"})
    path = tmp_path / name
    path.write_text(good + "\n" + "[" * 200_000 + "\n" + good + "\n", encoding="utf-8")
    source = "douyin" if name.endswith(".ndjson") else "twitter"
    records = list(read_file(source, path))
    assert [r.kind for r in records][1] == "bad" and records[1].line == 2
    assert len([r for r in records if r.kind != "bad"]) == 2


def test_a_200000_character_csv_cell_is_one_bad_row(tmp_path):
    from cqfriends.collectors.douyin import read_export

    path = tmp_path / "big.csv"
    rows = ["作品ID,作品描述,发布时间", "7432600000000000901,ok,2026-10-06 15:20:00",
            "7432600000000000902," + "长" * 200_000 + ",2026-10-06 15:20:00",
            "7432600000000000903,also ok,2026-10-06 15:20:00"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    records = list(read_export(path))
    assert [(r.kind, r.line) for r in records] == [("row", 2), ("bad", 3), ("row", 4)]


def test_the_douyin_ndjson_of_the_issue_keeps_lines_1_and_3(tmp_path):
    from cqfriends.jobs.ingest import read_file

    lines = []
    for n, created in enumerate([1791032520, "not a time", 1791032520], start=1):
        item = {**load("douyin/item_snake.json"), "aweme_id": f"743210000000000010{n}",
                "create_time": created}
        lines.append(json.dumps({"source_platform": "douyin.com", "data": item}))
    path = tmp_path / "topic.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    batches = [normalize_record(r, OPTIONS) for r in read_file("douyin", path)]
    assert [p.source_id for b in batches for p in b.posts] == [
        "7432100000000000101", "7432100000000000103"]
    [error] = [e for b in batches for e in b.errors]
    assert (error.line, error.field) == (2, "create_time") and "not a time" in str(error)
