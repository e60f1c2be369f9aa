"""Queries of the scheduler's housekeeping jobs: claims, metrics refresh, exports, vacuum."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from cqfriends.store.models import PostRow, utcnow

log = logging.getLogger(__name__)


def expire_claims(*, session: Session, now: datetime | None = None) -> int:
    """Release queue claims whose time is up; returns how many."""
    until = col(PostRow.claimed_until)
    stmt = (sa.update(PostRow).where(until.is_not(None), until < (now or utcnow()))
            .values(claimed_by=None, claimed_until=None))
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def recent_source_ids(*, session: Session, sources: tuple[str, ...], since: datetime
                      ) -> list[tuple[str, str]]:
    """(source, source_id) of posts created after ``since`` and not taken down."""
    stmt = (sa.select(col(PostRow.source), col(PostRow.source_id))
            .where(col(PostRow.source).in_(sources), col(PostRow.created_at) >= since,
                   col(PostRow.status) != "removed")
            .order_by(col(PostRow.id)))
    return [(s, i) for s, i in session.execute(stmt).all()]


def last_change_at(*, session: Session) -> datetime | None:
    """When a post last changed in a way exports mirror (new post or moderation)."""
    return session.execute(sa.select(sa.func.max(col(PostRow.changed_at)))).scalar()


def count_by_status(*, session: Session) -> dict[str, int]:
    stmt = sa.select(col(PostRow.status), sa.func.count()).group_by(col(PostRow.status))
    return {status: int(n) for status, n in session.execute(stmt).all()}


def count_unchecked_since(*, session: Session, before: datetime) -> int:
    """Posts collected before ``before`` and still not checked (status ``collected``)."""
    stmt = sa.select(sa.func.count()).select_from(PostRow).where(
        col(PostRow.status) == "collected", col(PostRow.collected_at) < before)
    return int(session.execute(stmt).scalar_one())


def vacuum_analyze(engine: Engine) -> None:
    """Refresh planner statistics; on PostgreSQL also reclaim dead rows."""
    if engine.dialect.name == "sqlite":  # a full VACUUM rewrites the file: not worth it daily
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("PRAGMA optimize")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    log.info("vacuum/analyze done")
