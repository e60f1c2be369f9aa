"""What the archive holds for posts, in the shape outputs need: ``archived_media``.

For each post key, one ``ArchivedItem`` per entry of ``post.media`` (same order):
its ``state`` (``archived``: the full file; ``preview``: only the queue preview;
``pending``: not fetched yet; ``failed``, with ``reason``; ``removed``) and the
files to show, each an ``ArchivedFile`` with its store key (to copy it into an
export folder: ``open_store(settings).read(key)``), content type, size and
``path`` under the app's ``/media/`` route (``media_url`` makes it absolute with
``web.public_url``).  The original platform link stays ``source_url``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from cqfriends.media.storage import original_key
from cqfriends.store.media import posts_by_key, rows_for_posts
from cqfriends.store.models import MediaItem

ROUTE = "/media"


@dataclass(frozen=True)
class ArchivedFile:
    key: str  # in the store
    mime: str
    width: int | None
    height: int | None
    path: str  # under the app: /media/<sha256>/<name>


@dataclass(frozen=True)
class ArchivedItem:
    position: int
    type: str  # what the post says: photo | video | gif
    state: str  # archived | preview | pending | failed | removed
    display: ArchivedFile | None  # photo at ~1600 px, or a video's poster
    thumb: ArchivedFile | None  # ~480 px WebP
    poster: ArchivedFile | None  # videos: the frame shown before playing
    video: ArchivedFile | None  # videos and animated GIFs: the original file, to play
    width: int | None
    height: int | None
    duration_ms: int | None
    reason: str | None
    source_url: str


def media_path(sha256: str, name: str) -> str:
    return f"{ROUTE}/{sha256}/{name}"


def media_url(path: str, public_url: str | None = None) -> str:
    """``path`` under ``web.public_url`` when it is set; the bare path otherwise."""
    return f"{public_url.rstrip('/')}{path}" if public_url else path


def archived_media(*, session: Session, post_keys: Iterable[str]) -> dict[str, list[ArchivedItem]]:
    """The archived files of each post ``source:source_id`` (unknown keys are left out)."""
    return archived_for_posts(session=session,
                              posts=posts_by_key(session=session, keys=post_keys))


def archived_for_posts(*, session: Session, posts: dict[str, tuple[int, str, list]]
                       ) -> dict[str, list[ArchivedItem]]:
    """Like ``archived_media``, for posts already read: key -> (id, status, media)."""
    rows = rows_for_posts(session=session, post_ids=[pid for pid, _, _ in posts.values()])
    result: dict[str, list[ArchivedItem]] = {}
    for key, (post_id, status, media) in posts.items():
        by_position: dict[int, dict[str, MediaItem]] = {}
        for row in rows.get(post_id, []):
            by_position.setdefault(row.position, {})[row.role] = row
        result[key] = [_item(position, entry if isinstance(entry, dict) else {},
                             by_position.get(position, {}), removed=status == "removed")
                       for position, entry in enumerate(media)]
    return result


def _item(position: int, entry: dict[str, Any], roles: dict[str, MediaItem], *,
          removed: bool) -> ArchivedItem:
    declared = str(entry.get("type") or "photo")
    source_url = str(entry.get("url") or "")
    full, preview = roles.get("full"), roles.get("preview")
    best = next((r for r in (full, preview) if r is not None and r.state == "archived"), None)
    if removed or any(r.state == "removed" for r in roles.values()):
        return _empty(position, declared, "removed", "taken down", source_url)
    if best is None:
        failed = next((r for r in (full, preview) if r is not None and r.state == "failed"), None)
        if failed is not None:
            return _empty(position, declared, "failed", failed.reason, source_url)
        return _empty(position, declared, "pending", None, source_url)
    files = {name: _file(best.sha256 or "", name, info) for name, info in best.derived.items()}
    video = None
    if best.kind in ("video", "gif") and best.sha256:
        video = ArchivedFile(original_key(best.sha256), best.mime or "", best.width,
                             best.height, media_path(best.sha256, "original"))
    poster = files.get("poster")
    full_failed = full is not None and full.state == "failed" and best is not full
    return ArchivedItem(
        position, declared, "archived" if best is full else "preview",
        display=files.get("display") or poster, thumb=files.get("thumb"), poster=poster,
        video=video, width=best.width, height=best.height, duration_ms=best.duration_ms,
        reason=full.reason if full_failed and full else None, source_url=source_url)


def _file(sha256: str, name: str, info: dict[str, Any]) -> ArchivedFile:
    return ArchivedFile(str(info.get("key") or ""), str(info.get("type") or ""),
                        info.get("width"), info.get("height"), media_path(sha256, name))


def _empty(position: int, declared: str, state: str, reason: str | None,
           source_url: str) -> ArchivedItem:
    return ArchivedItem(position, declared, state, None, None, None, None, None, None, None,
                        reason, source_url)


FILE_NAMES = ("original", "display", "thumb", "poster")


def file_for(*, session: Session, sha256: str, name: str, public: bool = False
             ) -> ArchivedFile | None:
    """The archived file ``name`` of the content ``sha256`` (None: not archived, or taken down).

    ``public``: only files outputs show of approved works (derived files, and the original
    only of a video), for the route partner sites read without a login.
    """
    from cqfriends.store.media import served_file

    if name not in FILE_NAMES or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        return None
    row = served_file(session=session, sha256=sha256, approved=public)
    if row is None or (public and name == "original" and row.kind != "video"):
        return None
    if name == "original":
        return ArchivedFile(original_key(sha256), row.mime or "application/octet-stream",
                            row.width, row.height, media_path(sha256, name))
    info = (row.derived or {}).get(name)
    return _file(sha256, name, info) if isinstance(info, dict) and info.get("key") else None
