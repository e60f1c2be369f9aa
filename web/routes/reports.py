"""/reports: the engagement dashboard and its CSV/XLSX downloads (manager and admin)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from cqfriends.errors import BadInput
from cqfriends.export.charts import BAR_COLOURS, bar_chart
from cqfriends.export.report_formats import write_report_csv, write_report_xlsx
from cqfriends.export.reports import build_report
from cqfriends.web.deps import SessionDep, SettingsDep, require_role
from cqfriends.web.templating import render

router = APIRouter(tags=["reports"], dependencies=[Depends(require_role("manager", "admin"))])
DayQuery = Annotated[str | None, Query(description="YYYY-MM-DD in the campaign time zone")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def parse_day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise BadInput(f"{name} must be a date YYYY-MM-DD, got {value!r}") from e


def report_for(session: Session, settings: Any, since: str | None, until: str | None
               ) -> dict[str, Any]:
    return build_report(session=session, settings=settings,
                        since=parse_day(since, "since"), until=parse_day(until, "until"))


def charts(report: dict[str, Any]) -> list[Any]:
    days = report["by_day"]
    sources = report["by_source"]
    return [
        bar_chart("Posts per day", [(d["day"], d["posts"]) for d in days]),
        bar_chart("Approved per day", [(d["day"], d["approved"]) for d in days],
                  colour=BAR_COLOURS[2]),
        bar_chart("Likes gained per day (snapshots)",
                  [(d["day"], d["growth"]["likes"]) for d in days], colour=BAR_COLOURS[1]),
        bar_chart("Views gained per day (snapshots)",
                  [(d["day"], d["growth"]["views"]) for d in days], colour=BAR_COLOURS[3]),
        bar_chart("Posts per platform", [(s["source"], s["posts"]) for s in sources],
                  colour=BAR_COLOURS[4]),
    ]


@router.get("/reports", response_class=HTMLResponse)
def dashboard(request: Request, settings: SettingsDep, session: SessionDep,
              since: DayQuery = None, until: DayQuery = None) -> HTMLResponse:
    report = report_for(session, settings, since, until)
    query = request.url.query
    return render(request, "reports/dashboard.html", {
        "report": report, "charts": charts(report), "since": since or "", "until": until or "",
        "query": ("?" + query) if query else ""})


@router.get("/reports.csv")
def report_csv(request: Request, settings: SettingsDep, session: SessionDep,
               since: DayQuery = None, until: DayQuery = None) -> Response:
    body = write_report_csv(report_for(session, settings, since, until))
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="cqf-report.csv"'})


@router.get("/reports.xlsx")
def report_xlsx(request: Request, settings: SettingsDep, session: SessionDep,
                since: DayQuery = None, until: DayQuery = None) -> Response:
    body = write_report_xlsx(report_for(session, settings, since, until))
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": 'attachment; filename="cqf-report.xlsx"'})
