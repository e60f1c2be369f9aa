"""Rows behind the engagement report; aggregation itself is pure (export/reports.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from store.models import MetricSnapshot, PostRow

METRICS = ("likes", "comments", "shares", "views")
# Posts folded into another one are the same work: they are not counted twice.
COUNTED = PostRow.status != "duplicate"


def _in_range(column: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    where = []
    if start is not None:
        where.append(column >= start)
    if end is not None:
        where.append(column < end)
    return where


def iter_report_posts(
    *, session: Session, start: datetime | None = None, end: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """One small mapping per counted post created in [start, end)."""
    cols = [PostRow.id, PostRow.source, PostRow.source_id, PostRow.author_id,
            PostRow.author_handle, PostRow.author_name, PostRow.status, PostRow.lang,
            PostRow.platform_lang, PostRow.created_at, PostRow.collected_at,
            PostRow.decided_at, *(getattr(PostRow, m) for m in METRICS)]
    # First seen = the first metric snapshot (collected_at moves on every re-collection).
    first_seen = (sa.select(sa.func.min(MetricSnapshot.taken_at))
                  .where(MetricSnapshot.post_id == PostRow.id).scalar_subquery())
    cols.append(sa.func.coalesce(first_seen, PostRow.collected_at).label("first_seen"))
    stmt = (sa.select(*cols).where(COUNTED, *_in_range(PostRow.created_at, start, end))
            .execution_options(yield_per=5000))
    for row in session.execute(stmt).mappings():
        yield dict(row)


def iter_metric_growth(
    *, session: Session, start: datetime | None = None, end: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Per snapshot in [start, end): its source and how much each metric grew since the last one."""
    snap = MetricSnapshot
    lagged = sa.select(
        snap.taken_at, snap.post_id,
        *(sa.func.coalesce(getattr(snap, m) - sa.func.lag(getattr(snap, m)).over(
            partition_by=snap.post_id, order_by=(snap.taken_at, snap.id)),
            getattr(snap, m)).label(m) for m in METRICS),
    ).subquery()
    stmt = (sa.select(lagged, PostRow.source).join(PostRow, PostRow.id == lagged.c.post_id)
            .where(COUNTED, *_in_range(lagged.c.taken_at, start, end)))
    for row in session.execute(stmt).mappings():
        yield dict(row)


def load_post_texts(*, session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    stmt = sa.select(PostRow.id, PostRow.source, PostRow.source_id, PostRow.author_handle,
                     PostRow.author_name, PostRow.text, PostRow.url, PostRow.section,
                     *(getattr(PostRow, m) for m in METRICS)).where(
        PostRow.id.in_(ids))  # type: ignore[union-attr]
    return {r.id: dict(r._mapping) for r in session.execute(stmt)}
