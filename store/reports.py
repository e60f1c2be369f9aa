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
    # First seen = when this system stored the post (its collection or import); the
    # page's collected_at is when the platform served it, and moves on every re-collection.
    cols.append(sa.func.coalesce(col(PostRow.stored_at), col(PostRow.collected_at))
                .label("first_seen"))
    stmt = (sa.select(*cols).where(COUNTED, *_in_range(col(PostRow.created_at), start, end))
            .execution_options(yield_per=5000))
    for row in session.execute(stmt).mappings():
        yield dict(row)


def iter_metric_growth(
    *, session: Session, start: datetime | None = None, end: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Per snapshot: its source, the time its growth counts at, and how much each metric
    grew since the post's previous snapshot, for growth counted in [start, end).

    A post's first snapshot holds what it gained before we saw it: that counts on the
    day the post was made (``at``), not on the day it happened to be collected, so an
    import of last month's posts does not show as one day of enormous growth.
    """
    snap = MetricSnapshot
    partition, order = col(snap.post_id), (col(snap.taken_at), col(snap.id))
    lagged = sa.select(
        col(snap.taken_at), col(snap.post_id),
        (sa.func.row_number().over(partition_by=partition, order_by=order) == 1).label("first"),
        *(sa.func.coalesce(col(getattr(snap, m)) - sa.func.lag(col(getattr(snap, m))).over(
            partition_by=partition, order_by=order), col(getattr(snap, m))).label(m)
          for m in METRICS),
    ).subquery()
    at = sa.case((lagged.c.first, col(PostRow.created_at)), else_=lagged.c.taken_at)
    stmt = (sa.select(lagged, col(PostRow.source), col(PostRow.created_at))
            .join(PostRow, col(PostRow.id) == lagged.c.post_id)
            .where(COUNTED, *_in_range(at, start, end)))
    for row in session.execute(stmt).mappings():
        data = dict(row)
        data["at"] = data["created_at"] if data["first"] else data["taken_at"]
        yield data


def load_post_texts(*, session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    stmt = sa.select(*post_columns("id", "source", "source_id", "author_handle", "author_name",
                                   "text", "url", "section", *METRICS)
                     ).where(col(PostRow.id).in_(ids))
    return {r.id: dict(r._mapping) for r in session.execute(stmt)}
