"""Read API response pages saved to files (twarc2 JSONL, Graph API dumps, ...).

``read_json_pages(path, source=..., kind=...)`` streams one ``RawRecord`` per page.
A file is either

* JSONL: one JSON value per line, as ``twarc2 search`` writes it (``.gz`` works too);
  ``line`` is the 1-based line number; or
* one JSON document (pretty-printed or not); ``line`` is 1.

A document (or line) that is a JSON list yields one record per element, all with the
same ``line``. Blank lines are skipped.

Bad input never stops the good lines: a line that is not valid JSON (or not UTF-8)
is yielded as ``RawRecord(kind=BAD, data=BadInput(reason, file=, line=))`` in its
place, and ``normalize_page`` of every source turns such a record into one error.
Consumers that want to count them check ``record.kind == BAD``. A file that cannot
be opened raises ``BadInput`` (nothing was read from it).

``fetched_at`` is ``__twarc.retrieved_at`` when the page has it, else the file's
modification time (UTC).
"""

from __future__ import annotations

import gzip
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cqfriends.errors import BadInput
from cqfriends.normalize.post import RawRecord

log = logging.getLogger(__name__)

BAD = "bad"
_BOM = b"\xef\xbb\xbf"


def read_json_pages(path: Path, *, source: str, kind: str) -> Iterator[RawRecord]:
    """Yield one RawRecord per page in ``path``; bad lines come as ``kind=BAD`` records."""
    path = Path(path)
    origin = str(path)
    try:
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        handle = _open(path)
    except OSError as e:
        raise BadInput(f"cannot read file: {e.strerror or e}", file=origin) from e
    with handle:
        first = _first_value(handle)
        handle.seek(0)
        if first is None:  # the first line alone is not JSON: maybe one multi-line document
            document = _load_document(handle)
            if document is not _INVALID:
                yield from _records(document, source, kind, origin, 1, mtime)
                return
            handle.seek(0)
        for number, raw_line in enumerate(handle, start=1):
            value = _parse_line(raw_line, origin, number)
            if isinstance(value, BadInput):
                yield RawRecord(
                    source=source,
                    kind=BAD,
                    data=value,
                    origin=origin,
                    fetched_at=mtime,
                    line=number,
                )
            elif value is not _BLANK:
                yield from _records(value, source, kind, origin, number, mtime)


def page_fetched_at(page: Any, default: datetime) -> datetime:
    """``__twarc.retrieved_at`` of a page as UTC, else ``default``."""
    meta = page.get("__twarc") if isinstance(page, dict) else None
    stamp = meta.get("retrieved_at") if isinstance(meta, dict) else None
    if not isinstance(stamp, str):
        return default
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return default
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


_BLANK = object()
_INVALID = object()


def _open(path: Path) -> io.BufferedIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _records(
    value: Any, source: str, kind: str, origin: str, line: int, mtime: datetime
) -> Iterator[RawRecord]:
    for page in value if isinstance(value, list) else [value]:
        yield RawRecord(
            source=source,
            kind=kind,
            data=page,
            origin=origin,
            fetched_at=page_fetched_at(page, mtime),
            line=line,
        )


def _parse_line(raw_line: bytes, origin: str, number: int) -> Any:
    try:
        text = raw_line.removeprefix(_BOM).decode("utf-8").strip()
    except UnicodeDecodeError as e:
        return BadInput(f"not UTF-8 (byte {e.start})", file=origin, line=number)
    if not text:
        return _BLANK
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        log.debug("bad JSON in %s line %d: %s", origin, number, e.msg)
        return BadInput(f"invalid JSON: {e.msg} at column {e.colno}", file=origin, line=number)


def _first_value(handle: io.BufferedIOBase) -> Any:
    """The first non-blank line parsed, ``None`` if it is not JSON on its own."""
    for number, raw_line in enumerate(handle, start=1):
        value = _parse_line(raw_line, "", number)
        if value is _BLANK:
            continue
        return None if isinstance(value, BadInput) else value
    return _BLANK


def _load_document(handle: io.BufferedIOBase) -> Any:
    try:
        return json.loads(handle.read().removeprefix(_BOM).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _INVALID
