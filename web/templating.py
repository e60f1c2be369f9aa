"""Jinja2 templates (autoescape on, i18n), and the two ways pages are rendered."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from cqfriends.i18n.translate import gettext, install, translate
from cqfriends.moderation.media_reasons import media_reason
from cqfriends.web.locale import request_locale
from cqfriends.web.security import csrf_token, save_session

_env = jinja2.Environment(loader=jinja2.PackageLoader("cqfriends.web", "templates"),
                          autoescape=True, trim_blocks=True, lstrip_blocks=True)
install(_env)
templates = Jinja2Templates(env=_env)


def safe_url(url: str | None) -> str:
    """The URL if it is http(s), else '' (no javascript:, data: ... links or images)."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return ""


def highlight(text: str, hashtags: list[str], words: list[str]) -> Markup:
    """Participant text, escaped, with campaign hashtags and suspect words wrapped in <mark>.

    Matches are found in the raw text and every piece is escaped on its own, so
    nothing the participant wrote can become markup.
    """
    parts = []
    if hashtags:
        tags = "|".join(re.escape(t) for t in sorted(hashtags, key=len, reverse=True))
        parts.append(f"(?P<tag>[#＃](?:{tags}))(?!\\w)")
    if words:
        parts.append("(?P<word>" + "|".join(re.escape(w) for w in words if w) + ")")
    if not parts:
        return escape(text)
    out, last = [], 0
    for match in re.finditer("|".join(parts), text, flags=re.IGNORECASE):
        css = "tag" if match.lastgroup == "tag" else "suspect"
        out += [escape(text[last:match.start()]),
                Markup('<mark class="%s">%s</mark>') % (css, match.group(0))]
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


@jinja2.pass_context
def localtime(context: Any, value: datetime | None, seconds: bool = False) -> str:
    """A UTC time in the campaign's zone, as every console page shows times."""
    if value is None:
        return ""
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return value.astimezone(context["campaign"].tz).strftime(fmt)


_env.filters["safe_url"] = safe_url
_env.filters["highlight"] = highlight
_env.filters["localtime"] = localtime
_env.filters["media_reason"] = media_reason


def tr(request: Request, text: str) -> str:
    """A message (``i18n.msg``) or a plain catalog text, in the language of ``request``."""
    locale = request_locale(request)
    return translate(text, locale) if hasattr(text, "template") else gettext(locale, text)


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """A page with the user, the CSRF token, the campaign and the language in its context."""
    settings = request.app.state.settings
    locale = request_locale(request)
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    full = {"user": getattr(request.state, "user", None), "csrf_token": csrf_token(request),
            "campaign": settings.campaign, "locale": locale, "here": path,
            "public_feeds": settings.web.public_feeds, **(context or {})}
    response = templates.TemplateResponse(request, name, full, status_code=status_code,
                                          headers=headers)
    save_session(request, response)
    return response


def render_error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", {"status": status, "message": tr(request, message)},
                  status_code=status)
