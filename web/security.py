"""Signed session cookies and CSRF tokens.

The session cookie holds the user name, a fingerprint of the password hash (a
password change ends every other session) and the CSRF token of the session.
Visitors without a login get a session with only a CSRF token, so the login
form is protected too.  Passwords and login throttling: ``store.users``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from cqfriends.errors import Forbidden
from cqfriends.store.models import User

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


def password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def read_session(request: Request) -> dict[str, Any]:
    """The session of this request (cached on request.state); {} when absent or forged."""
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


def start_session(request: Request, user: User | None) -> dict[str, Any]:
    """A fresh session (new CSRF token) for ``user`` or an anonymous visitor."""
    data: dict[str, Any] = {"c": secrets.token_urlsafe(24)}
    if user is not None:
        data.update(u=user.username, k=password_fingerprint(user))
    request.state.session = data
    request.state.session_dirty = True
    return data


def csrf_token(request: Request) -> str:
    session = read_session(request)
    if "c" not in session:
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


def end_session(response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def check_csrf(request: Request, token: str | None) -> None:
    expected = read_session(request).get("c")
    if not expected or not token or not hmac.compare_digest(str(expected), str(token)):
        raise CsrfError("the form expired or came from another site; reload the page and retry")


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
