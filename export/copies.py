"""Our copies of the works' media, as every output links them (never the platforms' links).

``with_copies`` pairs exported rows with their ``ArchivedItem`` list (looked up in
chunks, so a stream of 100,000 rows costs a query per 500).  ``media_view`` turns
one item into what a template or feed needs, with a ``link`` that says where a
file lives for that output: inside an export folder (``folder_link``: relative
``media/ab/<sha256>/thumb.webp``), under the console's ``/media/`` route, or
under the public route for partner sites (``public_link`` with ``web.public_url``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlmodel import Session

from cqfriends.export.present import safe_url
from cqfriends.media.archived import ArchivedFile, ArchivedItem, archived_for_posts, media_url
from cqfriends.media.storage import MediaStore

log = logging.getLogger(__name__)

FOLDER = "media"  # inside the site and LED folders
PUBLIC = "/media/public"  # the app's route for partner sites: approved works' shown files
PUBLIC_NAMES = ("display", "thumb", "poster", "original")  # original: videos only
CHUNK = 500
EXTENSIONS = {"image/jpeg": "jpg", "image/webp": "webp", "image/png": "png", "image/gif": "gif",
              "video/mp4": "mp4", "video/webm": "webm", "video/quicktime": "mov"}
Link = Callable[[ArchivedFile], str]
Put = Callable[[str, str, Callable[[], Iterable[bytes]]], None]  # (path, store key, chunks)


def with_copies(session: Session, rows: Iterable[Any]) -> Iterator[tuple[Any, list[ArchivedItem]]]:
    """(row, its archived items) for rows with ``id``, ``source``, ``source_id``, ``media``."""
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield from _pair(session, batch)
            batch = []
    if batch:
        yield from _pair(session, batch)


def _pair(session: Session, rows: list[Any]) -> Iterator[tuple[Any, list[ArchivedItem]]]:
    posts = {f"{r.source}:{r.source_id}": (r.id, getattr(r, "status", "approved"), r.media or [])
             for r in rows}
    found = archived_for_posts(session=session, posts=posts)
    for r in rows:
        yield r, found.get(f"{r.source}:{r.source_id}", [])


def sha_and_name(file: ArchivedFile) -> tuple[str, str]:
    """The content hash and file name of ``/media/<sha256>/<name>``."""
    _, _, sha256, name = file.path.split("/", 3)
    return sha256, name


def folder_path(file: ArchivedFile) -> str:
    """Where ``file`` goes inside an export folder (an extension for plain file servers)."""
    sha256, name = sha_and_name(file)
    return f"{FOLDER}/{sha256[:2]}/{sha256}/{name}.{EXTENSIONS.get(file.mime, 'bin')}"


def folder_link(root: str) -> Link:
    return lambda file: root + folder_path(file)


def console_link(file: ArchivedFile) -> str:
    return file.path


def public_path(file: ArchivedFile) -> str:
    sha256, name = sha_and_name(file)
    return f"{PUBLIC}/{sha256}/{name}"


def public_link(public_url: str | None) -> Link:
    """Links for other sites: absolute under ``web.public_url``, else a relative path."""
    return lambda file: media_url(public_path(file), public_url)


def shown_files(item: ArchivedItem) -> list[ArchivedFile]:
    """The files an output shows of ``item`` (what an export folder copies)."""
    return [f for f in (item.display, item.thumb, item.poster, playable(item)) if f is not None]


def playable(item: ArchivedItem) -> ArchivedFile | None:
    """The archived video file of a video item (GIFs are shown by their still)."""
    video = item.video
    return video if item.type == "video" and video and video.mime.startswith("video/") else None


def media_view(item: ArchivedItem, link: Link) -> dict[str, Any]:
    """One media item as outputs show it; ``src`` is '' when no copy can be shown yet."""
    display, thumb, poster, video = item.display, item.thumb, item.poster, playable(item)
    view: dict[str, Any] = {
        "type": item.type, "state": item.state, "reason": item.reason,
        "src": link(display) if display else "", "thumb": link(thumb) if thumb else "",
        "poster": link(poster) if poster else "", "video": link(video) if video else "",
        "video_mime": video.mime if video else "", "width": _dim(display, "width"),
        "height": _dim(display, "height"), "thumb_width": _dim(thumb, "width"),
        "thumb_height": _dim(thumb, "height"), "duration_ms": item.duration_ms,
        "source_url": safe_url(item.source_url)}
    widths = [(link(f), f.width) for f in (thumb, display) if f is not None and f.width]
    view["srcset"] = widths if len(widths) > 1 else []  # (url, width) pairs
    return view


def _dim(file: ArchivedFile | None, name: str) -> int | None:
    return getattr(file, name) if file is not None else None


class Copier:
    """Copies the files outputs show into an export folder, each once per build.

    ``put(path, key, chunks)`` writes one file.  A file the archive cannot give (gone
    from a bucket, a read error) never stops an export: its item is shown as missing.
    """

    def __init__(self, store: MediaStore, put: Put) -> None:
        self.store, self.put = store, put
        self.copied: dict[str, bool] = {}

    def copy(self, file: ArchivedFile) -> bool:
        rel = folder_path(file)
        if rel not in self.copied:
            try:
                self.put(rel, file.key, lambda: self.store.read(file.key))
                self.copied[rel] = True
            except Exception as e:  # noqa: BLE001 - any backend's error: this file only
                log.warning("media %s not copied into the export: %s", file.key, e)
                self.copied[rel] = False
        return self.copied[rel]

    def keep(self, items: list[ArchivedItem],
             needed: Callable[[ArchivedItem], list[ArchivedFile]] = shown_files
             ) -> list[ArchivedItem]:
        """``items`` with their ``needed`` files copied; an item whose files could not be
        copied is shown like one that failed."""
        return [item if all([self.copy(f) for f in needed(item)]) else dataclasses.replace(
            item, state="failed", display=None, thumb=None, poster=None, video=None,
            reason="not in the archive") for item in items]


def feed_media(items: list[ArchivedItem], link: Link) -> list[dict[str, Any]]:
    """Media as feeds and the API give them: ``url`` our copy to show (a photo's display
    file, a video's file), ``preview_url`` its thumbnail or poster ('' while there is no
    copy: ``state`` says why), ``source_url`` the platform's own link."""
    out = []
    for item in items:
        view = media_view(item, link)
        if not (view["src"] or view["source_url"]):
            continue
        url = view["video"] or (view["src"] if item.type != "video" else "")
        mime = view["video_mime"] or (item.display.mime if url and item.display else "")
        out.append({"type": item.type, "url": url, "mime_type": mime,
                    "preview_url": view["poster"] or view["thumb"] or view["src"],
                    "width": view["width"], "height": view["height"],
                    "duration_ms": item.duration_ms, "state": item.state,
                    "source_url": view["source_url"]})
    return out


def public_rows(session: Session, rows: Iterable[Any], public_url: str | None
                ) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    """(row, its ``feed_media``) with links under ``web.public_url`` (relative when unset)."""
    link = public_link(public_url)
    for row, items in with_copies(session, rows):
        yield row, feed_media(items, link)
