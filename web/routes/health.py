"""``/healthz`` (no login): the facts of ``cqf status`` as JSON, 503 when something is wrong;
``/admin/status``: the same for admins, as a page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse

from cqfriends.jobs.status import read_status
from cqfriends.store.models import User
from cqfriends.web.deps import SessionDep, require_role
from cqfriends.web.templating import render

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request, session: SessionDep) -> JSONResponse:
    report = read_status(session=session, settings=request.app.state.settings)
    return JSONResponse(report, status_code=200 if report["ok"] else 503,
                        headers={"Cache-Control": "no-store"})


@router.get("/admin/status", response_class=HTMLResponse, include_in_schema=False)
def admin_status(request: Request, session: SessionDep,
                 _user: Annotated[User, Depends(require_role("admin"))]) -> HTMLResponse:
    report = read_status(session=session, settings=request.app.state.settings)
    return render(request, "admin/status.html", {"report": report},
                  status_code=200 if report["ok"] else 503)
