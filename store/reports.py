"""Rows behind the engagement report; aggregation itself is pure (export/reports.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from cqfriends.store.models import MetricSnapshot, PostRow

METRICS = ("likes", "comments", "shares", "views")
# Posts folded into another one are the same work: they are not counted twice.
COUNTED = col(PostRow.status) != "duplicate"


def post_columns(*names: str) -> list[Any]:
    return [col(getattr(PostRow, name)) for name in names]


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
    cols: list[Any] = post_columns(
        "id", "source", "source_id", "author_id", "author_handle", "author_name", "status",
        "lang", "platform_lang", "created_at", "collected_at", "decided_at", *METRICS)
    # First seen = the first metric snapshot (collected_at moves on every re-collection).
    first_seen = (sa.select(sa.func.min(col(MetricSnapshot.taken_at)))
                  .where(col(MetricSnapshot.post_id) == col(PostRow.id)).scalar_subquery())
    cols.append(sa.func.coalesce(first_seen, col(PostRow.collected_at)).label("first_seen"))
    stmt = (sa.select(*cols).where(COUNTED, *_in_range(col(PostRow.created_at), start, end))
            .execution_options(yield_per=5000))
    for row in session.execute(stmt).mappings():
        yield dict(row)


def iter_metric_growth(
    *, session: Session, start: datetime | None = None, end: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Per snapshot in [start, end): its source and how much each metric grew since the last one."""
    snap = MetricSnapshot
    lagged = sa.select(
        col(snap.taken_at), col(snap.post_id),
        *(sa.func.coalesce(col(getattr(snap, m)) - sa.func.lag(col(getattr(snap, m))).over(
            partition_by=col(snap.post_id), order_by=(col(snap.taken_at), col(snap.id))),
            col(getattr(snap, m))).label(m) for m in METRICS),
    ).subquery()
    stmt = (sa.select(lagged, col(PostRow.source))
            .join(PostRow, col(PostRow.id) == lagged.c.post_id)
            .where(COUNTED, *_in_range(lagged.c.taken_at, start, end)))
    for row in session.execute(stmt).mappings():
        yield dict(row)


def load_post_texts(*, session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    stmt = sa.select(*post_columns("id", "source", "source_id", "author_handle", "author_name",
                                   "text", "url", "section", *METRICS)
                     ).where(col(PostRow.id).in_(ids))
    return {r.id: dict(r._mapping) for r in session.execute(stmt)}
