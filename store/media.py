"""Every query of the media archive (media/): what is due, claims, results, flags, takedowns.

A post's media item (``position`` in ``post.media``) gets its rows when it
becomes due (``plan_due``): ``preview`` while the post is queued (the photo
itself, or a video's cover image) and ``full`` once it is approved, or at once
for Douyin/TikTok, whose signed links die within hours.  ``media.fetch``:
``queued`` plans both, ``approved`` only full files, ``off`` nothing.
Rows move ``due -> fetching -> archived | retry | failed``; ``removed`` after a
takedown.  ``fetching`` is a lease: a crashed run's rows become due again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from cqfriends.store.models import MediaItem, PostRow

MEDIA_MISSING = "media-missing"
FULL_ON_IMPORT = ("douyin", "tiktok")
QUEUED = ("collected", "pending")
LIVE = ("collected", "pending", "approved")
DONE_STATES = ("archived", "failed", "removed", "none")
CHUNK = 500


@dataclass(frozen=True)
class DueItem:
    id: int
    post_id: int
    source: str
    source_id: str
    position: int
    role: str
    media_type: str
    url: str
    attempts: int
    refreshed: bool

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}"


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def wanted(mode: str) -> list[tuple[str, tuple[str, ...], tuple[str, ...] | None]]:
    """(role, post statuses, sources or None for all) that ``media.fetch`` asks for."""
    if mode == "off":
        return []
    found: list[tuple[str, tuple[str, ...], tuple[str, ...] | None]] = [
        ("full", ("approved",), None), ("full", QUEUED, FULL_ON_IMPORT)]
    if mode == "queued":
        found.append(("preview", QUEUED, None))
    return found


def role_url(item: dict[str, Any], role: str) -> str:
    """The link of a post media item for ``role`` ('' when it has none)."""
    url = str(item.get("url") or "")
    if role == "full":
        return url
    preview = str(item.get("preview_url") or "")
    return preview or (url if item.get("type") == "photo" else "")


def plan_due(*, session: Session, mode: str, limit: int = 5000) -> int:
    """Add the rows of post media that became due (at most ``limit`` posts a role).

    Returns how many posts got rows; call again until it returns 0.
    """
    added = 0
    for role, statuses, sources in wanted(mode):
        exists = sa.select(1).where(col(MediaItem.post_id) == col(PostRow.id),
                                    col(MediaItem.role) == role).exists()
        stmt = sa.select(col(PostRow.id), col(PostRow.media)).where(
            col(PostRow.status).in_(statuses), _has_media(session), ~exists)
        if sources:
            stmt = stmt.where(col(PostRow.source).in_(sources))
        rows = session.execute(stmt.order_by(col(PostRow.id)).limit(limit)).all()
        values = [_new_row(post_id, position, role, item if isinstance(item, dict) else {})
                  for post_id, media in rows for position, item in enumerate(media or [])]
        if values:  # every post selected gets rows: it is never selected again
            session.execute(sa.insert(MediaItem), values)
        added += len(rows)
    return added


def _new_row(post_id: int, position: int, role: str, item: dict[str, Any]) -> dict[str, Any]:
    url = role_url(item, role)
    state, reason = "due", None
    if not url:
        state = "none" if role == "preview" else "failed"
        reason = None if role == "preview" else "the platform gave no link to this file"
    kind = str(item.get("type") or "photo")[:8]
    return {"post_id": post_id, "position": position, "role": role, "media_type": kind,
            "url": url, "url_hash": url_hash(url) if url else "", "state": state,
            "attempts": 0, "refreshed": False, "reason": reason, "derived": {}}


def _has_media(session: Session) -> Any:
    length = "jsonb_array_length" if session.get_bind().dialect.name == "postgresql" \
        else "json_array_length"
    return getattr(sa.func, length)(col(PostRow.media)) > 0


def claim_due(*, session: Session, now: datetime, limit: int, lease: timedelta,
              key: str | None = None, status: str | None = None) -> list[DueItem]:
    """Take up to ``limit`` due rows for this run (Douyin/TikTok first, then oldest)."""
    stmt = (sa.select(col(MediaItem.id), col(MediaItem.post_id), col(PostRow.source),
                      col(PostRow.source_id), col(MediaItem.position), col(MediaItem.role),
                      col(MediaItem.media_type), col(MediaItem.url), col(MediaItem.attempts),
                      col(MediaItem.refreshed))
            .join(PostRow, col(PostRow.id) == col(MediaItem.post_id)))
    stmt = _ready(stmt, now, key, status)
    first = sa.case((col(PostRow.source).in_(FULL_ON_IMPORT), 0), else_=1)
    stmt = stmt.order_by(first, col(MediaItem.id)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=MediaItem, skip_locked=True)  # type: ignore[arg-type]
    items = [DueItem(*row) for row in session.execute(stmt).all()]
    if items:
        session.execute(sa.update(MediaItem).where(col(MediaItem.id).in_([i.id for i in items]))
                        .values(state="fetching", claimed_until=now + lease))
    return items


def find_by_url(*, session: Session, url: str) -> MediaItem | None:
    """An archived row fetched from exactly ``url`` (its files can be reused without fetching)."""
    stmt = sa.select(MediaItem).where(col(MediaItem.url_hash) == url_hash(url),
                                      col(MediaItem.url) == url,
                                      col(MediaItem.state) == "archived").limit(1)
    return session.execute(stmt).scalars().first()


def find_by_sha(*, session: Session, sha256: str) -> MediaItem | None:
    """An archived row holding the file ``sha256`` (the oldest)."""
    stmt = sa.select(MediaItem).where(col(MediaItem.sha256) == sha256,
                                      col(MediaItem.state) == "archived"
                                      ).order_by(col(MediaItem.id)).limit(1)
    return session.execute(stmt).scalars().first()


def save_item(*, session: Session, item_id: int, values: dict[str, Any]) -> None:
    session.execute(sa.update(MediaItem).where(col(MediaItem.id) == item_id)
                    .values(claimed_until=None, **values))


def rows_for_posts(*, session: Session, post_ids: Iterable[int]) -> dict[int, list[MediaItem]]:
    found: dict[int, list[MediaItem]] = {}
    ids = sorted(set(post_ids))
    for start in range(0, len(ids), CHUNK):
        stmt = sa.select(MediaItem).where(col(MediaItem.post_id).in_(ids[start:start + CHUNK])
                                          ).order_by(col(MediaItem.post_id),
                                                     col(MediaItem.position))
        for row in session.execute(stmt).scalars():
            found.setdefault(row.post_id, []).append(row)
    return found


def posts_by_key(*, session: Session, keys: Iterable[str]) -> dict[str, tuple[int, str, list]]:
    """(id, status, media) of the posts ``source:source_id``."""
    by_source: dict[str, list[str]] = {}
    for key in set(keys):
        source, _, source_id = key.partition(":")
        by_source.setdefault(source, []).append(source_id)
    found: dict[str, tuple[int, str, list]] = {}
    for source, ids in by_source.items():
        for start in range(0, len(ids), CHUNK):
            stmt = sa.select(col(PostRow.source_id), col(PostRow.id), col(PostRow.status),
                             col(PostRow.media)).where(
                col(PostRow.source) == source, col(PostRow.source_id).in_(ids[start:start + CHUNK]))
            for source_id, pid, status, media in session.execute(stmt):
                found[f"{source}:{source_id}"] = (pid, status, media or [])
    return found


def served_file(*, session: Session, sha256: str, approved: bool = False) -> MediaItem | None:
    """An archived row of ``sha256`` whose post was not taken down (for the /media route);
    ``approved``: only of an approved post (the public route partner sites read)."""
    post_ok = col(PostRow.status) == "approved" if approved else col(PostRow.status) != "removed"
    stmt = (sa.select(MediaItem).join(PostRow, col(PostRow.id) == col(MediaItem.post_id))
            .where(col(MediaItem.sha256) == sha256, col(MediaItem.state) == "archived",
                   post_ok).order_by(col(MediaItem.id)).limit(1))
    return session.execute(stmt).scalars().first()


def sha_in_use(*, session: Session, sha256: str) -> bool:
    """Whether a post that was not taken down still holds the file ``sha256``."""
    return served_file(session=session, sha256=sha256) is not None


def release_post_media(*, session: Session, post_id: int) -> list[str]:
    """Mark a taken-down post's rows removed; the hashes of the files they held."""
    stmt = sa.select(col(MediaItem.sha256)).where(col(MediaItem.post_id) == post_id,
                                                  col(MediaItem.sha256).is_not(None))
    hashes = sorted({sha for (sha,) in session.execute(stmt)})
    session.execute(sa.update(MediaItem).where(col(MediaItem.post_id) == post_id)
                    .values(state="removed", derived={}, claimed_until=None, retry_at=None,
                            reason="taken down"))
    return hashes


def removed_posts_with_media(*, session: Session, limit: int = 500) -> list[int]:
    """Taken-down posts whose rows are not marked removed yet (a takedown's files to sweep)."""
    stmt = (sa.select(col(MediaItem.post_id)).join(PostRow, col(PostRow.id) == col(
        MediaItem.post_id)).where(col(PostRow.status) == "removed",
                                  col(MediaItem.state) != "removed")
            .distinct().limit(limit))
    return [pid for (pid,) in session.execute(stmt)]


def state_counts(*, session: Session) -> dict[tuple[str, str], int]:
    """Rows per (role, state); due rows only of posts still live."""
    stmt = (sa.select(col(MediaItem.role), col(MediaItem.state), sa.func.count())
            .join(PostRow, col(PostRow.id) == col(MediaItem.post_id))
            .where(sa.or_(col(MediaItem.state).not_in(("due", "retry", "fetching")),
                          col(PostRow.status).in_(LIVE)))
            .group_by(col(MediaItem.role), col(MediaItem.state)))
    return {(role, state): int(n) for role, state, n in session.execute(stmt)}


def archived_bytes(*, session: Session) -> tuple[int, int]:
    """(distinct archived files, their bytes): originals only, counted once per hash."""
    inner = (sa.select(col(MediaItem.sha256), sa.func.max(col(MediaItem.size_bytes)).label("b"))
             .where(col(MediaItem.state) == "archived").group_by(col(MediaItem.sha256))
             .subquery())
    n, total = session.execute(sa.select(sa.func.count(), sa.func.sum(inner.c.b))).one()
    return int(n or 0), int(total or 0)


def next_retry_at(*, session: Session) -> datetime | None:
    stmt = sa.select(sa.func.min(col(MediaItem.retry_at))).where(col(MediaItem.state) == "retry")
    return session.execute(stmt).scalar()


def archive_marker(*, session: Session) -> tuple[Any, ...]:
    """Moves when a file is archived, fails or is removed: the exports' cue to copy it."""
    stmt = sa.select(sa.func.max(col(MediaItem.fetched_at)), sa.func.count(),
                     sa.func.sum(sa.case((col(MediaItem.state) == "archived", 1), else_=0)))
    return tuple(session.execute(stmt).one())


def posts_changed_marker(*, session: Session) -> tuple[Any, ...]:
    """Moves when posts arrive or change state: the media job's cue to plan again."""
    stmt = sa.select(sa.func.max(col(PostRow.updated_at)), sa.func.max(col(PostRow.changed_at)),
                     sa.func.max(col(PostRow.checked_at)), sa.func.count())
    return tuple(session.execute(stmt).one())


def update_missing_flag(*, session: Session, post_id: int) -> bool | None:
    """Set or clear the post's ``media-missing`` flag from its rows; True set, False cleared."""
    rows = rows_for_posts(session=session, post_ids=[post_id]).get(post_id, [])
    detail = missing_detail(rows)
    post = session.get(PostRow, post_id)
    if post is None:
        return None
    flags = [f for f in post.flags or [] if f.get("code") != MEDIA_MISSING]
    if detail:
        flags.append({"code": MEDIA_MISSING, "detail": detail})
    if flags == list(post.flags or []):
        return None
    session.execute(sa.update(PostRow).where(col(PostRow.id) == post_id).values(flags=flags))
    return bool(detail)


def missing_detail(rows: list[MediaItem]) -> str:
    """Why a post's media cannot be shown ('' when every item has a copy or may still get one).

    An item is missing when its full file failed (even with its preview archived:
    the work itself cannot be exhibited), or, with no full file planned or archived,
    when its preview failed.
    """
    parts = []
    for position in sorted({r.position for r in rows}):
        roles = {r.role: r for r in rows if r.position == position}
        full, preview = roles.get("full"), roles.get("preview")
        if full is not None and full.state == "failed":
            kept = " (only its preview is archived)" if preview and \
                preview.state == "archived" else ""
            parts.append(f"{full.media_type} {position + 1}: {full.reason}{kept}")
        elif full is None and preview is not None and preview.state == "failed":
            parts.append(f"{preview.media_type} {position + 1}: {preview.reason}")
    return "; ".join(parts)[:500]


def count_due(*, session: Session, now: datetime, key: str | None = None,
              status: str | None = None) -> int:
    """Rows ``claim_due`` would hand out now (for a progress bar)."""
    stmt = (sa.select(sa.func.count()).select_from(MediaItem)
            .join(PostRow, col(PostRow.id) == col(MediaItem.post_id)))
    return int(session.execute(_ready(stmt, now, key, status)).scalar_one())


def _ready(stmt: Any, now: datetime, key: str | None, status: str | None) -> Any:
    """Rows due now: new, a retry whose time came, or a lease a stopped run left behind."""
    ready = sa.or_(col(MediaItem.state) == "due",
                   sa.and_(col(MediaItem.state) == "retry", col(MediaItem.retry_at) <= now),
                   sa.and_(col(MediaItem.state) == "fetching",
                           col(MediaItem.claimed_until) < now))
    stmt = stmt.where(ready, col(PostRow.status).in_([status] if status else LIVE))
    if key:
        source, _, source_id = key.partition(":")
        stmt = stmt.where(col(PostRow.source) == source, col(PostRow.source_id) == source_id)
    return stmt
