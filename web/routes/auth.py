"""Routes: /login and /logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cqfriends.store.users import verify_login
from cqfriends.web.deps import CsrfDep, SettingsDep
from cqfriends.web.security import end_session, save_session, start_session
from cqfriends.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only local paths: never redirect a fresh login to another site."""
    return target if target.startswith("/") and not target.startswith("//") else "/moderation"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/moderation") -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "username": "", "error": ""})


@router.post("/login")
def login(
    request: Request, settings: SettingsDep, _csrf: CsrfDep,
    username: Annotated[str, Form()], password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/moderation",
) -> Response:
    client = request.client.host if request.client else ""
    user = verify_login(engine=request.app.state.engine, username=username, password=password,
                        client=client, max_failures=settings.web.max_failed_logins)
    if user is None:
        context = {"next": _safe_next(next), "username": username,
                   "error": "Wrong user name or password."}
        return render(request, "login.html", context, status_code=401)
    start_session(request, user)
    return save_session(request, RedirectResponse(_safe_next(next), status_code=303))


@router.post("/logout")
def logout(_csrf: CsrfDep) -> Response:
    return end_session(RedirectResponse("/login", status_code=303))
