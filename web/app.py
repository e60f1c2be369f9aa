"""The FastAPI application: console, dashboard, feeds and JSON API.

Routes live in ``web/routes/*`` (one module per area, each exposing
``router``); this module only wires them, the middleware, the error handlers
and the static files (``/static``: the console's; ``/assets``: the exports'
stylesheets, scripts and fonts, the same files the built site and LED folder get).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from cqfriends.errors import BadInput, CqfError
from cqfriends.settings import Settings
from cqfriends.store.db import describe_database_error, get_engine, is_database_error
from cqfriends.web.middleware import (
    InputGuard,
    SecurityHeaders,
    TrustedProxies,
    redact_access_log,
)

log = logging.getLogger(__name__)
ROUTE_MODULES = ("health", "auth", "moderation", "decide", "authors", "identity", "api", "feeds",
                 "reports", "signage", "site", "admin", "tokens", "media", "upload", "tus")


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="cqfriends", version="0.1.0", docs_url="/docs", redoc_url=None)
    app.state.settings = settings
    app.state.engine = get_engine(settings.database.url)
    app.mount("/static", StaticFiles(packages=[("cqfriends.web", "static")]), name="static")
    app.mount("/assets", StaticFiles(packages=[("cqfriends.export", "static")]), name="assets")
    for name in ROUTE_MODULES:
        module = importlib.import_module(f"cqfriends.web.routes.{name}")
        app.include_router(module.router)
    app.add_api_route("/favicon.ico", _favicon, include_in_schema=False)
    app.add_exception_handler(CqfError, _render_error)  # type: ignore[arg-type]
    app.add_exception_handler(sa.exc.SQLAlchemyError, _database_down)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _render_invalid)  # type: ignore[arg-type]
    # Outermost last: the client address is fixed before anything reads or logs it.
    app.add_middleware(InputGuard)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TrustedProxies, networks=settings.web.trusted_proxies)
    redact_access_log()
    return app


def _favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


def error_text(exc: CqfError) -> str:
    """The message to show: the translatable one when the error carries it."""
    if isinstance(exc, BadInput) and not exc.where():
        return exc.reason
    return exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)


# The page for "the database cannot be used": standalone, since the usual layout needs
# the database (the logged-in user) itself.
DATABASE_DOWN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Service unavailable · 服务暂不可用</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/app.css"></head>
<body><main><section class="error-page">
<h1>503</h1>
<p class="error" role="alert">The database is not available right now, so this page cannot
be shown. Nothing you saved is lost: try again in a minute. If this goes on, tell the
administrator.</p>
<p class="error" lang="zh-Hans">
数据库暂时无法使用，此页面无法显示。已保存的内容不会丢失：请一分钟后重试。如果问题持续，请联系管理员。</p>
</section></main></body></html>
"""


async def _database_down(request: Request, exc: sa.exc.SQLAlchemyError) -> Response:
    """503 and a clear page when the database is unreachable, read-only or full.

    What exactly failed (paths, hosts) goes to the log, not to the visitor.
    """
    if not is_database_error(exc):
        raise exc
    log.error("%s %s: %s", request.method, request.url.path,
              describe_database_error(exc, request.app.state.settings.database.url))
    headers = {"Retry-After": "60", "Cache-Control": "no-store"}
    if _wants_html(request):
        return HTMLResponse(DATABASE_DOWN_PAGE, status_code=503, headers=headers)
    return JSONResponse({"error": "DatabaseUnavailable",
                         "detail": "the database is not available right now; try again later"},
                        status_code=503, headers=headers)


async def _render_error(request: Request, exc: CqfError) -> Response:
    """One handler: JSON for API clients, an HTML page for people."""
    from cqfriends.web.templating import render_error_page, tr

    headers = {}
    if retry := getattr(exc, "retry_after", 0):
        headers["Retry-After"] = str(retry)
    if _wants_html(request):
        response = render_error_page(request, exc.http_status, error_text(exc))
        response.headers.update(headers)
        return response
    return JSONResponse({"error": type(exc).__name__, "detail": tr(request, error_text(exc))},
                        status_code=exc.http_status, headers=headers)


async def _render_invalid(request: Request, exc: RequestValidationError) -> Response:
    """A query or form value of the wrong shape: 400 naming the field, for people and programs."""
    problems = [_problem(e) for e in exc.errors()]
    return await _render_error(request, BadInput("; ".join(problems) or "bad request"))


def _problem(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "body", "path"))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/feeds/", "/healthz")):
        return False
    return "text/html" in request.headers.get("accept", "")
