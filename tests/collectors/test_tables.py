"""collectors/tables.py: spreadsheets read with limits, whatever the file claims."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from cqfriends.collectors.douyin import read_export
from cqfriends.collectors.tables import MAX_CELL_CHARS, check_zip, csv_rows
from cqfriends.errors import BadInput

HEADERS = ["作品ID", "作品描述", "发布时间", "账号昵称", "点赞数量", "作品链接"]


def workbook(path: Path, rows: int = 3) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for n in range(rows):
        sheet.append([f"74326000000{n:08d}", f"作品 {n} #chongqingfriends", "2026-10-06 15:20:00",
                      "Leo", n, f"https://www.douyin.com/video/74326000000{n:08d}"])
    book.save(path)
    return path


def rewrite(path: Path, member: str, change) -> None:
    with zipfile.ZipFile(path) as source:
        contents = {i.filename: source.read(i) for i in source.infolist()}
    contents[member] = change(contents[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in contents.items():
            target.writestr(name, data)


def forged(xml: bytes) -> bytes:
    assert b'<dimension ref="A1:F3001" />' in xml
    return xml.replace(b'<dimension ref="A1:F3001" />', b'<dimension ref="A1:XFD1048576" />')


def test_rows_are_not_padded_to_a_forged_width(tmp_path):
    from openpyxl import load_workbook

    from cqfriends.collectors.tables import _iter_values

    path = workbook(tmp_path / "forged.xlsx", rows=3000)
    rewrite(path, "xl/worksheets/sheet1.xml", forged)
    book = load_workbook(path, read_only=True)
    assert book.active.max_column == 16384  # what the file claims
    assert len(next(iter(_iter_values(book.active)))) == len(HEADERS)


def test_a_forged_dimension_costs_nothing(tmp_path):
    path = workbook(tmp_path / "forged.xlsx", rows=3000)
    rewrite(path, "xl/worksheets/sheet1.xml",
            lambda xml: forged(xml))
    started = time.perf_counter()
    records = list(read_export(path))
    assert time.perf_counter() - started < 5  # was ~2 ms a row padded to 16,384 cells
    assert len(records) == 3000 and all(r.kind == "row" for r in records)
    assert list(records[0].data) == HEADERS


def test_pk_and_garbage_is_one_bad_input(tmp_path):
    path = tmp_path / "garbage.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 10)
    with pytest.raises(BadInput, match="not a readable XLSX workbook"):
        list(read_export(path))


def test_an_entity_bomb_is_refused(tmp_path):
    path = workbook(tmp_path / "bomb.xlsx")
    doctype = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
               + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol;" * 10) for i in range(1, 9))
               + b"]>")
    rewrite(path, "xl/worksheets/sheet1.xml",
            lambda xml: b'<?xml version="1.0"?>' + doctype + xml)
    with pytest.raises(BadInput, match="DOCTYPE"):
        list(read_export(path))


def test_a_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = workbook(tmp_path / "zipbomb.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/filler.bin", b"\0" * (40 * 2**20))
    with pytest.raises(BadInput, match="zip bomb"):
        check_zip(path)


def test_rows_read_before_a_broken_part_are_kept(tmp_path):
    path = workbook(tmp_path / "cut.xlsx", rows=50)
    rewrite(path, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) * 2 // 3])
    records = list(read_export(path))
    assert records[-1].kind == "bad" and "breaks off" in str(records[-1].data)
    assert 10 < len([r for r in records if r.kind == "row"]) < 50


def test_csv_cells_over_the_limit_cost_their_row(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(f"a,b\n1,{'x' * (MAX_CELL_CHARS + 1)}\n2,ok\n", encoding="utf-8")
    rows = list(csv_rows(path))
    assert [r[0] for r in rows] == [1, 2, 3] and isinstance(rows[1][1], BadInput)


def test_a_non_json_ndjson_file_gets_a_json_message(tmp_path):
    path = tmp_path / "export.ndjson"
    path.write_text("colour,size\nred,3\n", encoding="utf-8")
    with pytest.raises(BadInput, match="not JSON: a .ndjson file holds one JSON object per line"):
        list(read_export(path))


def test_an_xlsx_id_excel_stored_as_a_number_is_recovered_exactly_from_the_link(tmp_path):
    from cqfriends.normalize import normalize_record
    from cqfriends.normalize.post import NormalizeOptions

    book = Workbook()
    book.active.append(HEADERS)
    exact = "7432700000000000902"
    book.active.append([float(exact), "作品 #chongqingfriends", "2026-10-06 15:20:00", "Маша", 12,
                        f"https://www.douyin.com/video/{exact}"])
    book.active.append([float(exact), "wrong link", "2026-10-06 15:20:00", "Маша", 12,
                        "https://www.douyin.com/video/7432700000000009999"])
    path = tmp_path / "creator.xlsx"
    book.save(path)
    first, second = (normalize_record(r, NormalizeOptions()) for r in read_export(path))
    [post] = first.posts
    assert post.source_id == exact and any("lost precision" in w for w in first.warnings)
    [error] = second.errors  # the link names another work: the id stays unusable
    assert (error.line, error.field) == (3, "作品ID") and "precision lost" in str(error)
