"""Douyin items (snake_case API and camelCase embedded) and export rows -> Post."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cqfriends.errors import BadInput, ConfigError, NormalizeError
from cqfriends.normalize.douyin import (
    HEADER_ALIASES,
    map_headers,
    normalize_item,
    parse_count,
    parse_id,
    parse_time,
)
from cqfriends.normalize.post import NormalizeOptions, RawRecord

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "douyin"
FETCHED = datetime(2026, 10, 7, 8, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
OPTIONS = NormalizeOptions(tz=SHANGHAI)


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def item_record(data: object, line: int = 4) -> RawRecord:
    return RawRecord("douyin", "item", data, "topic.ndjson", FETCHED, line)


def row_record(row: dict, line: int = 7) -> RawRecord:
    return RawRecord("douyin", "row", row, "export.csv", FETCHED, line)


def one_post(record: RawRecord, options: NormalizeOptions = OPTIONS):
    batch = normalize_item(record, options)
    assert batch.errors == []
    assert len(batch.posts) == 1
    return batch.posts[0], batch


@pytest.mark.parametrize(("text", "expected"), [
    ("", 0), (None, 0), ("-", 0), ("0", 0), ("986", 986), ("1,234", 1234), ("1，234", 1234),
    ("1.2万", 12000), ("1.2 万", 12000), ("3.5w", 35000), ("3.5W", 35000), ("2千", 2000),
    ("2k", 2000), ("10万+", 100000), ("1.5亿", 150_000_000), ("12000.0", 12000), (42, 42),
    ("999+", 999), ("0.3万", 3000),
])
def test_parse_count(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize("text", ["abc", "1.2万万", "-5", "十万"])
def test_parse_count_rejects(text):
    with pytest.raises(ValueError):
        parse_count(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-10-03 20:05:00", datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
    ("2026-10-03 20:05", datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
    ("2026/10/3 20:05", datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
    ("2026/10/03 20:05:30", datetime(2026, 10, 3, 12, 5, 30, tzinfo=UTC)),
    ("2026年10月3日 20:05", datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
    ("2026-10-03", datetime(2026, 10, 2, 16, 0, tzinfo=UTC)),
    ("1791029100", datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
    ("1791029100000", datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
    (1791029100, datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
    ("2026-10-03T12:05:00Z", datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
    ("2026-10-03T20:05:00+08:00", datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
    ("2026-10-03T20:05:00", datetime(2026, 10, 3, 12, 5, tzinfo=UTC)),
])
def test_parse_time_in_campaign_zone(text, expected):
    assert parse_time(text, SHANGHAI) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01 10:00", "03/10/2026 20:05", "12345"])
def test_parse_time_rejects(text):
    with pytest.raises(ValueError):
        parse_time(text, SHANGHAI)


@pytest.mark.parametrize(("text", "ok"), [
    ("7432100000000000101", True), ("\t7432100000000000101", True), ("'7432100000000000101", True),
    ("7.4321e+18", False), ("7432100000000000101.0", False), ("7.432100000000001E18", False),
    ("abc", False), ("", False),
])
def test_parse_id_never_accepts_a_float(text, ok):
    if ok:
        assert parse_id(text) == "7432100000000000101"
    else:
        with pytest.raises(ValueError):
            parse_id(text)


@pytest.mark.parametrize(("field", "headers"), sorted(HEADER_ALIASES.items()))
def test_map_headers_knows_every_spelling(field, headers):
    for header in headers:
        assert map_headers(["作品ID", header] if field != "id" else [header, "作品描述"], {})[
            header] == field


@pytest.mark.parametrize(("header", "field"), [
    (" 点赞数 ", "likes"), ("Digg_Count", "likes"), ("\ufeff作品ID", "id"), ("ID", "author_handle"),
    ("id", "id"), ("Share URL", "url"), ("PLAY_COUNT", "views"),
])
def test_map_headers_tolerates_case_and_spacing(header, field):
    assert map_headers([header, "desc"], {}).get(header) == field


@pytest.mark.parametrize(("aliases", "header", "field"), [
    ({"视频点赞": "likes"}, "视频点赞", "likes"),
    ({"视频点赞": "digg_count"}, "视频点赞", "likes"),
    ({"Beschreibung": "text"}, "Beschreibung", "text"),
    ({"点赞数": "views"}, "点赞数", "views"),  # config wins over built-ins
])
def test_map_headers_config_aliases(aliases, header, field):
    assert map_headers(["作品ID", header], aliases)[header] == field


def test_map_headers_unknown_alias_target_is_a_config_error():
    with pytest.raises(ConfigError, match="column_aliases"):
        map_headers(["作品ID"], {"x": "nonsense"})


def test_map_headers_names_expected_columns():
    with pytest.raises(BadInput, match="expected one of: 作品ID.*作品描述"):
        map_headers(["foo", "bar", "点赞数"], {})


def test_snake_item():
    post, batch = one_post(item_record(load("item_snake.json")))
    assert post.key == "douyin:7432100000000000101"
    assert post.url == "https://www.douyin.com/video/7432100000000000101"
    assert post.created_at == datetime(2026, 10, 3, 13, 2, tzinfo=UTC)
    assert post.collected_at == FETCHED
    assert (post.author.id, post.author.name, post.author.handle) == (
        "3300000000000001", "Emma在重庆", "emma_cq")
    assert post.author.url == "https://www.douyin.com/user/MS4wLjABAAAAemmaFixture"
    assert post.hashtags == ["chongqingfriends", "外国人在重庆", "nightview"]
    assert (post.metrics.likes, post.metrics.comments, post.metrics.shares,
            post.metrics.views) == (12830, 412, 960, 0)  # forward_count (7) not added
    [video] = post.media
    assert video.type == "video" and "/1080p/" in video.url  # highest bit_rate
    assert video.preview_url.startswith("https://p3-dy.byteimg.com/img/")
    assert video.duration_ms == 15233
    assert not post.is_repost and post.raw["aweme_id"] == "7432100000000000101"
    assert batch.warnings == []


def test_camel_item():
    post, _ = one_post(item_record(load("item_camel.json")))
    assert post.source_id == "7430500000000000303"
    assert post.created_at == datetime(2026, 9, 27, 2, 15, tzinfo=UTC)
    assert (post.author.id, post.author.name) == ("3300000000000003", "Аня в Чунцине")
    assert post.author.url.endswith("/user/MS4wLjABAAAAanyaFixture")
    assert post.hashtags == ["chongqingfriends", "外国人在重庆"]
    assert post.metrics.views == 150000 and post.metrics.shares == 3402
    [video] = post.media
    assert video.url.startswith("https://v26-web.douyinvod.com/") and "/1080p/" in video.url
    assert video.preview_url.startswith("https://p3-pc-sign.douyinpic.com/")


def test_2020_share_page_item_without_create_time_uses_fetched_at():
    item = load("page_2020.json")["aweme_list"][0]
    post, batch = one_post(item_record(item))
    assert post.created_at == FETCHED
    assert "no create_time" in batch.warnings[0]
    assert post.author.handle == "19930001"  # unique_id "" -> short_id
    assert post.media[0].url.startswith("https://v26-web.douyinvod.com/")  # bit_rate null
    assert post.media[0].duration_ms == 9567


def _variant(**changes):
    item = copy.deepcopy(load("item_snake.json"))
    for path, value in changes.items():
        target = item
        *parents, last = path.split("__")
        for p in parents:
            target = target[p]
        target[last] = value
    return item


@pytest.mark.parametrize(("item", "check"), [
    (_variant(aweme_id=7432100000000000101), lambda p: p.source_id == "7432100000000000101"),
    (_variant(create_time="1791029100"), lambda p: p.created_at.hour == 12),
    (_variant(images=[{"url_list": ["javascript:alert(1)", "https://p3.douyinpic.com/a.jpg"]}]),
     lambda p: [(m.type, m.url) for m in p.media] == [("photo", "https://p3.douyinpic.com/a.jpg")]),
    (_variant(video__bit_rate=[], video__play_addr={"url_list": ["//v3.douyinvod.com/x.mp4"]}),
     lambda p: p.media[0].url == "https://v3.douyinvod.com/x.mp4"),
    (_variant(video__bit_rate=[], video__play_addr={"url_list": ["ftp://x"]},
              video__cover={"url_list": []}, video__origin_cover=None, video__dynamic_cover=None),
     lambda p: p.media == []),
    (_variant(statistics={}), lambda p: p.metrics.likes == 0),
    (_variant(author={}), lambda p: p.author.url == "" and p.author.id == "3300000000000001"),
    (_variant(forward_item={"aweme_id": "7400000000000000001"}),
     lambda p: p.is_repost and p.repost_of == "douyin:7400000000000000001"),
    (_variant(text_extra=None, desc="no tags here"), lambda p: p.hashtags == []),
    (_variant(text_extra=[{"type": 0, "sec_uid": "MS4wFriend"}]),
     lambda p: p.mentions == ["MS4wFriend"]),
])
def test_item_variants(item, check):
    post, _ = one_post(item_record(item))
    assert check(post)


@pytest.mark.parametrize(("item", "field"), [
    (_variant(aweme_id=7.4321e18), "aweme_id"),
    (_variant(aweme_id="7432100000000000101.0"), "aweme_id"),
    ({"desc": "no id"}, "aweme_id"),
])
def test_bad_items_are_errors_with_file_line_field(item, field):
    batch = normalize_item(item_record(item, line=9), OPTIONS)
    assert batch.posts == []
    [error] = batch.errors
    assert isinstance(error, NormalizeError)
    assert (error.file, error.line, error.field) == ("topic.ndjson", 9, field)


def test_bad_record_passes_through_as_error():
    bad = BadInput("invalid JSON", file="x.ndjson", line=3)
    batch = normalize_item(RawRecord("douyin", "bad", bad, "x.ndjson", FETCHED, 3), OPTIONS)
    assert batch.errors == [bad] and batch.posts == []


ROW = {"作品ID": "7432600000000000901", "作品描述": "魔幻立交 #外国人在重庆 #ChongqingFriends",
       "发布时间": "2026-10-06 15:20:00", "账号昵称": "Leo看山城", "点赞数量": "1.2万",
       "评论数量": "356", "分享数量": "2千", "播放量": "10万+",
       "作品链接": "https://www.douyin.com/video/7432600000000000901"}


def test_row_with_chinese_headers():
    post, _ = one_post(row_record(ROW))
    assert post.key == "douyin:7432600000000000901"
    assert post.created_at == datetime(2026, 10, 6, 7, 20, tzinfo=UTC)
    assert post.author.name == "Leo看山城"
    assert post.hashtags == ["外国人在重庆", "chongqingfriends"]
    assert (post.metrics.likes, post.metrics.comments, post.metrics.shares,
            post.metrics.views) == (12000, 356, 2000, 100000)


def test_row_with_english_headers_topics_media_and_config_alias():
    row = {"aweme_id": "7432600000000000902", "desc": "Hotpot!", "create_time": "1791029100",
           "nickname": "Lucas", "unique_id": "lucas.eats.cq", "uid": "3300000000000002",
           "sec_uid": "MS4wLucas", "视频点赞": "3.5w", "作品话题": "['火锅', 'chongqingfriends']",
           "视频时长": "00:00:32", "静态封面": "https://p3.douyinpic.com/c.jpg",
           "下载地址": "https://v26-web.douyinvod.com/x.mp4"}
    post, _ = one_post(row_record(row), NormalizeOptions(SHANGHAI, {"视频点赞": "likes"}))
    assert post.metrics.likes == 35000
    assert post.author == post.author.__class__(
        "3300000000000002", "Lucas", "lucas.eats.cq", "https://www.douyin.com/user/MS4wLucas")
    assert post.hashtags == ["火锅", "chongqingfriends"]
    [video] = post.media
    assert (video.url, video.preview_url, video.duration_ms) == (
        "https://v26-web.douyinvod.com/x.mp4", "https://p3.douyinpic.com/c.jpg", 32000)


def test_row_without_id_column_takes_the_id_from_the_link():
    row = {k: v for k, v in ROW.items() if k != "作品ID"}
    post, _ = one_post(row_record(row))
    assert post.source_id == "7432600000000000901"


def test_row_without_time_uses_file_time_with_warning():
    post, batch = one_post(row_record({k: v for k, v in ROW.items() if k != "发布时间"}))
    assert post.created_at == FETCHED and batch.warnings


@pytest.mark.parametrize(("change", "field", "reason"), [
    ({"点赞数量": "很多"}, "点赞数量", "not a count"),
    ({"作品ID": "", "作品链接": ""}, "作品ID", "no work id"),
    ({"作品ID": "7.4326e+18"}, "作品ID", "precision lost"),
    ({"作品ID": "7432600000000000901.0", "作品链接": ""}, "作品ID", "precision lost"),
    ({"发布时间": "下周一"}, "发布时间", "not a time"),
])
def test_bad_rows_name_file_line_and_field(change, field, reason):
    batch = normalize_item(row_record({**ROW, **change}, line=12), OPTIONS)
    assert batch.posts == []
    [error] = batch.errors
    assert isinstance(error, NormalizeError)
    assert (error.file, error.line, error.field) == ("export.csv", 12, field)
    assert reason in str(error) and "export.csv, line 12" in str(error)


def test_row_without_recognisable_columns_is_bad_input_listing_columns():
    batch = normalize_item(row_record({"foo": "1", "bar": "2"}), OPTIONS)
    [error] = batch.errors
    assert isinstance(error, BadInput) and "作品ID" in str(error) and error.line == 7
