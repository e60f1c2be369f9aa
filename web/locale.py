"""Which language a request is answered in: the user's choice, else the browser's.

A logged-in user's choice is stored with the user (``app_user.locale``); the
``cqf_lang`` cookie carries it for pages before login and is set by the header
switch (``POST /locale``) for everyone.  Without either, Accept-Language decides.
"""

from __future__ import annotations

from fastapi import Request, Response

from cqfriends.i18n.translate import negotiate, normalize_locale
from cqfriends.store.models import User

LANG_COOKIE = "cqf_lang"
YEAR = 365 * 24 * 3600


def request_locale(request: Request) -> str:
    """The locale of this request (cached on request.state)."""
    locale = getattr(request.state, "locale", None)
    if locale is None:
        locale = (normalize_locale(request.query_params.get("lang"))
                  or normalize_locale(request.cookies.get(LANG_COOKIE))
                  or negotiate(request.headers.get("accept-language")))
        request.state.locale = locale
    return locale


def adopt_user_locale(request: Request, user: User) -> None:
    """A logged-in user's stored choice wins over cookie and browser."""
    if user.locale and not normalize_locale(request.query_params.get("lang")):
        request.state.locale = user.locale


def remember_locale(response: Response, locale: str, secure: bool) -> Response:
    response.set_cookie(LANG_COOKIE, locale, max_age=YEAR, httponly=True, samesite="lax",
                        secure=secure, path="/")
    return response
