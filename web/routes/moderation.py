"""Routes: the moderation console pages at /moderation (thin: parse, call the services, render).

The decisions the pages post live in ``web/routes/decide.py``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cqfriends.errors import BadInput
from cqfriends.i18n.translate import msg
from cqfriends.moderation.decisions import STATUS_WORDS
from cqfriends.moderation.queue import FLAG_EXPLANATIONS, VIEWS, post_with_history, queue_view
from cqfriends.store.models import User
from cqfriends.store.queue import QueueFilter
from cqfriends.uploads.contact import contact_for_admin
from cqfriends.web.deps import SettingsDep, require_role
from cqfriends.web.params import parse_count, parse_day
from cqfriends.web.templating import render

router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(require_role("moderator", "manager"))]
FILTERS = ("source", "lang", "flag", "section", "author", "day", "order")
SOURCES = ("twitter", "facebook", "instagram", "douyin", "tiktok", "upload")
ORDERS = ("oldest", "engagement")
MAX_PAGE = 100_000


def parse_filter(request: Request) -> QueueFilter:
    q = {k: (request.query_params.get(k) or "").strip()[:200] or None for k in FILTERS}
    order = q["order"] if q["order"] in ORDERS else "oldest"
    return QueueFilter(source=q["source"], lang=q["lang"], flag=q["flag"], section=q["section"],
                       author=q["author"], day=parse_day(q["day"], "day"), order=order)


def parse_view(request: Request) -> str:
    view = request.query_params.get("view") or "pending"
    if view not in VIEWS:
        raise BadInput(msg("view %(view)r: use one of %(views)s", view=view[:40],
                           views=", ".join(VIEWS)))
    return view


def filter_query(request: Request, **changes: str | None) -> str:
    params = {k: v for k in (*FILTERS, "mode", "view") if (v := request.query_params.get(k))}
    params.update({k: v for k, v in changes.items() if v is not None})
    params = {k: v for k, v in params.items() if v and not (k == "view" and v == "pending")}
    return "?" + urlencode(params) if params else ""


@router.get("/moderation")
def queue_page(request: Request, user: Viewer, settings: SettingsDep) -> Response:
    where, view = parse_filter(request), parse_view(request)
    page = parse_count(request.query_params.get("page"), "page", MAX_PAGE) or 0
    result = queue_view(engine=request.app.state.engine, settings=settings, user=user,
                        where=where, view=view, page=page)
    days = [(d, n, filter_query(request, day=d.isoformat())) for d, n in result.day_counts]
    one = request.query_params.get("mode") == "one"
    return render(request, "moderation/queue.html", {
        "view": result, "where": where, "days": days, "explain": FLAG_EXPLANATIONS,
        "views": [(v, filter_query(request, view=v, page="")) for v in VIEWS],
        "one_at_a_time": one and view == "pending", "filtered": any(
            getattr(where, k) for k in FILTERS if k != "order"),
        "mode_query": filter_query(request, mode="" if one else "one"),
        "page_query": lambda p: filter_query(request, page=str(p) if p else ""),
        "all_days_query": filter_query(request, day=""), "return_to": request.url.path
        + (f"?{request.url.query}" if request.url.query else ""),
        "sources": SOURCES, "status_words": STATUS_WORDS,
        "sections": settings.campaign.sections, "reasons": settings.campaign.reject_reasons})


@router.get("/moderation/post/{key:path}")
def post_page(request: Request, key: str, user: Viewer) -> Response:
    post, history, media = post_with_history(engine=request.app.state.engine, key=key[:300])
    return render(request, "moderation/post.html", {
        "upload": contact_for_admin(engine=request.app.state.engine, post=post, user=user),
        "post": post, "history": history, "media": media, "explain": FLAG_EXPLANATIONS,
        "status_words": STATUS_WORDS, "sections": request.app.state.settings.campaign.sections,
        "reasons": request.app.state.settings.campaign.reject_reasons,
        "return_to": f"/moderation/post/{post.key}"})
