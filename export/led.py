"""The LED channel: a playlist of featured works and the full-screen signage page."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.export.copies import (
    FOLDER,
    Copier,
    Link,
    folder_path,
    media_view,
    playable,
    with_copies,
)
from cqfriends.export.present import PLATFORMS, cut
from cqfriends.export.templating import STATIC, font_files, render
from cqfriends.i18n.translate import gettext
from cqfriends.media.archived import ArchivedFile, ArchivedItem
from cqfriends.media.storage import open_store
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.exports import ExportedPost, PostFilter, consented_authors, iter_approved

PLAYLIST = "playlist.json"
SIGNAGE = "index.html"
ASSETS = ("signage.js", "signage.css")  # beside the page in assets/, with the fonts


def led_item(row: ExportedPost, items: list[ArchivedItem], settings: Settings, link: Link,
             locale: str = "en") -> dict[str, Any] | None:
    """One playlist entry from our copy of the work's first item that has one, or None when
    none has (not archived yet, failed, taken down): the screens never wait on a link."""
    first = next((i for i in items if led_files(i)), None)
    if first is None:
        return None
    view = media_view(first, link)
    led = settings.export.led
    seconds = led.seconds_per_item  # the shortest a work is shown, whatever it is
    if view["video"] and view["poster"]:
        kind, url, poster = "video", view["video"], view["poster"]
        seconds = max(seconds, math.ceil((first.duration_ms or 0) / 1000))
    elif view["src"] and first.type != "video":
        kind, url, poster = "photo", view["src"], ""
    else:
        return None
    handle = f"@{row.author_handle}" if row.author_handle else row.author_name or "anonymous"
    return {"key": row.key, "type": kind, "url": url, "poster": poster,
            "width": view["width"], "height": view["height"], "duration_s": seconds,
            "caption": cut(row.text or "", led.caption_chars),
            "credit": f"{handle} · {gettext(locale, PLATFORMS.get(row.source, row.source))}"}


def led_files(item: ArchivedItem) -> list[ArchivedFile]:
    """What a screen needs of an item: a photo's display file, or a video and its poster."""
    video = playable(item)
    if item.type == "video":
        return [video, item.poster] if video and item.poster else []
    return [item.display] if item.display else []


def build_playlist(*, engine: Engine, settings: Settings, locale: str | None = None,
                   link: Link = folder_path, copier: Copier | None = None) -> dict[str, Any]:
    """Featured approved works with an archived copy (with recorded consent when the config
    requires it).  ``link`` says where a file is (default: inside the LED folder, which
    ``copier`` fills); credits name the platform in ``locale`` (default ``export.language``).
    """
    locale = locale or settings.export.language
    led = settings.export.led
    items = []
    with session_scope(engine) as session:
        consent = consented_authors(session=session) if led.require_consent else None
        led_only = PostFilter(featured=True, channel="led")  # uploads: with consent_led
        rows = iter_approved(session=session, filters=led_only)
        for row, media in with_copies(session, rows):
            if consent is not None and row.source != "upload" and \
                    (row.source, row.author_id) not in consent:
                continue
            shown = next(([i] for i in media if led_files(i)), [])
            media = copier.keep(shown, led_files) if copier else shown
            if (item := led_item(row, media, settings, link, locale)) is not None:
                items.append(item)
    return {"campaign": settings.campaign.name, "width": led.width, "height": led.height,
            "seconds_per_item": led.seconds_per_item, "items": items}


def render_signage(playlist: dict[str, Any], playlist_url: str = PLAYLIST, *,
                   locale: str = "en", assets: str = "assets/") -> str:
    """The signage page; ``assets`` is where its script, stylesheet and fonts are."""
    return render("signage.html", playlist=playlist, playlist_url=playlist_url, locale=locale,
                  assets=assets)


def write_led(
    *, engine: Engine, settings: Settings, out_dir: Path | str | None = None,
) -> dict[str, Any]:
    """Write playlist.json and the signage page; unchanged files are left alone."""
    out = Path(out_dir or settings.export.led_dir)
    out.mkdir(parents=True, exist_ok=True)
    copier = Copier(open_store(settings), partial(_put_file, out))
    playlist = build_playlist(engine=engine, settings=settings, copier=copier)
    body = json.dumps(playlist, ensure_ascii=False, indent=1).encode("utf-8")
    page = render_signage(playlist, locale=settings.export.language).encode("utf-8")
    (out / "assets" / "fonts").mkdir(parents=True, exist_ok=True)
    files = [*((f"assets/{n}", (STATIC / n).read_bytes()) for n in ASSETS),
             *((f"assets/fonts/{n}", data) for n, data in font_files()),
             (PLAYLIST, body), (SIGNAGE, page)]
    written = [name for name, data in files if _replace_if_changed(out / name, data)]
    kept = {rel for rel, ok in copier.copied.items() if ok}
    removed = _prune_media(out, kept)  # taken-down or unfeatured works' files leave now
    return {"dir": str(out), "items": len(playlist["items"]), "written": written,
            "media_files": len(kept), "media_removed": removed}


def _put_file(out: Path, rel: str, key: str, chunks: Callable[[], Iterable[bytes]]) -> None:
    """Copy one archived file into the folder (once: the same path holds the same bytes)."""
    path = out / rel
    if path.is_file():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            for chunk in chunks():
                handle.write(chunk)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _prune_media(out: Path, kept: set[str]) -> int:
    """Delete files under ``media/`` the playlist no longer names; how many."""
    removed = 0
    for path in sorted((out / FOLDER).rglob("*"), reverse=True):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel not in kept:
            path.unlink()
            removed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return removed


def _replace_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace ``path`` with ``data`` unless it already holds exactly that."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True
