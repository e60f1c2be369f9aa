"""Dependencies of the routes: settings, a DB session, the logged-in user, roles, CSRF."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from cqfriends.errors import Forbidden
from cqfriends.i18n.translate import msg
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.models import User
from cqfriends.web.locale import adopt_user_locale
from cqfriends.web.security import session_user, verify_csrf


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with session_scope(request.app.state.engine) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
CsrfDep = Annotated[None, Depends(verify_csrf)]


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def current_user(request: Request) -> User:
    """The logged-in user; else 401 JSON for API clients and a redirect to /login for people.

    The user is read in a short session of its own: on SQLite every session holds
    the write lock, so a request-long session would block the services it calls.
    """
    user = session_user(request)
    if user is None:
        if wants_json(request):
            raise HTTPException(status_code=401, detail="login required")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(status_code=303, detail="login required",
                            headers={"Location": "/login?next=" + quote(target, safe="")})
    request.state.user = user
    adopt_user_locale(request, user)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(*roles: str) -> Callable[..., User]:
    """Dependency for users with one of ``roles`` (admins may do everything); else 403."""

    def dependency(user: CurrentUser) -> User:
        if user.role != "admin" and user.role not in roles:
            raise Forbidden(msg("this page needs the role %(roles)s; you are %(role)s",
                                roles=" / ".join(roles), role=user.role))
        return user

    return dependency
