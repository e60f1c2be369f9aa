"""Feeds of approved posts (/feeds/approved.json|.atom|.csv) and the read-token check.

``reader_access`` guards /api/v1, /feeds and /signage: open when
``web.public_feeds`` is true, else ``Authorization: Bearer TOKEN`` (a token from
``cqf tokens create`` or /admin/tokens) or a console login is required.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from cqfriends.export import feeds
from cqfriends.export.copies import public_rows
from cqfriends.media.archived import media_url
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.exports import iter_approved, latest_approved
from cqfriends.store.tokens import check_token
from cqfriends.web.deps import SessionDep, SettingsDep
from cqfriends.web.security import session_user

router = APIRouter(tags=["feeds"])
bearer = HTTPBearer(auto_error=False, description="a read token from `cqf tokens create`")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


TOKEN_RECHECK_SECONDS = 10.0  # a revoked token stops working within this time


def bearer_token(request: Request) -> str:
    """The read token of the request: the Authorization header, or ``?token=`` on /signage."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.url.path.startswith("/signage"):  # screens that cannot send headers
        return request.query_params.get("token", "")
    return ""


async def token_is_valid(request: Request, token: str) -> bool:
    """Whether ``token`` is a live read token; a recently checked one costs no query."""
    now = time.monotonic()
    accepted = _accepted_tokens(request)
    if accepted.get(token, 0.0) > now:
        return True
    valid: bool = await run_in_threadpool(partial(_check, request, token))
    if valid:
        if len(accepted) > 1000:
            accepted.clear()
        accepted[token] = now + TOKEN_RECHECK_SECONDS
    return valid


async def reader_access(request: Request, credentials: BearerDep) -> None:
    """Let the request through if feeds are public, it carries a live read token, or it
    comes from a logged-in member of staff (the console links to the feeds and signage)."""
    if request.app.state.settings.web.public_feeds:
        return
    token = bearer_token(request)
    if token and await token_is_valid(request, token):
        return
    if await run_in_threadpool(session_user, request) is not None:
        return
    raise HTTPException(status_code=401, detail="a valid read token is required",
                        headers={"WWW-Authenticate": "Bearer"})


def _accepted_tokens(request: Request) -> dict[str, float]:
    """Per app: token -> until when it passes without a query."""
    state = request.app.state
    if not hasattr(state, "accepted_tokens"):
        state.accepted_tokens = {}
    return state.accepted_tokens


def _check(request: Request, token: str) -> bool:
    # Its own short transaction: a streamed response opens another one later.
    with session_scope(request.app.state.engine, write=True) as session:
        return check_token(session=session, token=token) is not None


ReaderDep = Depends(reader_access)


def etagged(request: Request, body: bytes, media_type: str) -> Response:
    """``body`` with a strong ETag; 304 when the client already holds it."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    match = request.headers.get("if-none-match", "")
    if etag in [m.strip() for m in match.split(",")] or match.strip() == "*":
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)


def self_url(request: Request, settings: Settings) -> str:
    """The feed's own URL under ``web.public_url``; '' (left out) when it is unset: the
    request's Host header never decides what other sites are told."""
    if not settings.web.public_url:
        return ""
    query = request.url.remove_query_params("token").query
    return media_url(request.url.path, settings.web.public_url) + (f"?{query}" if query else "")


LimitQuery = Annotated[int, Query(ge=1, le=1000, description="newest N approved works")]


@router.get("/feeds/approved.json", dependencies=[ReaderDep])
def jsonfeed(request: Request, settings: SettingsDep, session: SessionDep,
             limit: LimitQuery = 100) -> Response:
    """JSON Feed 1.1 of the newest approved works."""
    rows = public_rows(session, latest_approved(session=session, limit=limit),
                       settings.web.public_url)
    body = feeds.write_jsonfeed(rows, settings, feed_url=self_url(request, settings))
    return etagged(request, body.encode(), "application/feed+json")


@router.get("/feeds/approved.atom", dependencies=[ReaderDep])
def atom(request: Request, settings: SettingsDep, session: SessionDep,
         limit: LimitQuery = 100) -> Response:
    """Atom (RFC 4287) feed of the newest approved works."""
    rows = public_rows(session, latest_approved(session=session, limit=limit),
                       settings.web.public_url)
    body = feeds.write_atom(rows, settings, feed_url=self_url(request, settings))
    return etagged(request, body.encode(), "application/atom+xml")


@router.get("/feeds/approved.csv", dependencies=[ReaderDep])
def csv_download(request: Request, settings: SettingsDep) -> StreamingResponse:
    """Every approved work as CSV (streamed; cells never start a formula)."""
    engine = request.app.state.engine

    def lines() -> Iterator[str]:
        with session_scope(engine) as session:
            yield from feeds.iter_csv(public_rows(session, iter_approved(session=session),
                                                  settings.web.public_url))

    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="approved.csv"'})
