"""Read API response pages saved to files (twarc2 JSONL, Graph API dumps, ...).

``read_json_pages(path, source=..., kind=...)`` streams one ``RawRecord`` per page.
A file is either

* JSONL: one JSON value per line, as ``twarc2 search`` writes it (``.gz`` works too);
  ``line`` is the 1-based line number; or
* one JSON document (pretty-printed or not); ``line`` is 1.

A document (or line) that is a JSON list yields one record per element, all with the
same ``line``. Blank lines are skipped.

Bad input never stops the good lines: a line that is not valid JSON (or not UTF-8,
longer than ``MAX_LINE_BYTES``, nested deeper than ``clean.MAX_DEPTH``) is yielded as
``RawRecord(kind=BAD, data=BadInput(reason, file=, line=))`` in its place, and
``normalize_record`` turns such a record into one error.
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
from cqfriends.normalize.clean import MAX_DEPTH, json_depth_exceeds
from cqfriends.normalize.post import RawRecord

log = logging.getLogger(__name__)

BAD = "bad"
MAX_LINE_BYTES = 64 * 2**20  # a twarc2 page of 100 tweets is about 0.4 MB
MAX_DOCUMENT_BYTES = 512 * 2**20
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
        for number, raw_line in enumerate(_lines(handle), start=1):
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


def read_archive(path: Path, *, source: str, kind: str) -> Iterator[RawRecord]:
    """``read_json_pages``, or for a CSV (twarc-csv's) one ``csv_row`` record per row."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        return guard_records(read_json_pages(path, source=source, kind=kind), path, source)
    if source != "twitter":
        raise BadInput(f"{source} answers are JSON files, not CSV", file=str(path))
    return guard_records(_csv_records(path, source), path, source)


def _csv_records(path: Path, source: str) -> Iterator[RawRecord]:
    from cqfriends.collectors.tables import csv_rows

    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    headers: list[str] | None = None
    for line, cells in csv_rows(path):
        if isinstance(cells, BadInput):
            yield RawRecord(source, BAD, cells, str(path), mtime, line)
        elif headers is None:
            headers = [c.strip() for c in cells]
            if not {"id", "text"} <= set(headers):
                raise BadInput("not a twarc-csv file: expected the columns id, text, "
                               "created_at, author_id, author.username", file=str(path), line=1)
        else:
            row = dict(zip(headers, cells, strict=False))
            yield RawRecord(source, "csv_row", row, str(path), mtime, line)


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


def guard_records(records: Iterator[RawRecord], path: Path, source: str) -> Iterator[RawRecord]:
    """``records``, and one bad record where a reader broke off (what came before is kept)."""
    line = None
    try:
        for record in records:
            line = record.line
            yield record
    except BadInput as e:
        if line is None:
            raise  # nothing read: the file as a whole is one bad input
        yield RawRecord(source, BAD, e, str(path), datetime.now(UTC), e.line or line)
    except Exception as e:  # noqa: BLE001 - one broken file must not stop an import
        reason = f"reading stopped here ({type(e).__name__}: {str(e)[:200]})"
        if line is None:
            raise BadInput(reason, file=str(path)) from e
        yield RawRecord(source, BAD, BadInput(reason, file=str(path), line=line),
                        str(path), datetime.now(UTC), line)


def _lines(handle: io.BufferedIOBase) -> Iterator[bytes]:
    """Lines of ``handle``; one over MAX_LINE_BYTES comes back cut (its head) and flagged."""
    while True:
        line = handle.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass  # skip the rest of the over-long line
            yield _TOO_LONG
        else:
            yield line


_TOO_LONG = b"\x00too long"


def _parse_line(raw_line: bytes, origin: str, number: int) -> Any:
    if raw_line is _TOO_LONG:
        return BadInput(f"line longer than {MAX_LINE_BYTES >> 20} MiB", file=origin, line=number)
    try:
        text = raw_line.removeprefix(_BOM).decode("utf-8").strip()
    except UnicodeDecodeError as e:
        return BadInput(f"not UTF-8 (byte {e.start})", file=origin, line=number)
    if not text:
        return _BLANK
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        log.debug("bad JSON in %s line %d: %s", origin, number, e.msg)
        return BadInput(f"invalid JSON: {e.msg} at column {e.colno}", file=origin, line=number)
    except RecursionError:
        return BadInput("not usable JSON: nested too deeply", file=origin, line=number)
    except ValueError as e:  # e.g. an integer of more than 4,300 digits
        return BadInput(f"not usable JSON: {str(e)[:120]}", file=origin, line=number)
    if json_depth_exceeds(value):
        return BadInput(f"nested deeper than {MAX_DEPTH} levels", file=origin, line=number)
    return value


def _first_value(handle: io.BufferedIOBase) -> Any:
    """The first non-blank line parsed, ``None`` if it is not JSON on its own."""
    for number, raw_line in enumerate(_lines(handle), start=1):
        value = _parse_line(raw_line, "", number)
        if value is _BLANK:
            continue
        return None if isinstance(value, BadInput) else value
    return _BLANK


def _load_document(handle: io.BufferedIOBase) -> Any:
    data = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        return _INVALID
    try:
        value = json.loads(data.removeprefix(_BOM).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _INVALID
    return _INVALID if json_depth_exceeds(value) else value
