"""The FastAPI application: console, dashboard, feeds and JSON API.

Routes live in ``web/routes/*`` (one module per area, each exposing
``router``); this module only wires them, the error handler and static files.
"""

from __future__ import annotations

import importlib
import logging

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from cqfriends.errors import CqfError
from cqfriends.settings import Settings
from cqfriends.store.db import describe_database_error, get_engine, is_database_error

log = logging.getLogger(__name__)
ROUTE_MODULES = ("health", "auth", "moderation", "api", "feeds", "reports", "signage", "site",
                 "admin", "media")


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="cqfriends", version="0.1.0", docs_url="/docs", redoc_url=None)
    app.state.settings = settings
    app.state.engine = get_engine(settings.database.url)
    app.mount("/static", StaticFiles(packages=[("cqfriends.web", "static")]), name="static")
    for name in ROUTE_MODULES:
        module = importlib.import_module(f"cqfriends.web.routes.{name}")
        app.include_router(module.router)
    app.add_exception_handler(CqfError, _render_error)  # type: ignore[arg-type]
    app.add_exception_handler(sa.exc.SQLAlchemyError, _database_down)  # type: ignore[arg-type]
    return app


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
    if _wants_html(request):
        from cqfriends.web.templating import render_error_page
        return render_error_page(request, exc.http_status, str(exc))
    return JSONResponse({"error": type(exc).__name__, "detail": str(exc)},
                        status_code=exc.http_status)


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/feeds/", "/healthz")):
        return False
    return "text/html" in request.headers.get("accept", "")
