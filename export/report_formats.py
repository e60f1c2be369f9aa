"""The report as tables: CSV (one file per table, or all of them in a zip) and XLSX.

Every format reads the same ``report_tables``.  CSV files are UTF-8 with a BOM,
so Excel on a Chinese Windows opens them right; XLSX has real date cells.
Participant text never becomes a formula, and characters a spreadsheet cannot
hold (control characters: XML 1.0 forbids them) are replaced, so a caption can
never break a download.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from typing import Any

from cqfriends.export.feeds import csv_cell
from cqfriends.store.reports import METRICS

ROW_COLUMNS = ("posts", "authors", "approved", "rejected", "pending", "removed", *METRICS)
TABLES = ("totals", "by_day", "by_source", "time_to_decision_hours", "top_works",
          "top_contributors", "languages")
BOM = "\ufeff"
# C0 controls but tab/newline/carriage return, DEL and C1 controls, lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_cell(value: Any) -> Any:
    """A value any spreadsheet can store and never runs."""
    if isinstance(value, str):
        return csv_cell(_CONTROL.sub("\ufffd", value))
    return value


def report_tables(report: dict[str, Any]) -> Iterator[tuple[str, list[str], list[list[Any]]]]:
    """(name, header, rows): totals, per day/source, time to decision, top works, ..."""
    growth = [f"{m}_growth" for m in METRICS]
    yield ("totals", ["scope", *ROW_COLUMNS, *growth],
           [["all", *(report["totals"][c] for c in ROW_COLUMNS),
             *(report["growth"][m] for m in METRICS)]])
    for block, first in (("by_day", "day"), ("by_source", "source")):
        yield (block, [first, *ROW_COLUMNS, *growth, "decision_hours_median"],
               [[r[first], *(r[c] for c in ROW_COLUMNS), *(r["growth"][m] for m in METRICS),
                 r["decision_hours_median"]] for r in report[block]])
    ttd = report["time_to_decision_hours"]
    yield ("time_to_decision_hours", ["decided", "median", "p90", "backlog"],
           [[ttd["decided"], ttd["median"], ttd["p90"], report["backlog"]]])
    yield ("top_works", ["key", "author", "section", *METRICS, "url", "text"],
           [[w["key"], w["author"], w["section"], *(w[m] for m in METRICS), w["url"], w["text"]]
            for w in report["top_works"]])
    yield ("top_contributors", ["source", "author", "works", "engagement"],
           [[c["source"], c["author"], c["works"], c["engagement"]]
            for c in report["top_contributors"]])
    yield ("languages", ["lang", "posts"], [[x["lang"], x["posts"]] for x in report["languages"]])


def table_of(report: dict[str, Any], name: str) -> tuple[list[str], list[list[Any]]]:
    for title, header, rows in report_tables(report):
        if title == name:
            return header, rows
    raise KeyError(name)


def write_table_csv(report: dict[str, Any], name: str, *, bom: bool = True) -> str:
    """One table as CSV: a header line, then its rows (what pandas and Excel read)."""
    header, rows = table_of(report, name)
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([clean_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def write_report_zip(report: dict[str, Any]) -> bytes:
    """Every table as its own CSV file (UTF-8 with BOM) in one zip."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in TABLES:
            archive.writestr(f"{name}.csv", write_table_csv(report, name).encode("utf-8"))
    return out.getvalue()


def write_report_xlsx(report: dict[str, Any]) -> bytes:
    """One sheet per table; days are date cells, text never becomes a formula."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in report_tables(report):
        sheet = book.create_sheet(title[:31])
        sheet.append(header)
        for row in rows:
            sheet.append([_xlsx_value(h, v) for h, v in zip(header, row, strict=True)])
        if header[0] == "day":
            for (cell,) in sheet.iter_rows(min_row=2, max_col=1):
                cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(column: str, value: Any) -> Any:
    if column == "day" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return clean_cell(value)


def print_report_table(report: dict[str, Any], console: Any, clean: Any = str) -> None:
    """Terminal tables; growth columns are left to the JSON/CSV outputs to stay narrow.

    ``clean`` makes a value safe for a terminal (the CLI passes its escaper).
    """
    from rich.table import Table

    for title, header, rows in report_tables(report):
        keep = [i for i, h in enumerate(header) if not h.endswith("_growth") and h != "text"]
        table = Table(*(header[i] for i in keep), title=title.replace("_", " "))
        for row in rows:
            table.add_row(*(clean("" if row[i] is None else str(row[i])) for i in keep))
        console.print(table)
