"""``/healthz``: ok or not ok for anyone (HTTP 200/503); the facts of ``cqf status`` only
for a staff session or a read token.  ``/admin/status``: the same facts for admins, as a page.

The public part says nothing about hosts, processes, cursors or errors: those help an
attacker and only staff and their monitoring need them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from cqfriends.jobs.status import read_status
from cqfriends.store.models import User
from cqfriends.web.deps import SessionDep, require_role
from cqfriends.web.routes.feeds import bearer_token, token_is_valid
from cqfriends.web.security import session_user
from cqfriends.web.templating import render

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def healthz(request: Request) -> JSONResponse:
    report = await run_in_threadpool(_report, request)
    status = 200 if report["ok"] else 503
    headers = {"Cache-Control": "no-store"}
    if not await _may_see_details(request):
        return JSONResponse({"ok": report["ok"]}, status_code=status, headers=headers)
    return JSONResponse(report, status_code=status, headers=headers)


def _report(request: Request) -> dict:
    from cqfriends.store.db import session_scope

    with session_scope(request.app.state.engine) as session:
        return read_status(session=session, settings=request.app.state.settings)


async def _may_see_details(request: Request) -> bool:
    token = bearer_token(request)
    if token and await token_is_valid(request, token):
        return True
    return await run_in_threadpool(session_user, request) is not None


@router.get("/admin/status", response_class=HTMLResponse, include_in_schema=False)
def admin_status(request: Request, session: SessionDep,
                 _user: Annotated[User, Depends(require_role("admin"))]) -> HTMLResponse:
    report = read_status(session=session, settings=request.app.state.settings)
    return render(request, "admin/status.html", {"report": report},
                  status_code=200 if report["ok"] else 503)
