"""Routes: admin pages: users (add, role, deactivate, reset password) and the audit log."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from cqfriends.i18n.translate import msg
from cqfriends.moderation.audit import ACTIONS, audit_csv_lines, audit_page, parse_audit_filter
from cqfriends.store.audit import AuditFilter
from cqfriends.store.models import ROLES, User
from cqfriends.store.users import (
    all_users,
    create_user,
    reset_user_password,
    set_user_disabled,
    set_user_role,
)
from cqfriends.web.deps import CsrfDep, SettingsDep, require_role
from cqfriends.web.templating import render, tr

router = APIRouter(include_in_schema=False)
Admin = Annotated[User, Depends(require_role("admin"))]
Name = Annotated[str, Form(max_length=64)]
AUDIT_PARAMS = ("actor", "action", "post_key", "since", "until")
PAGE = 100
NO_STORE = {"Cache-Control": "no-store"}


def users_view(request: Request, notice: str = "", **extra: Any) -> Response:
    users = all_users(engine=request.app.state.engine)
    return render(request, "admin/users.html", {"users": users, "roles": ROLES,
                                                "notice": notice, **extra}, headers=NO_STORE)


@router.get("/admin/users")
def users_page(request: Request, user: Admin, added: str = Query("", max_length=64)
               ) -> Response:
    notice = tr(request, msg("Added %(name)s.", name=added)) if added else ""
    return users_view(request, notice)


@router.post("/admin/users")
def add_user(request: Request, user: Admin, _csrf: CsrfDep, username: Name,
             role: Annotated[str, Form(max_length=16)],
             password: Annotated[str, Form(max_length=2000)]) -> Response:
    create_user(engine=request.app.state.engine, username=username.strip(), role=role,
                password=password, actor=user.username)
    return RedirectResponse("/admin/users?" + urlencode({"added": username.strip()}),
                            status_code=303)


@router.post("/admin/users/role")
def change_role(request: Request, user: Admin, _csrf: CsrfDep, username: Name,
                role: Annotated[str, Form(max_length=16)]) -> Response:
    set_user_role(engine=request.app.state.engine, username=username, role=role,
                  actor=user.username)
    return users_view(request, tr(request, msg("%(name)s is now %(role)s.", name=username,
                                               role=msg(role))))


@router.post("/admin/users/active")
def change_active(request: Request, user: Admin, _csrf: CsrfDep, username: Name,
                  active: Annotated[bool, Form()]) -> Response:
    if username == user.username and not active:
        from cqfriends.errors import Conflict

        raise Conflict(msg("you cannot deactivate yourself"))
    set_user_disabled(engine=request.app.state.engine, username=username,
                      disabled=not active, actor=user.username)
    text = msg("%(name)s can log in again.", name=username) if active else msg(
        "%(name)s is deactivated; their sessions ended.", name=username)
    return users_view(request, tr(request, text))


@router.post("/admin/users/password")
def reset_password(request: Request, user: Admin, _csrf: CsrfDep, username: Name) -> Response:
    password = reset_user_password(engine=request.app.state.engine, username=username,
                                   actor=user.username)
    text = msg("New password of %(name)s (shown once; their sessions ended):", name=username)
    return users_view(request, tr(request, text), new_password=password)


def _audit_filter(request: Request, settings: Any) -> tuple[AuditFilter, dict[str, str]]:
    params = {k: v.strip()[:200] for k in AUDIT_PARAMS if (v := request.query_params.get(k, ""))}
    return parse_audit_filter(**params, tz=settings.campaign.tz), params


@router.get("/admin/audit")
def audit_log(request: Request, user: Admin, settings: SettingsDep,
              page: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> Response:
    where, params = _audit_filter(request, settings)
    entries = audit_page(engine=request.app.state.engine, where=where, limit=PAGE + 1,
                         offset=page * PAGE)
    query = urlencode(params)
    return render(request, "admin/audit.html", {
        "entries": entries[:PAGE], "params": params, "query": query, "page": page,
        "more": len(entries) > PAGE, "actions": ACTIONS})


@router.get("/admin/audit.csv")
def audit_csv(request: Request, user: Admin, settings: SettingsDep) -> Response:
    where, _ = _audit_filter(request, settings)
    lines = audit_csv_lines(engine=request.app.state.engine, where=where)
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8", headers={
        "content-disposition": 'attachment; filename="cqf-audit.csv"'})
