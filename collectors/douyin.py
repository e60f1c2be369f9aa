"""Douyin (and TikTok) export files -> ``RawRecord`` (I/O only; mapping is ``normalize``).

Douyin has no open search API, so the team drops exports into a watched folder:

- Zeeschuimer NDJSON: one envelope per line (``{id, nav_index, item_id,
  timestamp_collected, source_platform, ..., data: {item}}``); also a bare aweme
  item per line, or a response page (``aweme_list``, the share API's ``item_list``,
  ``aweme_details``, TikTok's ``itemList``) per line or as one JSON document, and
  MediaCrawler's JSONL (flat records).  Each item is yielded as ``kind="item"``
  with the envelope under ``__import_meta`` (as 4CAT imports it) and ``fetched_at``
  = ``timestamp_collected``.
- CSV (UTF-8 with/without BOM, GB18030, UTF-16 with BOM; ``,`` ``;`` or tab) and
  XLSX (first sheet whose header row is recognised): one ``kind="row"`` per row,
  ``{header: cell text}``, ``line`` = the row number a spreadsheet shows,
  ``fetched_at`` = the file's mtime.  Read with limits (``collectors.tables``).

TikTok captures are recognised wherever they are dropped (``source_platform``
``tiktok.com``, TikTok's item shape, a CSV with ``tiktok_url``): their records
carry ``source="tiktok"``, so they become ``tiktok:ID`` posts with TikTok links.

Bad input never stops a file: an unusable line or row is yielded as
``RawRecord(kind="bad", data=BadInput(reason, file=, line=))`` and reading goes on;
a file that cannot be read at all raises ``BadInput``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cqfriends.collectors.files import BAD, guard_records, read_json_pages
from cqfriends.collectors.tables import cell_text, csv_rows, xlsx_rows
from cqfriends.errors import BadInput, CqfError
from cqfriends.normalize import douyin as douyin_map
from cqfriends.normalize import tiktok as tiktok_map
from cqfriends.normalize.post import RawRecord
from cqfriends.normalize.rows import HeaderTable, check_content_columns, map_headers

__all__ = ["cell_text", "read_export"]

log = logging.getLogger(__name__)

SOURCE = "douyin"
JSON_SUFFIXES = (".ndjson", ".jsonl", ".json", ".gz")
PLATFORMS = {"douyin.com": "douyin", "tiktok.com": "tiktok"}
PAGE_LISTS = ("aweme_list", "item_list", "aweme_details", "itemList")
TABLES = {"douyin": douyin_map.TABLE, "tiktok": tiktok_map.TABLE}


def read_export(path: Path, *, column_aliases: dict[str, str] | None = None,
                default_source: str = SOURCE) -> Iterator[RawRecord]:
    """Yield every item/row of one export file; the format is detected from its content.

    With ``column_aliases`` given, a CSV/XLSX without a recognisable header is
    reported once (one ``bad`` record listing the expected columns) instead of per row.
    ``default_source`` is the platform of records that do not say which they are.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as e:
        raise BadInput(f"cannot read file: {e.strerror or e}", file=str(path)) from e
    suffix = path.suffix.lower()
    starts_json = head.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] in (b"{", b"[")
    looks_json = b"{" in head or b"[" in head  # any JSON line would have one
    if suffix in (".ndjson", ".jsonl", ".json") and head.strip() and not looks_json:
        first = head.splitlines()[0].decode("utf-8", errors="replace").strip()[:60]
        raise BadInput(f"not JSON: a {suffix} file holds one JSON object per line (as "
                       f"Zeeschuimer writes them); this one starts with {first!r}",
                       file=str(path), line=1)
    if head.startswith(b"PK\x03\x04") or suffix == ".xlsx":
        records = _read_xlsx(path, column_aliases, default_source)
    elif suffix in JSON_SUFFIXES or (suffix != ".csv" and starts_json):
        records = _read_json(path, default_source)
    else:
        records = _read_csv(path, column_aliases, default_source)
    yield from guard_records(records, path, default_source)


def _bad(path: Path, line: int | None, reason: str, field: str | None = None,
         source: str = SOURCE) -> RawRecord:
    return RawRecord(source, BAD, BadInput(reason, file=str(path), line=line, field=field),
                     str(path), _mtime(path), line)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _items_of(obj: Any) -> list[dict[str, Any]] | None:
    """The items in one JSON value: an item, a page, a detail, or a list of them."""
    if isinstance(obj, list):
        found = [_items_of(o) for o in obj]
        return None if any(f is None for f in found) else [i for f in found for i in f or []]
    if not isinstance(obj, dict):
        return None
    for key in PAGE_LISTS:
        if isinstance(obj.get(key), list):
            return [i for i in obj[key] if isinstance(i, dict)]
    if isinstance(obj.get("aweme_detail"), dict):
        return [obj["aweme_detail"]]
    if isinstance(obj.get("data"), dict) and isinstance(obj["data"].get("itemList"), list):
        return [i for i in obj["data"]["itemList"] if isinstance(i, dict)]
    return [obj]


def _item_source(item: dict[str, Any], default: str) -> str:
    if tiktok_map.is_tiktok_item(item):
        return "tiktok"
    if any(k in item for k in ("aweme_id", "awemeId")) or douyin_map.is_flat_record(item):
        return "douyin"
    return default


def _records_of(obj: Any, path: Path, line: int, mtime: datetime, default: str
                ) -> Iterator[RawRecord]:
    if isinstance(obj, dict) and isinstance(obj.get("data"), dict) and (
            "timestamp_collected" in obj or "source_platform" in obj or "item_id" in obj):
        yield from _envelope_records(obj, path, line, mtime, default)
        return
    items = _items_of(obj)
    if items is None:
        yield _bad(path, line, "not a Douyin or TikTok item, capture or page", source=default)
        return
    for item in items:
        yield RawRecord(_item_source(item, default), "item", item, str(path), mtime, line)


def _envelope_records(obj: dict[str, Any], path: Path, line: int, mtime: datetime,
                      default: str) -> Iterator[RawRecord]:
    """A Zeeschuimer capture: its platform says whose item it holds."""
    platform = str(obj.get("source_platform") or "")
    source = PLATFORMS.get(platform.lower().removeprefix("www."), "")
    if platform and not source:
        yield _bad(path, line, f"a Zeeschuimer capture of {platform[:40]!r}, not Douyin or "
                               "TikTok", field="source_platform", source=default)
        return
    meta = {k: v for k, v in obj.items() if k != "data"}
    try:
        stamp = obj["timestamp_collected"]
        fetched = datetime.fromtimestamp(int(stamp) / 1000, UTC) if isinstance(
            stamp, int | str) and not isinstance(stamp, bool) else mtime
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        fetched = mtime
    for item in _items_of(obj["data"]) or []:
        yield RawRecord(source or _item_source(item, default), "item",
                        {**item, "__import_meta": meta}, str(path), fetched, line)


def _read_json(path: Path, default: str) -> Iterator[RawRecord]:
    """NDJSON/JSON through the shared page reader, then envelopes/pages into items."""
    for record in read_json_pages(path, source=default, kind="json"):
        if record.kind == BAD:
            yield record
        else:
            yield from _records_of(record.data, path, record.line or 1, record.fetched_at,
                                   default)


def _table_of(headers: list[str], default: str) -> str:
    return "tiktok" if tiktok_map.is_tiktok_headers(headers) else default


def _header_problem(table: HeaderTable, headers: list[str], aliases: dict[str, str]
                    ) -> str | None:
    try:
        check_content_columns(table, map_headers(table, headers, aliases))
    except BadInput as e:
        return e.reason
    return None


def _rows(path: Path, rows: Iterator[tuple[int, Any]], aliases: dict[str, str] | None,
          default: str) -> Iterator[RawRecord]:
    """Header row, then one record per row (``{header: cell}``); bad rows pass through."""
    mtime = _mtime(path)
    headers: list[str] | None = None
    source = default
    for number, cells in rows:
        if isinstance(cells, BadInput):
            yield RawRecord(source, BAD, cells, str(path), mtime, number)
            continue
        if headers is None:
            headers = [c.strip() for c in cells]
            source = _table_of(headers, default)
            table_aliases = (aliases or {}) if source == SOURCE else {}
            problem = aliases is not None and _header_problem(TABLES[source], headers,
                                                              table_aliases)
            if problem:
                yield _bad(path, number, problem, source=source)
                return
            continue
        if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
            yield _bad(path, number, f"{len(cells)} cells but {len(headers)} headers",
                       source=source)
            continue
        row = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers) if h}
        yield RawRecord(source, "row", row, str(path), mtime, number)


def _read_csv(path: Path, aliases: dict[str, str] | None, default: str
              ) -> Iterator[RawRecord]:
    yield from _rows(path, csv_rows(path), aliases, default)


def _read_xlsx(path: Path, aliases: dict[str, str] | None, default: str
               ) -> Iterator[RawRecord]:
    def is_header(cells: list[str]) -> bool:
        table = TABLES[_table_of(cells, default)]
        try:
            map_headers(table, cells, (aliases or {}) if table is douyin_map.TABLE else {})
        except CqfError:
            return False
        return True

    yield from _rows(path, xlsx_rows(path, is_header), aliases, default)
