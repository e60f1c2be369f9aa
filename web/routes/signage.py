"""/signage: the LED signage page and its playlist, served live from the database."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from cqfriends.export.led import build_playlist, render_signage
from cqfriends.web.deps import SettingsDep
from cqfriends.web.routes.feeds import ReaderDep

router = APIRouter(tags=["signage"], dependencies=[ReaderDep])


@router.get("/signage", response_class=HTMLResponse)
def signage(request: Request, settings: SettingsDep) -> HTMLResponse:
    """Full-screen page cycling the featured works; reloads the playlist between cycles."""
    playlist = build_playlist(engine=request.app.state.engine, settings=settings)
    url = "/signage/playlist.json"
    if token := request.query_params.get("token"):
        url += "?" + urlencode({"token": token})
    return HTMLResponse(render_signage(playlist, playlist_url=url),
                        headers={"Cache-Control": "no-store"})


@router.get("/signage/playlist.json")
def playlist(request: Request, settings: SettingsDep) -> JSONResponse:
    return JSONResponse(build_playlist(engine=request.app.state.engine, settings=settings),
                        headers={"Cache-Control": "no-store"})
