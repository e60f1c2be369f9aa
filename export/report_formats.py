"""The report as a table, CSV and XLSX (one flat layout shared by all three)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from cqfriends.export.feeds import csv_cell
from cqfriends.store.reports import METRICS

ROW_COLUMNS = ("posts", "authors", "approved", "rejected", "pending", "removed", *METRICS)


def report_sections(report: dict[str, Any]) -> Iterator[tuple[str, list[str], list[list[Any]]]]:
    """(title, header, rows) blocks: totals, per day/source, top works, contributors, languages."""
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


def write_report_csv(report: dict[str, Any]) -> str:
    """All blocks one after another, each headed by a '# title' line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for title, header, rows in report_sections(report):
        writer.writerow([f"# {title}"])
        writer.writerow(header)
        writer.writerows([csv_cell(v) for v in row] for row in rows)
        writer.writerow([])
    return buffer.getvalue()


def write_report_xlsx(report: dict[str, Any]) -> bytes:
    """One sheet per block; participant text can never become a formula."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in report_sections(report):
        sheet = book.create_sheet(title[:31])
        sheet.append(header)
        for row in rows:
            sheet.append([csv_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def print_report_table(report: dict[str, Any], console: Any) -> None:
    """Terminal tables; growth columns are left to the JSON/CSV outputs to stay narrow."""
    from rich.markup import escape
    from rich.table import Table

    for title, header, rows in report_sections(report):
        keep = [i for i, h in enumerate(header) if not h.endswith("_growth") and h != "text"]
        table = Table(*(header[i] for i in keep), title=title.replace("_", " "))
        for row in rows:
            table.add_row(*(escape("" if row[i] is None else str(row[i])) for i in keep))
        console.print(table)
