"""``take_upload``: a received file and form -> a checked post in the queue, and its receipt.

1. the file is judged by content (``media.validate``; HEIC through pillow-heif
   when installed), over its kind's limit 413, anything else 415;
2. scanned by clamd when ``uploads.clamd_socket`` is set;
3. cleaned of metadata (``clean``), then stored under its SHA-256 in the
   archive with the display, thumbnail and poster files (``media.derive``);
4. stored as a post (source ``upload``, the section preselected) with archived
   ``media_item`` rows and the ``upload`` row (consent, terms version, contact);
5. put through the same checks as social posts (``run_checks``): duplicates by
   text and by picture (its perceptual hash, against archived social posts and
   other uploads), language, rules; the post lands in the queue.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.i18n.translate import msg
from cqfriends.media.derive import derive_photo, derive_video
from cqfriends.media.storage import MediaStore, derived_key, original_key
from cqfriends.media.validate import Probe, Refused, probe
from cqfriends.moderation.checks.dedup import picture_key
from cqfriends.moderation.checks.runner import run_checks
from cqfriends.normalize.upload import UploadedWork, upload_post
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.uploads import (
    add_upload,
    index_picture_twins,
    participant_of,
    store_upload_post,
)
from cqfriends.uploads.clamd import refuse_infected
from cqfriends.uploads.clean import clean_photo, clean_video
from cqfriends.uploads.errors import NotAccepted, TooLarge
from cqfriends.uploads.form import UploadForm
from cqfriends.uploads.heic import is_heic, open_heic_as_probe

log = logging.getLogger(__name__)
VIDEO_CONTAINERS = ("mov", "mp4")


@dataclass(frozen=True)
class Receipt:
    code: str  # shown once to the participant; only its hash is stored
    upload_id: int
    post_key: str


def receipt_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "replace")).hexdigest()


def terms_version(settings: Settings) -> str:
    terms = settings.uploads.terms
    return hashlib.sha256(f"{terms.en}\n{terms.zh}".encode()).hexdigest()[:12]


def take_upload(*, engine: Engine, settings: Settings, store: MediaStore, form: UploadForm,
                file: Path, client: str, now: datetime) -> Receipt:
    """Archive, store and check one upload; the participant's receipt."""
    found = judge(file, settings)
    refuse_infected(file, settings.uploads.clamd_socket)
    with tempfile.TemporaryDirectory(dir=file.parent, prefix="clean-") as folder:
        clean = Path(folder) / "clean"
        if found.kind == "video":
            clean_video(file, clean, found.container.lower())
        else:
            clean_photo(file, clean)
        media = archive_file(clean, store)
    code = secrets.token_urlsafe(18)
    with session_scope(engine, write=True) as session:
        participant = participant_of(session=session, email=form.email) or \
            "p" + secrets.token_hex(8)
        upload = add_upload(session=session, values={
            "receipt_hash": receipt_hash(code), "participant": participant,
            "section": form.section, "title": form.title, "description": form.description,
            "credit_name": form.credit_name, "country": form.country, "email": form.email,
            "client": client[:64], **{f"consent_{k}": v for k, v in form.consent.items()},
            "terms_version": terms_version(settings), "created_at": now,
            "file_sha256": media["sha256"], "kind": media["kind"]})
        work = UploadedWork(
            id=upload.id or 0, participant=participant, section=form.section,
            title=form.title, description=form.description, credit_name=form.credit_name,
            country=form.country, kind=media["kind"], duration_ms=media["duration_ms"],
            phash=media["phash"], consent=form.consent, terms_version=upload.terms_version,
            received_at=now)
        post = store_upload_post(session=session, upload=upload, post=upload_post(work),
                                 media=media)
        if media["phash"]:
            index_picture_twins(session=session, phash=media["phash"],
                                key=picture_key(media["phash"]))
        receipt = Receipt(code, upload.id or 0, post.key)
    run_checks(engine=engine, settings=settings)
    log.info("upload %s received (%s, %d bytes)", receipt.post_key, media["kind"],
             media["size_bytes"])
    return receipt


def judge(file: Path, settings: Settings) -> Probe:
    """What the file is; 413 over its kind's limit, 415 when we do not take it."""
    size = file.stat().st_size
    with file.open("rb") as body:
        try:
            found = open_heic_as_probe(body) if is_heic(body) else probe(body)
        except Refused as e:
            raise NotAccepted(msg("not a photo or video we can take: %(why)s", why=str(e))) \
                from e
    if found.kind == "gif" or (found.kind == "video" and
                               found.container.lower() not in VIDEO_CONTAINERS):
        raise NotAccepted(msg("photos must be JPEG, PNG, WebP or HEIC; videos MP4 or MOV"))
    limit = settings.uploads.max_video_mb if found.kind == "video" else \
        settings.media.max_photo_mb
    if size > limit * 1e6:
        raise TooLarge(msg("the file is larger than %(mb)s MB", mb=f"{limit:g}"))
    return found


def archive_file(clean: Path, store: MediaStore) -> dict[str, Any]:
    """Store the cleaned file and what is made from it; the ``media_item`` values."""
    sha = hashlib.sha256()
    with clean.open("rb") as body:
        while chunk := body.read(1 << 20):
            sha.update(chunk)
    digest = sha.hexdigest()
    with clean.open("rb") as body:
        found = probe(body)
        derived = (derive_video if found.kind == "video" else derive_photo)(body, found)
        body.seek(0)
        store.put(original_key(digest), body, found.mime)
    files = {}
    for made in derived.files:
        key = derived_key(digest, made.name, made.extension)
        store.put(key, made.data, made.mime)
        files[made.name] = {"key": key, "type": made.mime, "width": made.width,
                            "height": made.height, "bytes": len(made.data)}
    kind = "video" if found.kind == "video" else "photo"
    return {"media_type": kind, "url": "", "url_hash": "", "state": "archived", "attempts": 0,
            "sha256": digest, "kind": kind, "mime": found.mime, "container": found.container,
            "codec": found.codec, "size_bytes": clean.stat().st_size, "width": found.width,
            "height": found.height, "duration_ms": found.duration_ms, "derived": files,
            "phash": derived.phash}
