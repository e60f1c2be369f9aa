"""Route: the answer to "same person?" on a card (confirm / split), /moderation/identity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from cqfriends.i18n.translate import N_, msg
from cqfriends.moderation.people import answer_same_person
from cqfriends.store.models import User
from cqfriends.web.deps import CsrfDep, require_role
from cqfriends.web.routes.decide import done

router = APIRouter(include_in_schema=False)
Moderator = Annotated[User, Depends(require_role("moderator"))]
RESULT = {"confirm": N_("%(key)s: the same person; folded into %(work)s."),
          "split": N_("%(key)s: two people; it stays in the queue.")}


@router.post("/moderation/identity")
def answer_identity(
    request: Request, user: Moderator, _csrf: CsrfDep,
    key: Annotated[str, Form(max_length=200)], answer: Annotated[str, Form(max_length=8)],
    version: Annotated[int | None, Form()] = None,
    return_to: Annotated[str, Form(max_length=2000)] = "/moderation",
) -> Response:
    post = answer_same_person(engine=request.app.state.engine, user=user, key=key,
                              answer=answer, version=version)
    text = msg(RESULT.get(answer, RESULT["split"]), key=key, work=post.duplicate_of or "")
    return done(request, return_to, text, key=key, status=post.status)
