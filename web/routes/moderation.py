"""Routes: the moderation queue (being written)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from store.models import User
from web.deps import require_role
from web.templating import render

router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(require_role("moderator", "manager"))]


@router.get("/moderation")
def queue_page(request: Request, user: Viewer) -> Response:
    return render(request, "moderation/queue.html", {"items": []})
