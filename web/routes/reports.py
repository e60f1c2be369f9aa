"""/reports: the engagement dashboard and its downloads (manager and admin).

Downloads: ``/reports/TABLE.csv`` (one table, UTF-8 with BOM), ``/reports.zip``
(every table as CSV), ``/reports.xlsx`` (a sheet per table, real date cells);
``/reports.csv`` (the old single file) now leads to the zip.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from cqfriends.errors import NotFound
from cqfriends.export.charts import BAR_COLOURS, bar_chart
from cqfriends.export.present import PLATFORMS
from cqfriends.export.report_formats import (
    TABLES,
    write_report_xlsx,
    write_report_zip,
    write_table_csv,
)
from cqfriends.export.reports import build_report
from cqfriends.i18n.translate import gettext
from cqfriends.web.deps import SessionDep, SettingsDep, require_role
from cqfriends.web.locale import request_locale
from cqfriends.web.params import parse_day
from cqfriends.web.templating import render

router = APIRouter(tags=["reports"], dependencies=[Depends(require_role("manager", "admin"))])
DayQuery = Annotated[str | None, Query(description="YYYY-MM-DD in the campaign time zone",
                                       max_length=40)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_for(session: Session, settings: Any, since: str | None, until: str | None
               ) -> dict[str, Any]:
    return build_report(session=session, settings=settings,
                        since=parse_day(since, "since"), until=parse_day(until, "until"))


def charts(report: dict[str, Any], locale: str) -> list[Any]:
    def _(text: str) -> str:
        return gettext(locale, text)

    days = [(d["day"][5:], d) for d in report["by_day"]]
    sources = [(_(PLATFORMS.get(s["source"], s["source"])), s) for s in report["by_source"]]
    day, platform = _("day (%(zone)s)") % {"zone": report["timezone"]}, _("platform")
    return [
        bar_chart(_("Posts per day"), [(d, r["posts"]) for d, r in days], x_label=day,
                  y_label=_("posts")),
        bar_chart(_("Approved per day"), [(d, r["approved"]) for d, r in days], x_label=day,
                  y_label=_("approved posts"), colour=BAR_COLOURS[2]),
        bar_chart(_("Likes gained per day"), [(d, r["growth"]["likes"]) for d, r in days],
                  x_label=day, y_label=_("likes"), colour=BAR_COLOURS[1]),
        bar_chart(_("Views gained per day"), [(d, r["growth"]["views"]) for d, r in days],
                  x_label=day, y_label=_("views"), colour=BAR_COLOURS[3]),
        bar_chart(_("Posts per platform"), [(p, r["posts"]) for p, r in sources],
                  x_label=platform, y_label=_("posts"), colour=BAR_COLOURS[4]),
    ]


@router.get("/reports", response_class=HTMLResponse)
def dashboard(request: Request, settings: SettingsDep, session: SessionDep,
              since: DayQuery = None, until: DayQuery = None) -> HTMLResponse:
    report = report_for(session, settings, since, until)
    query = request.url.query
    return render(request, "reports/dashboard.html", {
        "report": report, "charts": charts(report, request_locale(request)),
        "since": since or "", "until": until or "", "platforms": PLATFORMS,
        "query": ("?" + query) if query else ""})


def _download(body: bytes | str, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/reports/{table}.csv")
def report_table_csv(table: str, settings: SettingsDep, session: SessionDep,
                     since: DayQuery = None, until: DayQuery = None) -> Response:
    """One table of the report as CSV (UTF-8 with BOM)."""
    if table not in TABLES:
        raise NotFound(f"no report table {table[:40]!r}; tables: {', '.join(TABLES)}")
    body = write_table_csv(report_for(session, settings, since, until), table)
    return _download(body.encode("utf-8"), "text/csv; charset=utf-8", f"cqf-{table}.csv")


@router.get("/reports.zip")
def report_zip(settings: SettingsDep, session: SessionDep, since: DayQuery = None,
               until: DayQuery = None) -> Response:
    """Every table of the report as its own CSV file."""
    body = write_report_zip(report_for(session, settings, since, until))
    return _download(body, "application/zip", "cqf-report.zip")


@router.get("/reports.csv", include_in_schema=False)
def report_csv(request: Request) -> Response:
    query = request.url.query
    return RedirectResponse("/reports.zip" + (f"?{query}" if query else ""), status_code=307)


@router.get("/reports.xlsx")
def report_xlsx(settings: SettingsDep, session: SessionDep, since: DayQuery = None,
                until: DayQuery = None) -> Response:
    body = write_report_xlsx(report_for(session, settings, since, until))
    return _download(body, XLSX, "cqf-report.xlsx")
