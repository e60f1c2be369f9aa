"""The LED channel: a playlist of featured works and the full-screen signage page."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.export.present import PLATFORMS, cut, safe_media
from cqfriends.export.templating import STATIC, font_files, render
from cqfriends.i18n.translate import gettext
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.exports import ExportedPost, PostFilter, consented_authors, iter_approved

PLAYLIST = "playlist.json"
SIGNAGE = "index.html"
ASSETS = ("signage.js", "signage.css")  # beside the page in assets/, with the fonts


def led_item(row: ExportedPost, settings: Settings, locale: str = "en"
             ) -> dict[str, Any] | None:
    """One playlist entry, or None when the work has nothing showable."""
    media = safe_media(row.media)
    if not media:
        return None
    m = media[0]
    led = settings.export.led
    is_video = m["type"] == "video" and bool(m["url"])
    seconds = led.seconds_per_item
    if is_video and m.get("duration_ms"):
        seconds = max(1, round(m["duration_ms"] / 1000))
    handle = f"@{row.author_handle}" if row.author_handle else row.author_name or "anonymous"
    return {"key": row.key, "type": "video" if is_video else "photo",
            "url": m["url"] or m["preview_url"],
            "preview_url": m["preview_url"], "duration_s": seconds,
            "caption": cut(row.text or "", led.caption_chars),
            "credit": f"{handle} · {gettext(locale, PLATFORMS.get(row.source, row.source))}"}


def build_playlist(*, engine: Engine, settings: Settings, locale: str | None = None
                   ) -> dict[str, Any]:
    """Featured approved works (with recorded consent when the config requires it).

    Credits name the platform in ``locale`` (default: ``export.language``).
    """
    locale = locale or settings.export.language
    led = settings.export.led
    items = []
    with session_scope(engine) as session:
        consent = consented_authors(session=session) if led.require_consent else None
        led_only = PostFilter(featured=True, channel="led")  # uploads: with consent_led
        for row in iter_approved(session=session, filters=led_only):
            if consent is not None and row.source != "upload" and \
                    (row.source, row.author_id) not in consent:
                continue
            if (item := led_item(row, settings, locale)) is not None:
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
    playlist = build_playlist(engine=engine, settings=settings)
    body = json.dumps(playlist, ensure_ascii=False, indent=1).encode("utf-8")
    page = render_signage(playlist, locale=settings.export.language).encode("utf-8")
    (out / "assets" / "fonts").mkdir(parents=True, exist_ok=True)
    files = [*((f"assets/{n}", (STATIC / n).read_bytes()) for n in ASSETS),
             *((f"assets/fonts/{n}", data) for n, data in font_files()),
             (PLAYLIST, body), (SIGNAGE, page)]
    written = [name for name, data in files if _replace_if_changed(out / name, data)]
    return {"dir": str(out), "items": len(playlist["items"]), "written": written}


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
