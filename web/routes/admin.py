"""Routes: admin pages: users, and the audit log with filters and CSV download."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from cqfriends.moderation.audit import audit_csv_lines, audit_page, parse_audit_filter
from cqfriends.store.audit import AuditFilter
from cqfriends.store.models import ROLES, User
from cqfriends.store.users import all_users, create_user
from cqfriends.web.deps import CsrfDep, SettingsDep, require_role
from cqfriends.web.templating import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[User, Depends(require_role("admin"))]
AUDIT_PARAMS = ("actor", "action", "post_key", "since", "until")
PAGE = 100


@router.get("/admin/users")
def users_page(request: Request, user: Admin, added: str = "") -> Response:
    users = all_users(engine=request.app.state.engine)
    return render(request, "admin/users.html", {"users": users, "roles": ROLES, "added": added})


@router.post("/admin/users")
def add_user(request: Request, user: Admin, _csrf: CsrfDep,
             username: Annotated[str, Form()], role: Annotated[str, Form()],
             password: Annotated[str, Form()]) -> Response:
    create_user(engine=request.app.state.engine, username=username.strip(), role=role,
                password=password)
    return RedirectResponse("/admin/users?" + urlencode({"added": username.strip()}),
                            status_code=303)


def _audit_filter(request: Request, settings) -> tuple[AuditFilter, dict[str, str]]:  # type: ignore[no-untyped-def]
    params = {k: v.strip() for k in AUDIT_PARAMS if (v := request.query_params.get(k, ""))}
    return parse_audit_filter(**params, tz=settings.campaign.tz), params


@router.get("/admin/audit")
def audit_log(request: Request, user: Admin, settings: SettingsDep, page: int = 0) -> Response:
    where, params = _audit_filter(request, settings)
    page = max(page, 0)
    entries = audit_page(engine=request.app.state.engine, where=where, limit=PAGE + 1,
                         offset=page * PAGE)
    query = urlencode(params)
    return render(request, "admin/audit.html", {
        "entries": entries[:PAGE], "params": params, "query": query, "page": page,
        "more": len(entries) > PAGE})


@router.get("/admin/audit.csv")
def audit_csv(request: Request, user: Admin, settings: SettingsDep) -> Response:
    where, _ = _audit_filter(request, settings)
    lines = audit_csv_lines(engine=request.app.state.engine, where=where)
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8", headers={
        "content-disposition": 'attachment; filename="cqf-audit.csv"'})
