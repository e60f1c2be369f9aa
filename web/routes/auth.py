"""Routes: /login, /logout and /locale (the language switch in the header)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cqfriends.errors import BadInput
from cqfriends.i18n.translate import LOCALES
from cqfriends.store.users import set_user_locale, verify_login
from cqfriends.web.deps import CsrfDep, SettingsDep
from cqfriends.web.locale import remember_locale
from cqfriends.web.security import end_session, save_session, session_user, start_session
from cqfriends.web.templating import render, tr

router = APIRouter(include_in_schema=False)


def safe_next(target: str, default: str = "/moderation") -> str:
    """Only local paths: never redirect to another site."""
    ok = target.startswith("/") and not target.startswith(("//", "/\\"))
    return target if ok and "\\" not in target else default


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/moderation") -> Response:
    return render(request, "login.html", {"next": safe_next(next), "username": "", "error": ""})


@router.post("/login")
def login(
    request: Request, settings: SettingsDep, _csrf: CsrfDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=2000)],
    next: Annotated[str, Form(max_length=2000)] = "/moderation",
) -> Response:
    client = request.client.host if request.client else ""
    user = verify_login(engine=request.app.state.engine, username=username.strip(),
                        password=password, client=client,
                        max_failures=settings.web.max_failed_logins)
    if user is None:
        context = {"next": safe_next(next), "username": username,
                   "error": tr(request, "Wrong user name or password.")}
        return render(request, "login.html", context, status_code=401)
    start_session(request, user)
    response = RedirectResponse(safe_next(next), status_code=303)
    if user.locale:
        remember_locale(response, user.locale, settings.web.secure_cookies)
    return save_session(request, response)


@router.post("/logout")
def logout(request: Request, _csrf: CsrfDep) -> Response:
    return end_session(request, RedirectResponse("/login", status_code=303))


@router.post("/locale")
def choose_locale(request: Request, settings: SettingsDep, _csrf: CsrfDep,
                  locale: Annotated[str, Form(max_length=16)],
                  next: Annotated[str, Form(max_length=2000)] = "/moderation") -> Response:
    """Switch the language: stored with the user when logged in, and in a cookie."""
    if locale not in LOCALES:
        raise BadInput(f"language {locale!r}: use one of {', '.join(LOCALES)}")
    if (user := session_user(request)) is not None:
        set_user_locale(engine=request.app.state.engine, username=user.username, locale=locale)
    response = RedirectResponse(safe_next(next), status_code=303)
    return remember_locale(response, locale, settings.web.secure_cookies)
