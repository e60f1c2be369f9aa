"""Spreadsheet exports (CSV, XLSX) read with limits: one bad line or cell costs one row.

``csv_rows(path)`` and ``xlsx_rows(path, is_header)`` yield ``(line, cells)`` for
each non-blank row, or ``(line, BadInput)`` for a row that cannot be read, and go
on.  A file that cannot be read at all raises ``BadInput`` before yielding anything.

Limits, so that no file can hold an import for long or exhaust memory:

- CSV: each line is decoded on its own (UTF-8, else GB18030, as the file mostly
  is; UTF-16 with a BOM as a whole); a cell longer than ``MAX_CELL_CHARS`` or a
  line no encoding accepts is one bad row.
- XLSX: the zip is checked before it is opened (total uncompressed size, the
  compression ratio of each member: zip bombs) and every XML part is refused if it
  declares a DOCTYPE (entity bombs; defusedxml guards openpyxl's parser as well);
  the sheet's declared ``<dimension>`` is ignored (a forged ``A1:XFD1048576`` made
  every row 16,384 cells wide); at most ``MAX_ROWS`` rows and ``MAX_COLUMNS``
  columns are read.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from cqfriends.errors import BadInput

MAX_CELL_CHARS = 100_000
MAX_COLUMNS = 500
MAX_ROWS = 1_000_000
MAX_UNZIPPED_BYTES = 256 * 2**20
MAX_RATIO = 200  # uncompressed / compressed, for members over 1 MiB
HEADER_SCAN_ROWS = 10
Cells = list[str]
Row = tuple[int, Cells | BadInput]


def csv_rows(path: Path) -> Iterator[Row]:
    """Every non-blank row of a CSV export with its first physical line number."""
    data = _read_bytes(path)
    lines, bad_lines = _decode_lines(data)
    if lines and not any(line.strip() for line in lines) and bad_lines:
        raise BadInput("cannot decode the file: not UTF-8, GB18030 or UTF-16", file=str(path),
                       line=min(bad_lines))
    reader = csv.reader(iter(lines), delimiter=_sniff_delimiter(lines))
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield start, BadInput(f"unreadable row: {e}", file=str(path), line=start)
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if line in bad_lines:
            yield line, BadInput("cannot decode this line: not UTF-8 or GB18030",
                                 file=str(path), line=line)
        elif line > MAX_ROWS:
            yield line, BadInput(f"more than {MAX_ROWS} rows; the rest was not read",
                                 file=str(path), line=line)
            return
        elif any(c.strip() for c in cells):
            yield line, _checked(cells, path, line)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise BadInput(f"cannot read file: {e.strerror or e}", file=str(path)) from e


def _decode_lines(data: bytes) -> tuple[list[str], set[int]]:
    """The lines of ``data`` as text, and the numbers of lines no encoding accepts."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace").splitlines(keepends=True), set()
    raw_lines = data.removeprefix(codecs.BOM_UTF8).splitlines(keepends=True)
    # A UTF-8 file's undecodable line is a broken line, not GB18030 (which would turn
    # it into plausible nonsense); a GB18030 file may hold plain UTF-8 lines.
    encodings = ("utf-8",) if _mostly_utf8(raw_lines) else ("gb18030", "utf-8")
    lines, bad = [], set()
    for number, raw in enumerate(raw_lines, start=1):
        for encoding in encodings:
            try:
                lines.append(raw.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
        else:
            lines.append("\n")  # keeps the numbering; reported as bad
            bad.add(number)
    return lines, bad


def _mostly_utf8(lines: list[bytes]) -> bool:
    good = 0
    for raw in lines[:2000]:
        try:
            raw.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            good -= 1
    return good >= 0


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter of the header line (headers themselves hold none of , ; tab)."""
    first = next((line for line in lines[:50] if line.strip()), "")
    return max(",;\t", key=first.count)


def _checked(cells: Cells, path: Path, line: int) -> Cells | BadInput:
    long = next((i for i, c in enumerate(cells) if len(c) > MAX_CELL_CHARS), None)
    if long is not None:
        return BadInput(f"cell {long + 1} holds {len(cells[long])} characters (at most "
                        f"{MAX_CELL_CHARS})", file=str(path), line=line)
    return cells[:MAX_COLUMNS]


def xlsx_rows(path: Path, is_header: Callable[[Cells], bool]) -> Iterator[Row]:
    """Rows of the first sheet whose header ``is_header`` accepts (else the first sheet).

    Yields nothing above the header row; the header row itself is yielded first.
    """
    from openpyxl import load_workbook

    check_zip(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - a broken workbook is one bad input, whatever broke
        raise BadInput(f"not a readable XLSX workbook: {_reason(e)}", file=str(path)) from e
    try:
        try:
            sheet, header_row = _find_sheet(workbook, is_header)
        except Exception as e:  # noqa: BLE001
            raise BadInput(f"not a readable XLSX workbook: {_reason(e)}", file=str(path)) from e
        yield from _sheet_rows(sheet, header_row, path)
    finally:
        workbook.close()


def _sheet_rows(sheet: Any, header_row: int, path: Path) -> Iterator[Row]:
    number = 0
    try:
        for number, cells in enumerate(_iter_values(sheet), start=1):
            if number > MAX_ROWS:
                yield number, BadInput(f"more than {MAX_ROWS} rows; the rest was not read",
                                       file=str(path), line=number)
                return
            texts = [cell_text(c) for c in cells[:MAX_COLUMNS]]
            if number >= header_row and any(texts):
                yield number, _checked(texts, path, number)
    except Exception as e:  # noqa: BLE001 - rows read so far are kept
        yield number + 1, BadInput(f"the workbook breaks off here: {_reason(e)}",
                                   file=str(path), line=number + 1)


def _iter_values(sheet: Any, max_row: int | None = None) -> Iterator[tuple[Any, ...]]:
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # ignore <dimension>: a forged one pads every row
    return sheet.iter_rows(max_row=max_row, values_only=True)


def _find_sheet(workbook: Any, is_header: Callable[[Cells], bool]) -> tuple[Any, int]:
    for sheet in workbook.worksheets:
        rows = _iter_values(sheet, HEADER_SCAN_ROWS)
        for number, cells in enumerate(rows, start=1):
            if is_header([cell_text(c) for c in cells[:MAX_COLUMNS]]):
                return sheet, number
    if not workbook.worksheets:
        raise ValueError("no worksheet")
    return workbook.worksheets[0], 1


def check_zip(path: Path) -> None:
    """Refuse a zip bomb or an XML part with a DOCTYPE (entity bomb) before openpyxl sees it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            total = sum(m.file_size for m in members)
            if total > MAX_UNZIPPED_BYTES:
                raise BadInput(f"the workbook unpacks to {total >> 20} MiB (at most "
                               f"{MAX_UNZIPPED_BYTES >> 20}): refused", file=str(path))
            for member in members:
                if member.file_size > 2**20 and member.file_size > MAX_RATIO * max(
                        member.compress_size, 1):
                    raise BadInput(f"{member.filename} is compressed "
                                   f"{member.file_size // max(member.compress_size, 1)}:1, "
                                   "like a zip bomb: refused", file=str(path))
                if member.filename.endswith((".xml", ".rels")):
                    with archive.open(member) as part:
                        head = part.read(65536)
                    if b"<!doctype" in head.lower() or b"<!entity" in head.lower():
                        raise BadInput(f"{member.filename} declares a DOCTYPE or entities "
                                       "(an entity bomb?): refused", file=str(path))
    except BadInput:
        raise
    except Exception as e:  # noqa: BLE001 - not a zip, a broken one, a bad member
        raise BadInput(f"not a readable XLSX workbook: {_reason(e)}", file=str(path)) from e


def cell_text(value: Any) -> str:
    """An XLSX cell value as the text a user sees; ids never pass through float formatting.

    A float too large to hold an integer exactly (>= 2**53) keeps its float form
    ('7.301234567890124e+18'), so the normalizer reports the id as precision-lost
    (or recovers it exactly from the video link beside it).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int):
        return str(value) if value.bit_length() < 1000 else ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).strip()


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:200]}".rstrip(": ")

