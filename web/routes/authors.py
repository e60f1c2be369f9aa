"""Routes: the authors panel, /moderation/authors: block or trust an account.

Cards post here too (their "Block author" / "Trust author" buttons); rules apply
at once to the author's undecided posts and to every later check.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from cqfriends.i18n.translate import N_, msg
from cqfriends.moderation.authors import SOURCES, author_rules, linked_people, set_author_rule
from cqfriends.store.models import User
from cqfriends.web.deps import CsrfDep, SettingsDep, require_role
from cqfriends.web.routes.decide import done
from cqfriends.web.templating import render

router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(require_role("moderator", "manager"))]
Moderator = Annotated[User, Depends(require_role("moderator"))]
RESULT = {"block": N_("Blocked %(who)s; %(n)s undecided posts now carry the flag."),
          "trust": N_("Trusted %(who)s; %(n)s undecided posts now carry the flag."),
          "clear": N_("Removed the rule of %(who)s.")}


@router.get("/moderation/authors")
def authors_page(request: Request, user: Viewer, settings: SettingsDep) -> Response:
    stored, from_config = author_rules(engine=request.app.state.engine, settings=settings)
    return render(request, "moderation/authors.html", {
        "rules": stored, "config_rules": from_config, "sources": SOURCES,
        "people": linked_people(engine=request.app.state.engine),
        "return_to": "/moderation/authors"})


@router.post("/moderation/authors")
def change_author_rule(
    request: Request, user: Moderator, settings: SettingsDep, _csrf: CsrfDep,
    source: Annotated[str, Form(max_length=16)], key: Annotated[str, Form(max_length=200)],
    rule: Annotated[str, Form(max_length=8)], label: Annotated[str, Form(max_length=300)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    return_to: Annotated[str, Form(max_length=2000)] = "/moderation/authors",
) -> Response:
    changed = set_author_rule(engine=request.app.state.engine, settings=settings, user=user,
                              source=source, key=key, rule=None if rule == "clear" else rule,
                              label=label.strip(), note=note.strip() or None)
    who = f"{source}:{label.strip() or key.strip()}"
    text = msg(RESULT.get(rule, RESULT["clear"]), who=who, n=changed)
    return done(request, return_to, text, rule=rule, reflagged=changed)
