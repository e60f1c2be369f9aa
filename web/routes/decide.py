"""Routes: the decisions the console posts (one post, bulk, undo, skip).

Forms work without JavaScript (303 back to the page); console.js sends the same
forms with ``Accept: application/json`` and shows the returned ``message``,
already in the user's language.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from cqfriends.errors import BadInput
from cqfriends.i18n.translate import N_, msg
from cqfriends.moderation.decisions import (
    WITH_REASON,
    Decision,
    decide,
    decide_many,
    release,
    undo_last,
)
from cqfriends.store.models import PostRow, User
from cqfriends.web.deps import CsrfDep, SettingsDep, require_role, wants_json
from cqfriends.web.locale import request_locale
from cqfriends.web.templating import tr

router = APIRouter(include_in_schema=False)
Moderator = Annotated[User, Depends(require_role("moderator"))]
Text = Annotated[str, Form(max_length=2000)]
DONE = {"approve": N_("Approved %(key)s into %(section)s."),
        "reject": N_("Rejected %(key)s."),
        "feature": N_("%(key)s is featured on the LED screens."),
        "unfeature": N_("%(key)s is no longer featured."),
        "takedown": N_("Took down %(key)s."),
        "resection": N_("Moved %(key)s to %(section)s."),
        "requeue": N_("%(key)s is back in the queue.")}


def back_to(return_to: str) -> str:
    ok = return_to.startswith(("/moderation", "/admin/")) and "//" not in return_to
    return return_to if ok else "/moderation"


def done(request: Request, return_to: str, message: str, **payload: object) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": True, "message": tr(request, message), **payload})
    return RedirectResponse(back_to(return_to), status_code=303)


def section_name(request: Request, section: str | None) -> str:
    settings = request.app.state.settings
    for s in settings.campaign.sections:
        if s.id == section:
            zh = request_locale(request) == "zh-Hans" and s.name_zh
            return zh or s.name
    return section or ""


@router.post("/moderation/decide")
def decide_post(
    request: Request, user: Moderator, settings: SettingsDep, _csrf: CsrfDep,
    key: Annotated[str, Form(max_length=300)], action: Annotated[str, Form(max_length=32)],
    version: Annotated[int | None, Form(ge=0, le=2**31)] = None,
    section: Annotated[str, Form(max_length=64)] = "", reason: Text = "", note: Text = "",
    feature: Annotated[bool, Form()] = False, reverse: Annotated[bool, Form()] = False,
    confirm: Annotated[str, Form(max_length=8)] = "",
    return_to: Annotated[str, Form(max_length=2000)] = "/moderation",
) -> Response:
    if action == "takedown" and confirm != "yes":
        raise BadInput(msg("confirm the takedown: it removes the work from every output"))
    decision = Decision(action, section=section or None,
                        reason=(reason.strip() or None) if action in WITH_REASON else None,
                        note=note.strip() or None, feature=feature, version=version,
                        reverse=reverse)
    post = decide(engine=request.app.state.engine, settings=settings, key=key,
                  decision=decision, user=user)
    return done(request, return_to, _done_message(request, action, post), key=post.key,
                status=post.status, version=post.version)


def _done_message(request: Request, action: str, post: PostRow) -> str:
    text = msg(DONE[action], key=post.key, section=section_name(request, post.section))
    return msg("%(done)s Press u to undo.", done=text) if action != "takedown" else text


@router.post("/moderation/bulk")
def bulk_decide(
    request: Request, user: Moderator, settings: SettingsDep, _csrf: CsrfDep,
    action: Annotated[str, Form(max_length=32)],
    items: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies the default
    section: Annotated[str, Form(max_length=64)] = "", reason: Text = "",
    return_to: Annotated[str, Form(max_length=2000)] = "/moderation",
) -> Response:
    if action not in ("approve", "reject"):
        raise BadInput(msg("bulk decisions are approve or reject"))
    if not items:
        raise BadInput(msg("select at least one post first (x, or its select box)"))
    pairs = [(k, int(v) if v.isascii() and v.isdigit() and len(v) < 10 else None)
             for k, _, v in (i.rpartition("@") for i in items[:500])]
    results = decide_many(engine=request.app.state.engine, settings=settings, items=pairs,
                          decision=Decision(action, section=section or None,
                                            reason=(reason or None) if action == "reject"
                                            else None), user=user)
    errors = {key: tr(request, error) for key, error in results if error}
    if errors and not wants_json(request):
        raise BadInput("; ".join(errors.values()))
    decided = len(results) - len(errors)
    text = (msg("Selected posts approved into %(section)s: %(n)s.", n=decided,
                section=section_name(request, section)) if action == "approve"
            else msg("Selected posts rejected: %(n)s.", n=decided))
    return done(request, return_to, text, decided=decided,
                keys=[k for k, e in results if not e], errors=errors)


@router.post("/moderation/undo")
def undo(request: Request, user: Moderator, settings: SettingsDep, _csrf: CsrfDep,
         return_to: Annotated[str, Form(max_length=2000)] = "/moderation") -> Response:
    post = undo_last(engine=request.app.state.engine, settings=settings, user=user)
    text = msg("Undone: %(key)s is %(status)s again.", key=post.key, status=msg(post.status))
    return done(request, return_to, text, key=post.key, status=post.status)


@router.post("/moderation/release")
def release_claims(request: Request, user: Moderator, _csrf: CsrfDep,
                   key: Annotated[str, Form(max_length=300)] = "",
                   return_to: Annotated[str, Form(max_length=2000)] = "/moderation") -> Response:
    released = release(engine=request.app.state.engine, user=user, keys=[key] if key else None)
    text = msg("Skipped %(key)s: it goes back to the queue.", key=key) if key else msg(
        "Released %(n)s claims.", n=released)
    return done(request, return_to, text, released=released)
