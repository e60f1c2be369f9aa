"""/signage: the LED signage page and its playlist, served live from the database.

Its media come from the app's public route (``/media/public/...``), never a platform.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from cqfriends.export.copies import public_link
from cqfriends.export.led import build_playlist, render_signage
from cqfriends.i18n.translate import normalize_locale
from cqfriends.settings import Settings
from cqfriends.web.deps import SettingsDep
from cqfriends.web.routes.feeds import ReaderDep
from cqfriends.web.security import session_user

router = APIRouter(tags=["signage"], dependencies=[ReaderDep])


def signage_locale(request: Request, settings: Settings) -> str:
    """``?lang=``, else a logged-in viewer's language, else ``export.language``."""
    chosen = normalize_locale(request.query_params.get("lang"))
    user = session_user(request) if chosen is None else None
    return chosen or (user.locale if user and user.locale else settings.export.language)


@router.get("/signage", response_class=HTMLResponse)
def signage(request: Request, settings: SettingsDep) -> HTMLResponse:
    """Full-screen page cycling the featured works; reloads the playlist between cycles."""
    locale = signage_locale(request, settings)
    playlist = live_playlist(request, settings, locale)
    params = {}
    if token := request.query_params.get("token"):
        params["token"] = token
    params["lang"] = locale
    url = "/signage/playlist.json?" + urlencode(params)
    return HTMLResponse(render_signage(playlist, playlist_url=url, locale=locale,
                                       assets="/assets/"),
                        headers={"Cache-Control": "no-store"})


@router.get("/signage/playlist.json")
def playlist(request: Request, settings: SettingsDep) -> JSONResponse:
    locale = signage_locale(request, settings)
    return JSONResponse(live_playlist(request, settings, locale),
                        headers={"Cache-Control": "no-store"})


def live_playlist(request: Request, settings: Settings, locale: str) -> dict[str, Any]:
    """The playlist with our copies under the public media route (a screen holds a read
    token, not a staff login; featured works are approved, so their files are public)."""
    return build_playlist(engine=request.app.state.engine, settings=settings, locale=locale,
                          link=public_link(None))
