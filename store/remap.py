"""Stored posts re-mapped from their raw payloads (``cqf renormalize``): the queries.

Only what a normalizer produces is rewritten; moderation state (status, section,
flags, decisions, claims) is never touched.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from cqfriends.store.models import PostRow, utcnow
from cqfriends.store.posts import CONTENT_COLUMNS, METRIC_COLUMNS

# What a re-mapping may change: what a collection refreshes, plus what it never does
# (the post's own time and author id are fixed at first sight, but a mapping fix may
# correct them).
REMAPPED_COLUMNS = (*CONTENT_COLUMNS, *METRIC_COLUMNS, "created_at", "author_id")


def stored_payloads(*, session: Session, source: str | None = None, after_id: int = 0,
                    limit: int = 500) -> list[dict[str, Any]]:
    """One page (by id) of stored posts: id, source, source_id, collected_at and every
    REMAPPED_COLUMNS value, for comparing with a fresh mapping."""
    columns = [PostRow.id, PostRow.source, PostRow.source_id, PostRow.collected_at,
               *(getattr(PostRow, c) for c in REMAPPED_COLUMNS)]
    stmt = sa.select(*columns).where(col(PostRow.id) > after_id).order_by(col(PostRow.id))
    if source:
        stmt = stmt.where(col(PostRow.source) == source)
    return [dict(r) for r in session.execute(stmt.limit(limit)).mappings()]


def update_remapped(*, session: Session, post_id: int, changes: dict[str, Any]) -> None:
    """Write the re-mapped values of one post (the caller passes only what changed)."""
    if set(changes) - set(REMAPPED_COLUMNS):
        raise ValueError(f"not a re-mapped column: {sorted(set(changes) - set(REMAPPED_COLUMNS))}")
    session.execute(sa.update(PostRow).where(col(PostRow.id) == post_id)
                    .values(**changes, updated_at=utcnow()))
