"""collectors/files.py: saved API pages as JSONL, one document or a list; bad lines reported."""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cqfriends.collectors.files import BAD, read_json_pages
from cqfriends.errors import BadInput

FIXTURES = Path(__file__).parent.parent / "fixtures" / "twitter"
MTIME = datetime(2026, 10, 8, 12, 0, tzinfo=UTC)


def pages() -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / "twarc_search.jsonl").read_text().splitlines()]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    os.utime(path, (MTIME.timestamp(), MTIME.timestamp()))
    return path


def read(path: Path) -> list:
    return list(read_json_pages(path, source="twitter", kind="search_page"))


def test_twarc_jsonl_one_page_per_line_stamped_with_retrieved_at():
    records = read(FIXTURES / "twarc_search.jsonl")
    assert [r.line for r in records] == [1, 2]
    assert [r.data for r in records] == pages()
    assert {(r.source, r.kind, r.origin) for r in records} == {
        ("twitter", "search_page", str(FIXTURES / "twarc_search.jsonl"))
    }
    assert records[0].fetched_at == datetime(2026, 10, 7, 10, 0, tzinfo=UTC)
    assert records[1].fetched_at == datetime(2026, 10, 7, 10, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "content", "lines"),
    [
        ("page.json", json.dumps(pages()[0], indent=2), [1]),  # one pretty-printed document
        ("page.json", "\ufeff" + json.dumps(pages()[0]), [1]),  # with a BOM
        ("pages.json", json.dumps(pages(), indent=1), [1, 1]),  # a list of pages
        (
            "blank.jsonl",
            "\n" + json.dumps(pages()[0]) + "\n\n" + json.dumps(pages()[1]) + "\n",
            [2, 4],
        ),
    ],
)
def test_document_shapes(tmp_path, name, content, lines):
    records = read(write(tmp_path, name, content))
    assert [r.line for r in records] == lines
    assert [r.data["meta"]["newest_id"] for r in records] == [
        p["meta"]["newest_id"] for p in pages()
    ][: len(lines)]


def test_page_without_twarc_uses_file_mtime(tmp_path):
    page = {k: v for k, v in pages()[0].items() if k != "__twarc"}
    (record,) = read(write(tmp_path, "api.json", json.dumps(page)))
    assert record.fetched_at == MTIME


@pytest.mark.parametrize("bad", ['{"data": [', "not json at all", b"\xff\xfe{}"])
def test_bad_line_is_reported_and_good_lines_are_kept(tmp_path, bad):
    good = [json.dumps(p).encode() for p in pages()]
    bad_bytes = bad if isinstance(bad, bytes) else bad.encode()
    path = write(tmp_path, "broken.jsonl", b"\n".join([good[0], bad_bytes, good[1]]) + b"\n")
    records = read(path)
    assert [(r.kind, r.line) for r in records] == [("search_page", 1), (BAD, 2), ("search_page", 3)]
    error = records[1].data
    assert isinstance(error, BadInput) and (error.file, error.line) == (str(path), 2)
    assert f"{path}, line 2: " in str(error)


def test_first_line_bad_still_reads_the_rest(tmp_path):
    path = write(tmp_path, "broken.jsonl", "{oops\n" + json.dumps(pages()[1]) + "\n")
    assert [(r.kind, r.line) for r in read(path)] == [(BAD, 1), ("search_page", 2)]


def test_gzip_and_empty_and_missing(tmp_path):
    gz = tmp_path / "pages.jsonl.gz"
    gz.write_bytes(gzip.compress((FIXTURES / "twarc_search.jsonl").read_bytes()))
    assert [r.line for r in read(gz)] == [1, 2]
    assert read(write(tmp_path, "empty.jsonl", "")) == []
    with pytest.raises(BadInput, match="cannot read file"):
        read(tmp_path / "nope.jsonl")


def test_generic_for_facebook_pages(tmp_path):
    page = {
        "data": [{"id": "104412371234567_123", "message": "#ChongqingFriends"}],
        "paging": {"cursors": {"before": "QVFIUj", "after": "QVFIUk"}},
    }
    (record,) = list(
        read_json_pages(
            write(tmp_path, "fb.json", json.dumps(page)), source="facebook", kind="graph_page"
        )
    )
    assert (record.source, record.kind, record.data) == ("facebook", "graph_page", page)
