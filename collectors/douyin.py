"""Douyin export files -> ``RawRecord`` (I/O only; mapping is ``normalize.douyin``).

Douyin has no open search API, so the team drops exports into a watched folder:

- Zeeschuimer NDJSON: one envelope per line (``{id, nav_index, item_id,
  timestamp_collected, ..., data: {item}}``); also a bare aweme item per line, or
  an ``{aweme_list: [...]}`` response page per line or as one JSON document.
  Each item is yielded as ``kind="item"`` with the envelope under ``__import_meta``
  (as 4CAT imports it) and ``fetched_at`` = ``timestamp_collected``.
- CSV (UTF-8 with/without BOM, GB18030, UTF-16 with BOM; ``,`` ``;`` or tab) and
  XLSX (first sheet whose header row is recognised): one ``kind="row"`` per row,
  ``{header: cell text}``, ``line`` = the row number a spreadsheet shows,
  ``fetched_at`` = the file's mtime.

Bad input never stops a file: as in ``collectors.files``, an unusable line is yielded
as ``RawRecord(kind="bad", data=BadInput(reason, file=, line=))`` and reading goes on;
a file that cannot be opened raises ``BadInput``.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cqfriends.collectors.files import BAD, read_json_pages
from cqfriends.errors import BadInput
from cqfriends.normalize.douyin import map_headers
from cqfriends.normalize.post import RawRecord

log = logging.getLogger(__name__)

SOURCE = "douyin"
_HEADER_SCAN_ROWS = 10


def read_export(path: Path, *, column_aliases: dict[str, str] | None = None
                ) -> Iterator[RawRecord]:
    """Yield every item/row of one export file; the format is detected from its content.

    With ``column_aliases`` given, a CSV/XLSX without a recognisable header is
    reported once (one ``bad`` record listing the expected columns) instead of per row.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as e:
        raise BadInput(f"cannot read file: {e.strerror or e}", file=str(path)) from e
    if head.startswith(b"PK\x03\x04") or path.suffix.lower() == ".xlsx":
        yield from _read_xlsx(path, column_aliases)
    elif path.suffix.lower() == ".csv" or head.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] not in b"{[":
        yield from _read_csv(path, column_aliases)
    else:
        yield from _read_json(path)


def _bad(path: Path, line: int | None, reason: str, field: str | None = None) -> RawRecord:
    return RawRecord(SOURCE, BAD, BadInput(reason, file=str(path), line=line, field=field),
                     str(path), _mtime(path), line)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _items_of(obj: Any) -> list[dict] | None:
    """The aweme items in one JSON value: an item, a page, a detail, or a list of them."""
    if isinstance(obj, list):
        found = [_items_of(o) for o in obj]
        return None if any(f is None for f in found) else [i for f in found for i in f or []]
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("aweme_list"), list):
        return [i for i in obj["aweme_list"] if isinstance(i, dict)]
    if isinstance(obj.get("aweme_detail"), dict):
        return [obj["aweme_detail"]]
    return [obj]


def _records_of(obj: Any, path: Path, line: int, mtime: datetime) -> Iterator[RawRecord]:
    if isinstance(obj, dict) and isinstance(obj.get("data"), dict) and (
            "timestamp_collected" in obj or "source_platform" in obj or "item_id" in obj):
        meta = {k: v for k, v in obj.items() if k != "data"}
        try:
            fetched = datetime.fromtimestamp(int(obj["timestamp_collected"]) / 1000, UTC)
        except (KeyError, TypeError, ValueError, OverflowError):
            fetched = mtime
        for item in _items_of(obj["data"]) or []:
            yield RawRecord(SOURCE, "item", {**item, "__import_meta": meta}, str(path),
                            fetched, line)
        return
    items = _items_of(obj)
    if items is None:
        yield _bad(path, line, "not a Douyin item, envelope or aweme_list page")
        return
    for item in items:
        yield RawRecord(SOURCE, "item", item, str(path), mtime, line)


def _read_json(path: Path) -> Iterator[RawRecord]:
    """NDJSON/JSON through the shared page reader, then envelopes/pages into items."""
    for record in read_json_pages(path, source=SOURCE, kind="json"):
        if record.kind == BAD:
            yield record
        else:
            yield from _records_of(record.data, path, record.line or 1, record.fetched_at)


def _decode(data: bytes) -> str | int:
    """The text of a CSV export, or the line of the first byte no encoding accepts."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        first_bad = e.start
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as e:  # report where the encoding that got further stopped
        return data.count(b"\n", 0, max(first_bad, e.start)) + 1


def _sniff_delimiter(text: str) -> str:
    """The delimiter of the header line (headers themselves hold none of , ; tab)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max(",;\t", key=first.count)


def _check_headers(path: Path, headers: list[str], aliases: dict | None) -> RawRecord | None:
    if aliases is None:
        return None
    try:
        map_headers(headers, aliases)
    except BadInput as e:
        return _bad(path, 1, e.reason)
    return None


def _read_csv(path: Path, aliases: dict | None) -> Iterator[RawRecord]:
    text = _decode(path.read_bytes())
    if isinstance(text, int):
        yield _bad(path, text, "cannot decode the file: not UTF-8, GB18030 or UTF-16")
        return
    mtime = _mtime(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text[:8192]))
    headers: list[str] | None = None
    for number, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells):
            continue
        if headers is None:
            headers = [c.strip() for c in cells]
            bad = _check_headers(path, headers, aliases)
            if bad:
                yield bad
                return
            continue
        if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
            yield _bad(path, number, f"{len(cells)} cells but {len(headers)} headers")
            continue
        row = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers)}
        yield RawRecord(SOURCE, "row", row, str(path), mtime, number)


def cell_text(value: Any) -> str:
    """An XLSX cell value as the text a user sees; ids never pass through float formatting.

    A float too large to hold an integer exactly (>= 2**53) keeps its float form
    ('7.301234567890124e+18'), so the normalizer reports the id as precision-lost.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).strip()


def _read_xlsx(path: Path, aliases: dict | None) -> Iterator[RawRecord]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as e:
        yield _bad(path, None, f"not a readable XLSX workbook: {e}")
        return
    try:
        sheet, header_row = _find_sheet(workbook, aliases or {})
        mtime = _mtime(path)
        headers: list[str] | None = None
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            texts = [cell_text(c) for c in cells]
            if number < header_row or not any(texts):
                continue
            if headers is None:
                headers = texts
                bad = _check_headers(path, headers, aliases)
                if bad:
                    yield bad
                    return
                continue
            row = {h: (texts[i] if i < len(texts) else "") for i, h in enumerate(headers) if h}
            yield RawRecord(SOURCE, "row", row, str(path), mtime, number)
    finally:
        workbook.close()


def _find_sheet(workbook: Any, aliases: dict) -> tuple[Any, int]:
    """The first sheet (and its header row) whose header the normalizer recognises."""
    for sheet in workbook.worksheets:
        rows = sheet.iter_rows(max_row=_HEADER_SCAN_ROWS, values_only=True)
        for number, cells in enumerate(rows, start=1):
            try:
                map_headers([cell_text(c) for c in cells], aliases)
            except BadInput:
                continue
            return sheet, number
    return workbook.worksheets[0], 1
