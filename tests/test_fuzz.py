"""Property tests for every reader and normalizer (hypothesis).

- any JSON value in any field of a real-shaped record: ``normalize_record`` never
  raises, every other item of the record is still a post, and every post it makes
  is storable (clean text, counts in range, a time in 1970-2100);
- the same records through ``ingest_records`` on SQLite and PostgreSQL: no
  exception, and every good post is stored;
- byte flips and truncation of valid files of every format: reading never raises
  anything but one ``BadInput`` for the whole file, and every line the damage did
  not touch is still imported.

Example counts are kept small (``settings`` below) so the suite stays fast.
"""

from __future__ import annotations

import copy
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cqfriends.errors import BadInput
from cqfriends.jobs.ingest import read_file
from cqfriends.normalize import normalize_record
from cqfriends.normalize.clean import EARLIEST, LATEST, MAX_COUNT
from cqfriends.normalize.post import NormalizeOptions, RawRecord
from cqfriends.store.db import get_engine, session_scope
from cqfriends.store.ingest import ingest_records
from cqfriends.store.models import PostRow

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FETCHED = datetime(2026, 10, 8, tzinfo=UTC)
OPTIONS = NormalizeOptions()
FAST = settings(max_examples=80, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=30)
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
           | st.floats(allow_nan=True, allow_infinity=True) | TEXT
           | st.sampled_from(["", "0", "-1", "1e999999999", "9" * 400, "0001-01-01",
                              "9999-12-31T23:59:59-05:00", "\x00", "\ud800", "1.2万", "lots"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside ``value`` (dict keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(value: Any, path: tuple, new: Any) -> Any:
    value = copy.deepcopy(value)
    target = value
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return value


def first_row(name: str) -> dict[str, str]:
    return next(r.data for r in read_file("douyin" if "douyin" in name else "tiktok",
                                          FIXTURES / name) if r.kind == "row")


# (source, kind, data, the path prefix of the item the mutation may break, other items' keys)
RECORDS = {
    "twitter page": ("twitter", "search_page", load("twitter/search_p1.json"), ("data", 0)),
    "twitter flat": ("twitter", "search_page",
                     json.loads((FIXTURES / "twitter/campaign_flat.jsonl").read_text(
                         encoding="utf-8").splitlines()[0]), ()),
    "facebook page": ("facebook", "graph_page", load("facebook/feed_p1.json"), ("data", 0)),
    "facebook batch": ("facebook", "graph_page", load("facebook/batch_answer.json")[0], ()),
    "douyin item": ("douyin", "item", load("douyin/item_snake.json"), ()),
    "douyin camel": ("douyin", "item", load("douyin/item_camel.json"), ()),
    "douyin row": ("douyin", "row", first_row("douyin/4cat_douyin.csv"), ()),
    "mediacrawler": ("douyin", "item", json.loads((FIXTURES / "douyin/mediacrawler_contents.jsonl")
                                                  .read_text(encoding="utf-8").splitlines()[0]),
                     ()),
    "tiktok item": ("tiktok", "item", load("tiktok/item_api.json"), ()),
    "tiktok embedded": ("tiktok", "item", load("tiktok/item_embedded.json"), ()),
    "tiktok row": ("tiktok", "row", first_row("tiktok/zeeschuimer_tiktok.csv"), ()),
}


def assert_storable(posts) -> None:
    for post in posts:
        assert "\x00" not in post.text and not any("\ud800" <= c <= "\udfff" for c in post.text)
        for value in (post.metrics.likes, post.metrics.comments, post.metrics.shares,
                      post.metrics.views):
            assert 0 <= value <= MAX_COUNT
        assert EARLIEST <= post.created_at < LATEST and len(post.source_id) <= 128
        json.dumps(post.raw, allow_nan=False)  # storable as JSON on both databases


def mutate(name: str, data: st.DataObject) -> tuple[RawRecord, set[str]]:
    source, kind, base, item_prefix = RECORDS[name]
    good = {p.key for p in normalize_record(
        RawRecord(source, kind, base, "f.jsonl", FETCHED, 7), OPTIONS).posts}
    path = data.draw(st.sampled_from(paths(base)), label="path")
    new = data.draw(JSON, label="value")
    if kind == "row":
        new = new if isinstance(new, str) else json.dumps(new, default=str)[:200]
    record = RawRecord(source, kind, replaced(base, path, new), "f.jsonl", FETCHED, 7)
    untouched = set()
    if item_prefix and path[:len(item_prefix)] == item_prefix:  # the other items must survive
        broken = normalize_record(RawRecord(source, kind, base | {"data": base["data"][:1]},
                                            "f", FETCHED, 7), OPTIONS).posts
        untouched = good - {p.key for p in broken}
    return record, untouched


@pytest.mark.parametrize("name", sorted(RECORDS))
@FAST
@given(data=st.data())
def test_any_json_value_in_any_field(name, data):
    record, untouched = mutate(name, data)
    batch = normalize_record(record, OPTIONS)
    keys = {p.key for p in batch.posts}
    assert untouched <= keys
    assert_storable(batch.posts)
    for error in batch.errors:
        assert isinstance(error, BadInput) and error.file == "f.jsonl" and error.line == 7


@pytest.mark.parametrize("name", ["twitter page", "facebook page", "douyin item", "tiktok row"])
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_records_store_on_both_databases(name, data, db_url):
    record, untouched = mutate(name, data)
    summary = ingest_records([record], engine=get_engine(db_url), options=OPTIONS)
    assert summary.read == (summary.new + summary.updated + summary.unchanged
                            + summary.duplicates + summary.bad)
    with session_scope(get_engine(db_url)) as session:
        stored = {f"{s}:{i}" for s, i in session.execute(
            sa.select(PostRow.source, PostRow.source_id))}
    assert untouched <= stored


FILES = {  # a valid file of each format, and whether its records are lines (JSONL/CSV)
    "twitter jsonl": ("twitter", "twitter/campaign_pages.jsonl", True),
    "twitter flat": ("twitter", "twitter/campaign_flat.jsonl", True),
    "twarc csv": ("twitter", "twitter/campaign_twarc.csv", True),
    "facebook items": ("facebook", "facebook/sdk_connection_items.jsonl", True),
    "facebook batch": ("facebook", "facebook/batch_answer.json", False),
    "zeeschuimer ndjson": ("douyin", "tiktok/zeeschuimer_tiktok.ndjson", True),
    "4cat csv": ("douyin", "douyin/4cat_douyin.csv", True),
    "zeeschuimer csv": ("tiktok", "tiktok/zeeschuimer_tiktok.csv", True),
    "mediacrawler jsonl": ("douyin", "douyin/mediacrawler_2025_contents.jsonl", True),
    "share api": ("douyin", "douyin/share_item_list.json", False),
}


def keys_by_line(source: str, path: Path) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for record in read_file(source, path):
        keys = {p.key for p in normalize_record(record, OPTIONS).posts}
        found.setdefault(record.line or 0, set()).update(keys)
    return found


def read_damaged(source: str, path: Path) -> dict[int, set[str]] | None:
    """Keys per line of a damaged file; None when the whole file is one BadInput."""
    try:
        return keys_by_line(source, path)
    except BadInput:
        return None


@pytest.mark.parametrize("name", sorted(FILES))
@FAST
@given(data=st.data())
def test_byte_flips_and_truncation_keep_the_untouched_lines(name, data, tmp_path_factory):
    source, fixture, line_based = FILES[name]
    original = (FIXTURES / fixture).read_bytes()
    size = len(original)
    flips = data.draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 255)),
                               max_size=4), label="flips")
    cut = data.draw(st.none() | st.integers(0, size), label="truncate at")
    damaged = bytearray(original)
    for position, byte in flips:
        damaged[position] = byte
    if cut is not None:
        damaged = damaged[:cut]
    folder = tmp_path_factory.mktemp("damaged")
    path = folder / Path(fixture).name
    path.write_bytes(bytes(damaged))
    result = read_damaged(source, path)
    shutil.rmtree(folder, ignore_errors=True)
    if not line_based or result is None:
        return
    damage = sorted([p for p, _ in flips] + ([cut] if cut is not None else []))
    first = damage[0] if damage else size
    offsets = _line_offsets(original)
    expected: set[str] = set()
    for line, keys in keys_by_line(source, FIXTURES / fixture).items():
        start, end = offsets[line - 1]  # end: the position of the line's newline
        if fixture.endswith(".csv"):  # a flipped quote may swallow the lines after it
            intact = end < first
        else:
            intact = not any(start <= p <= end for p, _ in flips) and (cut is None or cut > end)
        if intact:
            expected |= keys
    found = set().union(*result.values()) if result else set()
    assert expected <= found, (flips, cut)


def _line_offsets(data: bytes) -> list[tuple[int, int]]:
    offsets, start = [], 0
    for line in data.split(b"\n"):
        offsets.append((start, start + len(line)))
        start += len(line) + 1
    return offsets


XLSX_HEADERS = ["作品ID", "作品描述", "发布时间", "账号昵称", "点赞数量", "作品链接"]


@pytest.fixture(scope="module")
def xlsx_bytes(tmp_path_factory) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(XLSX_HEADERS)
    for n in range(20):
        book.active.append([f"74326000000{n:08d}", f"作品 {n}", "2026-10-06 15:20:00", "Leo", n,
                            f"https://www.douyin.com/video/74326000000{n:08d}"])
    path = tmp_path_factory.mktemp("xlsx") / "book.xlsx"
    book.save(path)
    return path.read_bytes()


@FAST
@given(data=st.data())
def test_byte_flipped_xlsx_never_crashes(data, xlsx_bytes, tmp_path_factory):
    size = len(xlsx_bytes)
    flips = data.draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 255)),
                               min_size=1, max_size=6), label="flips")
    damaged = bytearray(xlsx_bytes)
    for position, byte in flips:
        damaged[position] = byte
    path = tmp_path_factory.mktemp("flipped") / "book.xlsx"
    path.write_bytes(bytes(damaged))
    try:
        batches = [normalize_record(r, OPTIONS) for r in read_file("douyin", path)]
    except BadInput as e:
        assert e.file == str(path)
        return
    assert_storable([p for b in batches for p in b.posts])
