"""/upload: participants send their works (public, no account); the receipt and withdrawal.

The plain form streams to the spool folder (``uploads.receive``); the page's
script sends videos through tus first (``web.routes.tus``) and then posts the
form with the transfer's id instead of the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cqfriends.i18n.translate import msg
from cqfriends.media.storage import open_store
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.models import utcnow
from cqfriends.uploads import abuse, tus
from cqfriends.uploads.errors import Closed, TooLarge, UploadRefused
from cqfriends.uploads.form import read_form
from cqfriends.uploads.intake import take_upload
from cqfriends.uploads.receive import receive_form
from cqfriends.uploads.withdraw import read_receipt, withdraw
from cqfriends.web.deps import SettingsDep
from cqfriends.web.locale import request_locale
from cqfriends.web.security import check_csrf, secret_key
from cqfriends.web.templating import render, tr

router = APIRouter(tags=["uploads"], include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
FORM_SLACK = 256 * 1024  # the text fields and multipart framing around the file


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


def form_page(request: Request, settings: Settings, *, chosen: dict[str, Any] | None = None,
              error: str | None = None, status: int = 200) -> HTMLResponse:
    opts = settings.uploads
    terms = opts.terms.zh if request_locale(request) == "zh-Hans" else opts.terms.en
    context = {
        "enabled": opts.enabled, "sections": settings.campaign.sections, "terms": terms,
        "chosen": {"section": request.query_params.get("section", ""), **(chosen or {})},
        "error": error, "challenge": abuse.make_challenge(secret_key(request)),
        "pow_bits": abuse.BITS if opts.proof_of_work else 0,
        "max_photo": f"{settings.media.max_photo_mb:g}", "max_video": f"{opts.max_video_mb:g}",
        "max_plain": f"{opts.max_plain_mb:g}", "max_plain_bytes": int(opts.max_plain_mb * 1e6),
        "max_video_bytes": int(opts.max_video_mb * 1e6)}
    return render(request, "upload/form.html", context, status_code=status, headers=NO_STORE)


@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    return form_page(request, settings)


@router.post("/upload")
async def upload(request: Request, settings: SettingsDep) -> Response:
    fields: dict[str, str] = {}
    file: Path | None = None
    try:
        if not settings.uploads.enabled:
            raise Closed(msg("uploads are closed"))
        limit = int(settings.uploads.max_plain_mb * 1e6)
        if int(request.headers.get("content-length") or 0) > limit + FORM_SLACK:
            raise TooLarge(msg("the file is larger than %(mb)s MB",
                               mb=f"{settings.uploads.max_plain_mb:g}"))
        spool = Path(settings.uploads.spool_dir)
        got = await receive_form(request.stream(), request.headers.get("content-type", ""),
                                 spool=spool, max_file=limit)
        fields, file = got.fields, got.file
        code = await run_in_threadpool(_take, request, settings, fields, file)
    except UploadRefused as e:
        return _refused(request, settings, fields, e)
    finally:
        if file is not None:
            file.unlink(missing_ok=True)
    return RedirectResponse(f"/upload/receipt/{code}?new=1", status_code=303)


def _take(request: Request, settings: Settings, fields: dict[str, str],
          file: Path | None) -> str:
    abuse.check_honeypot(fields)
    form = read_form(fields, settings.campaign.section_ids())
    secret, opts = secret_key(request), settings.uploads
    proof = not opts.proof_of_work or abuse.solved(
        secret, fields.get("pow_challenge", ""), fields.get("pow_nonce", ""))
    engine, client, now = request.app.state.engine, client_of(request), utcnow()
    with session_scope(engine) as session:
        abuse.check_limits(session=session, settings=settings, client=client, now=now,
                           proof=proof)
    if file is None or not file.stat().st_size:
        file = tus.finished_file(Path(opts.spool_dir), fields.get("tus_id", ""))
    receipt = take_upload(engine=engine, settings=settings, store=open_store(settings),
                          form=form, file=file, client=client, now=now)
    tus.forget(Path(opts.spool_dir), fields.get("tus_id", ""))
    return receipt.code


def _refused(request: Request, settings: Settings, fields: dict[str, str],
             error: UploadRefused) -> Response:
    kept = {k: v for k, v in fields.items() if k in (
        "section", "title", "description", "credit_name", "country", "email", "consent_led",
        "consent_feeds")}
    response = form_page(request, settings, chosen=kept, error=tr(request, str(error)),
                         status=error.http_status)
    if retry := getattr(error, "retry_after", 0):
        response.headers["Retry-After"] = str(retry)
    return response


@router.get("/upload/receipt/{code}", response_class=HTMLResponse)
def receipt_page(code: str, request: Request, settings: SettingsDep) -> HTMLResponse:
    view = read_receipt(engine=request.app.state.engine, code=code[:64])
    sections = {s.id: s for s in settings.campaign.sections}
    section = sections.get(view.section or view.upload.section)
    zh = request_locale(request) == "zh-Hans"
    names = {"site": tr(request, "the theme page"), "led": tr(request, "the LED screens"),
             "feeds": tr(request, "partner sites' feeds")}
    channels = [names[c] for c in ("site", "led", "feeds") if getattr(view.upload,
                                                                      f"consent_{c}")]
    context = {"view": view, "code": code, "fresh": request.query_params.get("new") == "1",
               "channels": channels, "work_link": _work_link(view.post_key),
               "section_name": (section.name_zh if zh and section.name_zh else section.name)
               if section else view.upload.section}
    return render(request, "upload/receipt.html", context, headers=NO_STORE)


def _work_link(post_key: str | None) -> str:
    from cqfriends.export.present import work_path

    return f"/site/{work_path(post_key.replace(':', '-'))}" if post_key else ""


@router.post("/upload/receipt/{code}/withdraw")
def withdraw_work(code: str, request: Request, settings: SettingsDep,
                  csrf_token: Annotated[str, Form(max_length=200)] = "",
                  confirm: Annotated[str, Form(max_length=8)] = "") -> Response:
    check_csrf(request, csrf_token)
    if confirm == "yes":
        withdraw(engine=request.app.state.engine, settings=settings, code=code[:64],
                 now=utcnow())
    return RedirectResponse(f"/upload/receipt/{code[:64]}", status_code=303)
