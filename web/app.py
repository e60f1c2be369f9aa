"""The FastAPI application: console, dashboard, feeds and JSON API.

Routes live in ``web/routes/*`` (one module per area, each exposing
``router``); this module only wires them, the error handler and static files.
"""

from __future__ import annotations

import importlib
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from cqfriends.errors import CqfError
from cqfriends.settings import Settings
from cqfriends.store.db import get_engine

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
    return app


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
