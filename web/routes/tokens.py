"""Routes: read tokens for /api/v1, /feeds and signage screens, /admin/tokens.

Admins and the web team create tokens (each shown once, on the page that made
it, never in a URL or a log), see when each was last used, and revoke them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from cqfriends.i18n.translate import msg
from cqfriends.store.audit import add_audit_entry
from cqfriends.store.db import session_scope
from cqfriends.store.models import User
from cqfriends.store.tokens import create_token, list_tokens, revoke_token
from cqfriends.web.deps import CsrfDep, require_role
from cqfriends.web.templating import render, tr

router = APIRouter(include_in_schema=False)
TokenAdmin = Annotated[User, Depends(require_role("admin", "webteam"))]
Name = Annotated[str, Form(max_length=200)]


def tokens_view(request: Request, notice: str = "", token: str = "") -> Response:
    with session_scope(request.app.state.engine) as session:
        tokens = list_tokens(session=session)
    return render(request, "admin/tokens.html", {"tokens": tokens, "notice": notice,
                                                 "new_token": token},
                  headers={"Cache-Control": "no-store"})


@router.get("/admin/tokens")
def tokens_page(request: Request, user: TokenAdmin) -> Response:
    return tokens_view(request)


@router.post("/admin/tokens")
def create(request: Request, user: TokenAdmin, _csrf: CsrfDep, name: Name) -> Response:
    name = name.strip()
    with session_scope(request.app.state.engine, write=True) as session:
        token = create_token(session=session, name=name, created_by=user.username)
        add_audit_entry(session=session, actor=user.username, action="token-create",
                        detail={"token": name})
    text = msg("Token %(name)s created. Copy it now: it is shown only this once.", name=name)
    return tokens_view(request, tr(request, text), token)


@router.post("/admin/tokens/revoke")
def revoke(request: Request, user: TokenAdmin, _csrf: CsrfDep, name: Name) -> Response:
    with session_scope(request.app.state.engine, write=True) as session:
        revoke_token(session=session, name=name)
        add_audit_entry(session=session, actor=user.username, action="token-revoke",
                        detail={"token": name})
    return tokens_view(request, tr(request, msg(
        "Token %(name)s revoked: requests with it are refused within seconds.", name=name)))
