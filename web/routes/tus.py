"""/upload/tus: the tus 1.0 endpoints the upload page's script resumes videos through.

OPTIONS (what we speak), POST (creation: Upload-Length, Upload-Metadata),
HEAD (Upload-Offset), PATCH (Upload-Offset, application/offset+octet-stream,
streamed to disk), DELETE (termination).  The logic is ``uploads.tus``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from cqfriends.i18n.translate import msg
from cqfriends.store.db import session_scope
from cqfriends.store.models import utcnow
from cqfriends.uploads import abuse, tus
from cqfriends.uploads.errors import Closed, UploadRefused
from cqfriends.web.deps import SettingsDep
from cqfriends.web.routes.upload import client_of
from cqfriends.web.templating import tr

router = APIRouter(tags=["uploads"], include_in_schema=False)
BASE = "/upload/tus"


def _headers(**extra: str) -> dict[str, str]:
    return {"Tus-Resumable": tus.VERSION, "Cache-Control": "no-store", **extra}


def _refused(request: Request, error: UploadRefused) -> Response:
    headers = _headers()
    if retry := getattr(error, "retry_after", 0):
        headers["Retry-After"] = str(retry)
    return JSONResponse({"error": type(error).__name__, "detail": tr(request, str(error))},
                        status_code=error.http_status, headers=headers)


def _check_version(request: Request) -> None:
    if request.headers.get("tus-resumable") != tus.VERSION:
        raise UploadRefused(msg("Tus-Resumable must be %(v)s", v=tus.VERSION))


@router.options(BASE)
def tus_options(settings: SettingsDep) -> Response:
    return Response(status_code=204, headers=_headers(
        **{"Tus-Version": tus.VERSION, "Tus-Extension": tus.EXTENSIONS,
           "Tus-Max-Size": str(int(settings.uploads.max_video_mb * 1e6))}))


@router.post(BASE)
def tus_create(request: Request, settings: SettingsDep) -> Response:
    try:
        _check_version(request)
        if not settings.uploads.enabled:
            raise Closed(msg("uploads are closed"))
        client = client_of(request)
        with session_scope(request.app.state.engine) as session:
            abuse.check_limits(session=session, settings=settings, client=client,
                               now=utcnow(), proof=True)
        length = request.headers.get("upload-length", "")
        transfer = tus.create(
            Path(settings.uploads.spool_dir), length=int(length) if length.isdigit() else 0,
            max_bytes=int(settings.uploads.max_video_mb * 1e6),
            metadata=request.headers.get("upload-metadata", ""), client=client,
            max_active=settings.uploads.per_address_per_hour)
    except UploadRefused as e:
        return _refused(request, e)
    return Response(status_code=201, headers=_headers(
        Location=f"{BASE}/{transfer.id}", **{"Upload-Offset": "0"}))


@router.head(BASE + "/{transfer_id}")
def tus_offset(transfer_id: str, request: Request, settings: SettingsDep) -> Response:
    try:
        _check_version(request)
        transfer = tus.get(Path(settings.uploads.spool_dir), transfer_id)
    except UploadRefused as e:
        return Response(status_code=e.http_status, headers=_headers())
    return Response(status_code=200, headers=_headers(**{
        "Upload-Offset": str(transfer.offset), "Upload-Length": str(transfer.length)}))


@router.patch(BASE + "/{transfer_id}")
async def tus_append(transfer_id: str, request: Request, settings: SettingsDep) -> Response:
    try:
        _check_version(request)
        if request.headers.get("content-type") != "application/offset+octet-stream":
            return Response(status_code=415, headers=_headers())
        offset = request.headers.get("upload-offset", "")
        if not offset.isdigit():
            raise UploadRefused(msg("Upload-Offset must be a number"))
        appender = tus.Appender(Path(settings.uploads.spool_dir), transfer_id, int(offset))
        try:
            async for chunk in request.stream():
                appender.write(chunk)
        finally:  # a dropped connection keeps what arrived: the client resumes from there
            appender.close()
    except UploadRefused as e:
        return _refused(request, e)
    return Response(status_code=204, headers=_headers(**{"Upload-Offset": str(appender.offset)}))


@router.delete(BASE + "/{transfer_id}")
def tus_terminate(transfer_id: str, request: Request, settings: SettingsDep) -> Response:
    try:
        _check_version(request)
        tus.get(Path(settings.uploads.spool_dir), transfer_id)
    except UploadRefused as e:
        return _refused(request, e)
    tus.remove(Path(settings.uploads.spool_dir), transfer_id)
    return Response(status_code=204, headers=_headers())
