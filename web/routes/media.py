"""/media/<sha256>/<name>: archived files, for logged-in staff; /media/public/...: the files
outputs show of approved works, for partner sites and screens (no login).

``name`` is ``original``, ``display``, ``thumb`` or ``poster``.  The content
type is the one the archive recorded when it validated or made the file, never
one guessed from a name; ``nosniff`` stops browsers guessing either.  Files are
content-addressed, so they may be cached for good; byte ranges let videos seek.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from cqfriends.errors import NotFound
from cqfriends.media.archived import file_for
from cqfriends.media.storage import MediaStore, open_store
from cqfriends.store.db import session_scope
from cqfriends.web.deps import CurrentUser

router = APIRouter(tags=["media"])
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
HEADERS = {"X-Content-Type-Options": "nosniff", "Accept-Ranges": "bytes",
           "Cache-Control": "private, max-age=31536000, immutable",
           # A file opened on its own becomes a browser-made page showing it: that page may
           # load the file itself and nothing else, and run no script.  (No ``sandbox``: its
           # opaque origin would stop the page's own <video> from loading the file.)
           "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; "
                                      "style-src 'unsafe-inline'",
           "Content-Disposition": "inline"}


def media_store(request: Request) -> MediaStore:
    """One store per app (an S3 client is slow to make)."""
    store = getattr(request.app.state, "media_store", None)
    if store is None:
        store = request.app.state.media_store = open_store(request.app.state.settings)
    return store


@router.get("/media/{sha256}/{name}", include_in_schema=False)
def media_file(sha256: str, name: str, request: Request, user: CurrentUser) -> Response:
    return send_file(request, sha256, name, public=False)


@router.get("/media/public/{sha256}/{name}", include_in_schema=False)
def public_media_file(sha256: str, name: str, request: Request) -> Response:
    """What feeds, the API and /signage link to, for anyone: the display, thumbnail and
    poster files of approved works (and a video work's video), never a photo's original
    (its EXIF and GPS) nor anything of a work not approved or taken down."""
    return send_file(request, sha256, name, public=True)


def send_file(request: Request, sha256: str, name: str, *, public: bool) -> Response:
    with session_scope(request.app.state.engine) as session:
        found = file_for(session=session, sha256=sha256, name=name, public=public)
    store = media_store(request)
    size = store.size(found.key) if found else None
    if found is None or size is None:
        raise NotFound(f"no archived file /media/{sha256}/{name}")
    try:
        span = byte_range(request.headers.get("range"), size)
    except Unsatisfiable:
        return Response(status_code=416, headers={**HEADERS, "Content-Range": f"bytes */{size}"})
    start, end = span or (0, size - 1)
    headers = {**HEADERS, "Content-Length": str(end - start + 1)}
    if public:  # an approval can be withdrawn: caches ask again within the hour
        headers.update({"Cache-Control": "public, max-age=3600",
                        "Cross-Origin-Resource-Policy": "cross-origin"})
    if span:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(store.read(found.key, start, end), status_code=206 if span else 200,
                             media_type=found.mime, headers=headers)


class Unsatisfiable(ValueError):
    """A range that starts past the end of the file (HTTP 416)."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end) of one ``Range: bytes=`` span; None: the whole file."""
    match = RANGE.match((header or "").strip())
    if not match or not any(match.groups()):
        return None  # no range, or one we do not serve (several spans): the whole file
    first, last = match.groups()
    if not first:  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if size == 0 or start >= size or start > end:
        raise Unsatisfiable(header)
    return start, end
