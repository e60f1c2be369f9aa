"""What a post looks like outside the system: safe URLs only, no moderation internals.

Every export (site, feeds, API, LED) builds on ``public_post`` / ``work_view`` so
the "only http(s) URLs, only approved posts" rules live in one place.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from cqfriends.store.exports import ExportedPost
from cqfriends.store.models import PostRow
from cqfriends.store.posts import post_public_dict

PLATFORMS = {"twitter": "X (Twitter)", "facebook": "Facebook", "instagram": "Instagram",
             "douyin": "Douyin", "tiktok": "TikTok"}
# http(s)://host[...]: no whitespace or control characters anywhere, a non-empty host.
_HTTP_URL = re.compile(r"(?i:https?)://[^\x00-\x20\x7f/?#\\@]+(?:@[^\x00-\x20\x7f/?#\\]+)?"
                       r"(?:[/?#][^\x00-\x20\x7f]*)?\Z")
_SLUG = re.compile(r"[^A-Za-z0-9_-]+")
# Internal moderation fields that never leave the system.
_INTERNAL = ("flags", "duplicate_of", "status")


def safe_url(value: str | None) -> str:
    """``value`` if it is an absolute http(s) URL with a host, else ''."""
    if not value:
        return ""
    value = value.strip()
    return value if _HTTP_URL.match(value) else ""


def public_post(row: ExportedPost, media: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON shape of an exported post (``post_public_dict`` with safe URLs); ``media``
    as ``export.copies.feed_media`` gives it (our copies, with the platform's ``source_url``)."""
    data = post_public_dict(cast(PostRow, row))  # same attribute names
    for key in _INTERNAL:
        data.pop(key, None)
    data["url"] = safe_url(data["url"])
    data["author_url"] = safe_url(data["author_url"])
    data["media"] = media
    data["changed_at"] = _iso(row.changed_at)
    return data


def slug_for(row: Any) -> str:
    return f"{row.source}-{_SLUG.sub('_', row.source_id)[:100]}"


def work_path(slug: str) -> str:
    """Where a work page lives: 256 shard folders keep directories small (fast to write)."""
    return f"works/{hashlib.sha1(slug.encode()).hexdigest()[:2]}/{slug}.html"


def cut(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)].rstrip() + "…"


def author_label(row: ExportedPost) -> str:
    if row.author_name and row.author_handle:
        return f"{row.author_name} (@{row.author_handle})"
    if row.author_handle:
        return f"@{row.author_handle}"
    return row.author_name or "anonymous"


def work_view(row: Any, tz: ZoneInfo, media: list[dict[str, Any]]) -> dict[str, Any]:
    """A work as templates show it (autoescaped there; URLs already safe here).

    ``row`` is an ExportRow, a PostRow, or a light row with the same column names;
    ``media`` its items as ``export.copies.media_view`` shows them (our copies).
    """
    local = row.created_at.astimezone(tz) if row.created_at else None
    return {
        "key": f"{row.source}:{row.source_id}", "path": work_path(slug_for(row)),
        "section": row.section,
        "featured": row.featured, "url": safe_url(row.url), "text": row.text or "",
        "caption": cut(row.text or "", 140), "author": author_label(row),
        "author_url": safe_url(row.author_url), "source": row.source,
        "platform": PLATFORMS.get(row.source, row.source), "lang": row.lang or row.platform_lang,
        "date": local.strftime("%Y-%m-%d") if local else "",
        "datetime": local.isoformat() if local else "", "media": media,
        "cover": next((m for m in media if m["src"]), None),
        "metrics": {"likes": row.likes, "comments": row.comments, "shares": row.shares,
                    "views": row.views},
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None
