"""Routes: the moderation console at /moderation (thin: parse, call the services, render)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from cqfriends.errors import BadInput
from cqfriends.moderation.decisions import Decision, decide, decide_many, release, undo_last
from cqfriends.moderation.queue import FLAG_EXPLANATIONS, post_with_history, queue_view
from cqfriends.store.models import User
from cqfriends.store.queue import QueueFilter
from cqfriends.web.deps import CsrfDep, SettingsDep, require_role, wants_json
from cqfriends.web.templating import render

router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(require_role("moderator", "manager"))]
Moderator = Annotated[User, Depends(require_role("moderator"))]
FILTERS = ("source", "lang", "flag", "section", "author", "day", "order")


def parse_filter(request: Request) -> QueueFilter:
    q = {k: (request.query_params.get(k) or "").strip() or None for k in FILTERS}
    try:
        day = date.fromisoformat(q["day"]) if q["day"] else None
    except ValueError as e:
        raise BadInput(f"day {q['day']!r}: use YYYY-MM-DD") from e
    order = q["order"] if q["order"] in ("oldest", "engagement") else "oldest"
    return QueueFilter(source=q["source"], lang=q["lang"], flag=q["flag"], section=q["section"],
                       author=q["author"], day=day, order=order)


def filter_query(request: Request, **changes: str | None) -> str:
    params = {k: v for k in (*FILTERS, "mode") if (v := request.query_params.get(k))}
    params.update({k: v for k, v in changes.items() if v is not None})
    params = {k: v for k, v in params.items() if v}
    return "?" + urlencode(params) if params else ""


def back_to(return_to: str) -> str:
    return return_to if return_to.startswith("/moderation") else "/moderation"


def done(request: Request, return_to: str, **payload: object) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": True, **payload})
    return RedirectResponse(back_to(return_to), status_code=303)


@router.get("/moderation")
def queue_page(request: Request, user: Viewer, settings: SettingsDep) -> Response:
    where = parse_filter(request)
    view = queue_view(engine=request.app.state.engine, settings=settings, user=user, where=where)
    days = [(d, n, filter_query(request, day=d.isoformat())) for d, n in view.day_counts]
    return render(request, "moderation/queue.html", {
        "view": view, "where": where, "days": days, "explain": FLAG_EXPLANATIONS,
        "one_at_a_time": request.query_params.get("mode") == "one",
        "mode_query": filter_query(request, mode="" if request.query_params.get("mode") else "one"),
        "all_days_query": filter_query(request, day=""), "return_to": request.url.path
        + (f"?{request.url.query}" if request.url.query else ""),
        "sections": settings.campaign.sections, "reasons": settings.campaign.reject_reasons})


@router.post("/moderation/decide")
def decide_post(
    request: Request, user: Moderator, settings: SettingsDep, _csrf: CsrfDep,
    key: Annotated[str, Form()], action: Annotated[str, Form()],
    version: Annotated[int | None, Form()] = None, section: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
    feature: Annotated[bool, Form()] = False, return_to: Annotated[str, Form()] = "/moderation",
) -> Response:
    decision = Decision(action, section=section or None, reason=reason or None,
                        note=note.strip() or None, feature=feature, version=version)
    post = decide(engine=request.app.state.engine, settings=settings, key=key,
                  decision=decision, user=user)
    return done(request, return_to, key=post.key, status=post.status, version=post.version)


@router.post("/moderation/bulk")
def bulk_decide(
    request: Request, user: Moderator, settings: SettingsDep, _csrf: CsrfDep,
    action: Annotated[str, Form()], items: Annotated[list[str], Form()],
    section: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
    return_to: Annotated[str, Form()] = "/moderation",
) -> Response:
    if action not in ("approve", "reject"):
        raise BadInput("bulk decisions are approve or reject")
    pairs = [(k, int(v) if v.isdigit() else None) for k, _, v in (i.rpartition("@") for i in items)]
    results = decide_many(engine=request.app.state.engine, settings=settings, items=pairs,
                          decision=Decision(action, section=section or None,
                                            reason=reason or None), user=user)
    errors = {key: error for key, error in results if error}
    if errors and not wants_json(request):
        raise BadInput("; ".join(errors.values()))
    return done(request, return_to, decided=len(results) - len(errors), errors=errors)


@router.post("/moderation/undo")
def undo(request: Request, user: Moderator, settings: SettingsDep, _csrf: CsrfDep,
         return_to: Annotated[str, Form()] = "/moderation") -> Response:
    post = undo_last(engine=request.app.state.engine, settings=settings, user=user)
    return done(request, return_to, key=post.key, status=post.status)


@router.post("/moderation/release")
def release_claims(request: Request, user: Moderator, _csrf: CsrfDep,
                   key: Annotated[str, Form()] = "",
                   return_to: Annotated[str, Form()] = "/moderation") -> Response:
    released = release(engine=request.app.state.engine, user=user, keys=[key] if key else None)
    return done(request, return_to, released=released)


@router.get("/moderation/post/{key:path}")
def post_page(request: Request, key: str, user: Viewer) -> Response:
    post, history = post_with_history(engine=request.app.state.engine, key=key)
    return render(request, "moderation/post.html", {
        "post": post, "history": history, "explain": FLAG_EXPLANATIONS,
        "sections": request.app.state.settings.campaign.sections,
        "return_to": f"/moderation/post/{post.key}"})
