"""/site/: the theme page as last published by ``cqf export site`` (or the export job).

The folder is resolved on every request, so an atomic re-publish (a symlink
swap) is picked up at once.  Open when feeds are public, else staff only.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from cqfriends.errors import NotFound
from cqfriends.web.deps import SettingsDep, current_user

router = APIRouter(tags=["site"])


@router.get("/site", include_in_schema=False)
def site_root() -> Response:
    return RedirectResponse("/site/", status_code=307)


@router.get("/site/{path:path}", include_in_schema=False)
def site_file(path: str, request: Request, settings: SettingsDep) -> Response:
    if not settings.web.public_feeds:
        current_user(request)
    root = Path(os.path.realpath(settings.export.site_dir))
    if not root.is_dir():
        raise NotFound("the theme page is not built yet: run `cqf export site DIR`")
    try:
        target = Path(os.path.realpath(root / (path or "index.html")))
        if target.is_dir():
            target = target / "index.html"
        found = root in target.parents and target.is_file() and not target.name.startswith(".")
    except (OSError, ValueError):  # a name too long for the file system, a NUL ...
        found = False
    if not found:
        raise NotFound(f"no such page on the theme site: /site/{path[:200]}")
    return FileResponse(target)
