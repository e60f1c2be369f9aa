"""JSON API for the web team: /api/v1/posts (cursor pages) and /api/v1/changes (mirrors).

OpenAPI at /openapi.json.  Posts are paged on their id, so a listing never
repeats or skips a post approved before it started; approvals and takedowns
that happen meanwhile arrive through /api/v1/changes.

Pages are kept in a small per-process cache while the change sequence stays the
same (it is read at most once a second) and for at most PAGE_MAX_AGE seconds,
so approvals and takedowns show within a second and metrics within a minute.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from cqfriends.errors import BadInput
from cqfriends.export.copies import public_rows
from cqfriends.export.present import public_post
from cqfriends.store.db import session_scope
from cqfriends.store.exports import PostFilter, current_change_seq, list_changes, page_approved
from cqfriends.web.deps import SessionDep, SettingsDep
from cqfriends.web.params import parse_count, parse_time
from cqfriends.web.routes.feeds import ReaderDep, etagged

router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[ReaderDep])
MAX_LIMIT = 200
PAGE_MAX_AGE = 60.0
SEQ_RECHECK = 1.0
CACHE_ENTRIES = 4096


Page = tuple[bytes, str | None]  # (JSON body, next cursor)


class PageCache:
    """Response bodies by query, valid while the change sequence is unchanged."""

    def __init__(self) -> None:
        self.pages: OrderedDict[str, tuple[int, float, Page]] = OrderedDict()
        self.seq, self.seq_read_at = -1, 0.0

    def current_seq(self, engine: Any) -> int:
        now = time.monotonic()
        if now - self.seq_read_at > SEQ_RECHECK:
            with session_scope(engine) as session:
                self.seq = current_change_seq(session=session)
            self.seq_read_at = now
        return self.seq

    def get(self, key: str, seq: int) -> Page | None:
        hit = self.pages.get(key)
        if hit is None or hit[0] != seq or time.monotonic() - hit[1] > PAGE_MAX_AGE:
            return None
        return hit[2]

    def put(self, key: str, seq: int, page: Page) -> None:
        self.pages[key] = (seq, time.monotonic(), page)
        if len(self.pages) > CACHE_ENTRIES:
            self.pages.popitem(last=False)


def page_cache(request: Request) -> PageCache:
    state = request.app.state
    if not hasattr(state, "page_cache"):
        state.page_cache = PageCache()
    return state.page_cache


def parse_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    number = cursor[1:]
    if not (cursor.startswith("p") and number.isascii() and number.isdigit()
            and len(number) <= 18):
        raise BadInput(f"not a cursor from this API: {cursor[:40]!r}")
    return int(number)


def parse_since(value: str | None) -> datetime | None:
    return parse_time(value, "since")


def dump(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def build_page(engine: Any, filters: PostFilter, after: int, limit: int,
               public_url: str | None) -> Page:
    with session_scope(engine) as session:
        rows = page_approved(session=session, filters=filters, after_id=after, limit=limit)
        next_cursor = f"p{rows[-1].id}" if len(rows) == limit else None
        posts = [public_post(r, media) for r, media in public_rows(session, rows, public_url)]
        body = dump({"posts": posts, "next_cursor": next_cursor, "limit": limit})
    return body, next_cursor


@router.get("/posts")
async def list_posts(
    request: Request,
    section: Annotated[str | None, Query(description="section id from config")] = None,
    source: Annotated[Literal["twitter", "facebook", "instagram", "douyin", "tiktok"] | None,
                      Query()] = None,
    featured: Annotated[bool | None, Query()] = None,
    lang: Annotated[str | None, Query(max_length=16)] = None,
    since: Annotated[str | None, Query(description="approved or edited at/after (ISO 8601)")]
    = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> Response:
    """Approved posts, oldest first, ``limit`` per page; follow ``next_cursor`` to the end."""
    filters = PostFilter(section=section, source=source, featured=featured, lang=lang,
                         since=parse_since(since))
    after = parse_cursor(cursor)
    engine = request.app.state.engine
    cache = page_cache(request)
    key = repr((filters, after, limit))
    seq = cache.current_seq(engine)
    page = cache.get(key, seq)
    if page is None:
        page = await run_in_threadpool(build_page, engine, filters, after, limit,
                                       request.app.state.settings.web.public_url)
        cache.put(key, seq, page)
    body, next_cursor = page
    response = etagged(request, body, "application/json")
    if next_cursor:
        next_url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


@router.get("/changes")
def changes(
    request: Request, session: SessionDep, settings: SettingsDep,
    since: Annotated[str, Query(description="next_since of the previous call (a number), "
                                            "or an ISO 8601 time for a first sync")] = "0",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    """Approvals, edits and takedowns in commit order; ``op`` is ``upsert`` or ``delete``."""
    if since.isascii() and since.isdigit():
        after, when = parse_count(since, "since") or 0, None
    else:
        after, when = 0, parse_since(since)
    rows = list_changes(session=session, after_seq=after, since=when, limit=limit)
    media = dict((r.key, m) for r, m in public_rows(
        session, [r for r in rows if r.status == "approved"], settings.web.public_url))
    items = [{"seq": r.change_seq, "op": "upsert", "key": r.key, "post": public_post(
        r, media.get(r.key, []))} if r.status == "approved"
        else {"seq": r.change_seq, "op": "delete", "key": r.key} for r in rows]
    last = rows[-1].change_seq if rows else max(after, current_change_seq(session=session))
    body = dump({"changes": items, "next_since": str(last), "has_more": len(rows) == limit})
    return etagged(request, body, "application/json")
