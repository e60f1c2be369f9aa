"""Signed session cookies, server-side login sessions and CSRF tokens.

The cookie is signed (itsdangerous) and holds the CSRF token of the visit and,
once logged in, the token of a ``login_session`` row (``store.sessions``).  The
row is what makes a login: logout deletes it, a password change or deactivation
deletes all of the user's rows, so an old cookie opens nothing.  Visitors
without a login get a cookie with only a CSRF token, so the login form is
protected too.  Passwords and throttling: ``store.users``, ``store.logins``.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from cqfriends.errors import Forbidden
from cqfriends.i18n.translate import msg
from cqfriends.store.db import session_scope
from cqfriends.store.models import User
from cqfriends.store.sessions import close_login_session, open_login_session, user_of_session

SESSION_COOKIE = "cqf_session"
SESSION_MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfError(Forbidden):
    """A state-changing request without the token of the session."""


def secret_key(request: Request) -> str:
    """The configured key, else one generated for the life of this process."""
    state = request.app.state
    key = getattr(state, "secret_key", None)
    if key is None:
        configured = state.settings.web.secret_key
        key = configured.get_secret_value() if configured else secrets.token_urlsafe(32)
        state.secret_key = key
    return key


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(request), salt="cqf-session")


def read_session(request: Request) -> dict[str, Any]:
    """The cookie data of this request (cached on request.state); {} when absent or forged."""
    if hasattr(request.state, "session"):
        return request.state.session
    raw = request.cookies.get(SESSION_COOKIE)
    data: dict[str, Any] = {}
    if raw:
        try:
            loaded = _serializer(request).loads(raw, max_age=SESSION_MAX_AGE)
            data = loaded if isinstance(loaded, dict) else {}
        except BadSignature:
            data = {}
    request.state.session = data
    return data


def session_user(request: Request) -> User | None:
    """The active user whose live login session this request carries, else None."""
    if hasattr(request.state, "session_user"):
        return request.state.session_user
    token = read_session(request).get("s")
    user = None
    if isinstance(token, str) and token:
        with session_scope(request.app.state.engine) as session:
            user = user_of_session(session=session, token=token)
    request.state.session_user = user
    return user


def start_session(request: Request, user: User | None) -> dict[str, Any]:
    """A fresh cookie (new CSRF token); for ``user``, a new login session on the server."""
    data: dict[str, Any] = {"c": secrets.token_urlsafe(24)}
    if user is not None:
        client = request.client.host if request.client else ""
        with session_scope(request.app.state.engine, write=True) as session:
            data["s"] = open_login_session(session=session, username=user.username,
                                           lifetime=timedelta(seconds=SESSION_MAX_AGE),
                                           client=client)
    request.state.session = data
    request.state.session_dirty = True
    return data


def end_session(request: Request, response: Response) -> Response:
    """Delete this request's login session on the server and the cookie in the browser."""
    token = read_session(request).get("s")
    if isinstance(token, str) and token:
        with session_scope(request.app.state.engine, write=True) as session:
            close_login_session(session=session, token=token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def csrf_token(request: Request) -> str:
    session = read_session(request)
    if not session.get("c"):
        session = start_session(request, None)
    return session["c"]


def save_session(request: Request, response: Response) -> Response:
    """Write the session cookie if this request started a new session."""
    if getattr(request.state, "session_dirty", False):
        value = _serializer(request).dumps(request.state.session)
        response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_MAX_AGE, httponly=True,
                            samesite="lax", secure=request.app.state.settings.web.secure_cookies,
                            path="/")
    return response


def check_csrf(request: Request, token: str | None) -> None:
    expected = read_session(request).get("c")
    # bytes: compare_digest refuses non-ASCII str, and a forged token may hold anything
    if not expected or not token or not hmac.compare_digest(
            str(expected).encode("utf-8", "surrogatepass"),
            str(token).encode("utf-8", "surrogatepass")):
        raise CsrfError(msg("the form expired or came from another site; "
                            "reload the page and retry"))


async def verify_csrf(request: Request) -> None:
    """Dependency: the X-CSRF-Token header or the csrf_token form field must match."""
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    check_csrf(request, token)
