"""Douyin export files -> RawRecord: NDJSON shapes, CSV encodings, XLSX, watch folder."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from cqfriends.collectors.douyin import cell_text, read_export
from cqfriends.errors import BadInput
from cqfriends.normalize.douyin import normalize_item
from cqfriends.normalize.post import NormalizeOptions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "douyin"
SAMPLES = Path(__file__).resolve().parents[2] / "collectors" / "samples"
OPTIONS = NormalizeOptions(tz=ZoneInfo("Asia/Shanghai"))
HEADERS = ["作品ID", "作品描述", "发布时间", "账号昵称",
           "点赞数量", "评论数量", "分享数量", "播放量"]
ROWS = [
    ["7432600000000000901", "魔幻立交, 导航都晕了 #外国人在重庆", "2026-10-06 15:20:00",
     "Leo看山城", "1.2万", "1,234", "2千", "10万+"],
    ["7432700000000000902", "小面 на завтрак #chongqingfriends", "2026/10/7 8:05", "Маша", "3.5w",
     "41", "12", ""],
]


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def envelope(item: dict, n: int = 1) -> dict:
    return {"id": n, "nav_index": f"1:412:{n}", "item_id": item.get("aweme_id") or item["awemeId"],
            "timestamp_collected": 1791040000123, "last_updated": 1791040500000,
            "source_platform": "douyin.com",
            "source_platform_url": "https://www.douyin.com/search/外国人在重庆",
            "source_url": "https://www.douyin.com/aweme/v1/web/general/search/single/",
            "user_agent": "Mozilla/5.0", "data": item}


def write_csv(path: Path, rows: list[list[str]], encoding: str, delimiter: str = ",") -> Path:
    lines = [delimiter.join(f'"{c}"' if delimiter in c else c for c in row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def test_ndjson_envelopes_keep_import_meta_and_capture_time(tmp_path):
    path = tmp_path / "topic.ndjson"
    lines = [envelope(load("item_snake.json"), 1), envelope(load("item_camel.json"), 2)]
    path.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in lines) + "\n")
    records = list(read_export(path))
    assert [(r.kind, r.line) for r in records] == [("item", 1), ("item", 2)]
    first = records[0]
    assert first.source == "douyin" and first.origin == str(path)
    assert first.fetched_at == datetime(2026, 10, 3, 15, 6, 40, 123000, tzinfo=UTC)
    assert first.data["aweme_id"] == "7432100000000000101"
    assert first.data["__import_meta"]["nav_index"] == "1:412:1"
    assert "data" not in first.data["__import_meta"]
    assert records[1].data["awemeId"] == "7430500000000000303"


def test_bare_items_and_aweme_list_pages_per_line(tmp_path):
    path = tmp_path / "mixed.jsonl"
    page = load("page_2020.json")
    path.write_text(json.dumps(load("item_camel.json")) + "\n\n" + json.dumps(page) + "\n")
    records = list(read_export(path))
    assert [(r.kind, r.line) for r in records] == [("item", 1), ("item", 3)]
    assert records[1].data["aweme_id"] == "6839200000000000999"
    assert records[1].fetched_at == datetime.fromtimestamp(path.stat().st_mtime, UTC)


def test_aweme_list_page_as_one_json_document(tmp_path):
    path = tmp_path / "page.json"
    path.write_text(json.dumps(load("page_2020.json"), indent=2))
    [record] = read_export(path)
    assert record.kind == "item" and record.data["aweme_id"] == "6839200000000000999"


def test_bad_ndjson_lines_are_reported_and_good_lines_kept(tmp_path):
    path = tmp_path / "broken.ndjson"
    good = json.dumps(envelope(load("item_snake.json")))
    path.write_bytes(b"\n".join([good.encode(), b'{"aweme_id": "74', b"\xff\xfe garbage", b"42",
                                 good.encode()]) + b"\n")
    records = list(read_export(path))
    assert [(r.kind, r.line) for r in records] == [
        ("item", 1), ("bad", 2), ("bad", 3), ("bad", 4), ("item", 5)]
    bad = records[1].data
    assert isinstance(bad, BadInput) and bad.file == str(path) and bad.line == 2
    assert "invalid JSON" in str(bad)


@pytest.mark.parametrize(("encoding", "delimiter"), [
    ("utf-8", ","), ("utf-8-sig", ","), ("gb18030", ","), ("utf-8", ";"), ("gb18030", "\t"),
    ("utf-16", ","),
])
def test_csv_encodings_and_delimiters(tmp_path, encoding, delimiter):
    path = write_csv(tmp_path / "export.csv", [HEADERS, *ROWS], encoding, delimiter)
    records = list(read_export(path))
    assert [(r.kind, r.line) for r in records] == [("row", 2), ("row", 3)]
    assert list(records[0].data) == HEADERS  # header exact, no BOM
    assert records[0].data["作品描述"] == "魔幻立交, 导航都晕了 #外国人在重庆"
    posts = [p for r in records for p in normalize_item(r, OPTIONS).posts]
    assert [p.source_id for p in posts] == ["7432600000000000901", "7432700000000000902"]
    assert posts[0].metrics.comments == 1234 and posts[1].metrics.likes == 35000


def test_csv_bad_rows_keep_good_rows(tmp_path):
    rows = [HEADERS, ROWS[0], ["7.4327e+18", *ROWS[1][1:]], ["", "无ID", "", "", "", "", "", ""],
            [*ROWS[1][:4], "lots", *ROWS[1][5:]], [*ROWS[1][:2], "someday", *ROWS[1][3:]]]
    path = write_csv(tmp_path / "bad.csv", rows, "gb18030")
    batches = [normalize_item(r, OPTIONS) for r in read_export(path)]
    assert len([p for b in batches for p in b.posts]) == 1
    errors = [e for b in batches for e in b.errors]
    assert [(e.file, e.line, e.field) for e in errors] == [
        (str(path), 3, "作品ID"), (str(path), 4, "作品ID"), (str(path), 5, "点赞数量"),
        (str(path), 6, "发布时间")]


def test_csv_without_recognisable_columns(tmp_path):
    path = write_csv(tmp_path / "other.csv", [["名字", "年龄"], ["a", "1"]], "utf-8")
    [record] = read_export(path, column_aliases={})
    assert record.kind == "bad" and "expected one of: 作品ID" in str(record.data)
    batch = normalize_item(next(iter(read_export(path))), OPTIONS)  # without aliases: per row
    assert isinstance(batch.errors[0], BadInput) and "作品ID" in str(batch.errors[0])


def test_an_undecodable_line_costs_that_row_only(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes("作品ID,作品描述\n1,ok\n".encode("gb18030") + b"2,\x81\x20\xff\xff\n"
                     + "3,好\n".encode("gb18030"))
    good, record, last = read_export(path)
    assert (good.kind, good.line, last.kind, last.line) == ("row", 2, "row", 4)
    assert last.data["作品描述"] == "好"
    assert record.kind == "bad" and "cannot decode" in str(record.data)
    assert (record.data.file, record.data.line) == (str(path), 3)


def test_a_file_no_encoding_reads_is_one_bad_input(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\x81\x20\xff\xff\n\xff\xfe\xfd\n")
    with pytest.raises(BadInput, match="cannot decode"):
        list(read_export(path))


def test_xlsx_ids_as_text_and_numbers(tmp_path):
    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["导出说明：抖音作品数据"])
    sheet = workbook.create_sheet("作品数据")
    sheet.append(["抖音作品数据导出 2026-10-10"])  # a title row above the header
    sheet.append(HEADERS)
    sheet.append(ROWS[0])  # id as text
    sheet.append([1234567, "int id", datetime(2026, 10, 7, 8, 5), "Маша", 35000, 41, 12.0, 120000])
    sheet.append([7.4328e18, "float id: precision lost", "2026-10-08 20:40", "Kenji", 1, 2, 3, 4])
    path = tmp_path / "creator.xlsx"
    workbook.save(path)
    # openpyxl (like Excel) writes a 19-digit int as a double; a tool that writes the exact
    # digits into <v> is read back as int: patch the placeholder to get such a cell.
    _patch_zip(path, "xl/worksheets/sheet2.xml", b"<v>1234567</v>", b"<v>7432700000000000902</v>")
    records = list(read_export(path))
    assert [(r.kind, r.line) for r in records] == [("row", 3), ("row", 4), ("row", 5)]
    assert list(records[0].data) == HEADERS
    batches = [normalize_item(r, OPTIONS) for r in records]
    posts = [p for b in batches for p in b.posts]
    assert [p.source_id for p in posts] == ["7432600000000000901", "7432700000000000902"]
    assert posts[1].created_at == datetime(2026, 10, 7, 0, 5, tzinfo=UTC)
    assert posts[1].metrics.shares == 12
    [error] = batches[2].errors
    assert (error.line, error.field) == (5, "作品ID") and "precision lost" in str(error)


def _patch_zip(path: Path, member: str, old: bytes, new: bytes) -> None:
    with zipfile.ZipFile(path) as source:
        contents = {info.filename: source.read(info) for info in source.infolist()}
    assert old in contents[member]
    contents[member] = contents[member].replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in contents.items():
            target.writestr(name, data)


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (7432700000000000902, "7432700000000000902"), (12.0, "12"), (1.5, "1.5"),
    (7.4328e18, "7.4328e+18"), (datetime(2026, 10, 7, 8, 5), "2026-10-07 08:05:00"),
    (" 1.2万 ", "1.2万"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_bundled_samples_read_and_normalize_cleanly():
    ndjson = list(read_export(SAMPLES / "douyin-topic.ndjson"))
    csv_rows = list(read_export(SAMPLES / "douyin-export.csv"))
    batches = [normalize_item(r, OPTIONS) for r in ndjson + csv_rows]
    assert not [e for b in batches for e in b.errors]
    posts = {p.source_id: p for b in batches for p in b.posts}
    assert len(ndjson) == 8 and len(csv_rows) == 4 and len(posts) == 12
    emma = posts["7432100000000000101"]
    assert emma.author.id == "3300000000000001" and emma.author.name == "Emma在重庆"
    assert emma.created_at == datetime(2026, 10, 3, 13, 2, tzinfo=UTC)
    assert "chongqingfriends" in emma.hashtags and emma.media[0].type == "video"
    assert any(m.type == "photo" for p in posts.values() for m in p.media)
