"""Routes: admin pages (being written)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from store.models import User
from web.deps import require_role
from web.templating import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[User, Depends(require_role("admin"))]


@router.get("/admin/users")
def users_page(request: Request, user: Admin) -> Response:
    return render(request, "error.html", {"status": 200, "message": "being written"})


@router.get("/admin/audit")
def audit_page(request: Request, user: Admin) -> Response:
    return render(request, "error.html", {"status": 200, "message": "being written"})
