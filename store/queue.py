"""Queries of the moderation queue: claiming, filtering, day counts, item context.

Claiming is one statement per backend so two moderators never get the same
post: PostgreSQL locks the chosen rows with ``FOR UPDATE SKIP LOCKED`` (a
concurrent claim skips them instead of waiting), SQLite runs one
``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING`` under the write lock
that ``BEGIN IMMEDIATE`` takes.  Claims expire by themselves: a claim whose
``claimed_until`` has passed is free again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cqfriends.store.models import POST_STATUSES, PostRow

ENGAGEMENT = col(PostRow.likes) + col(PostRow.comments) + col(PostRow.shares)


@dataclass(frozen=True)
class QueueFilter:
    source: str | None = None
    lang: str | None = None
    flag: str | None = None
    section: str | None = None
    author: str | None = None  # author id, @handle or name
    day: date | None = None  # in the campaign time zone
    order: str = "oldest"  # oldest | engagement


def filter_clauses(session: Session, f: QueueFilter, tz: ZoneInfo) -> list[Any]:
    clauses: list[Any] = []
    if f.source:
        clauses.append(PostRow.source == f.source)
    if f.lang:
        clauses.append(PostRow.lang == f.lang)
    if f.section:
        clauses.append(PostRow.section == f.section)
    if f.author:
        who = f.author.lstrip("@")
        clauses.append(sa.or_(col(PostRow.author_id) == who, col(PostRow.author_handle) == who,
                              col(PostRow.author_name) == f.author))
    if f.day:
        start = datetime.combine(f.day, datetime.min.time(), tz)
        clauses += [PostRow.created_at >= start, PostRow.created_at < start + timedelta(days=1)]
    if f.flag:
        clauses.append(_has_flag(session, f.flag))
    return clauses


def _has_flag(session: Session, code: str) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        # the mapped attribute proxies its column's .type, which Mapped[...] does not declare
        flags = cast("sa.ColumnElement[Any]", PostRow.flags)
        return flags.op("@>")(sa.cast([{"code": code}], flags.type))
    each = sa.func.json_each(PostRow.flags).table_valued("value").alias("f")
    return sa.exists(select(sa.literal(1)).select_from(each).where(
        sa.func.json_extract(each.c.value, "$.code") == code))


def order_by(f: QueueFilter) -> list[Any]:
    if f.order == "engagement":
        return [ENGAGEMENT.desc(), col(PostRow.id).desc()]  # one direction: the index serves it
    return [PostRow.created_at, PostRow.id]


def claim_posts(*, session: Session, user: str, n: int, now: datetime, until: datetime,
                clauses: Sequence[Any] = (), order: Sequence[Any] = ()) -> list[PostRow]:
    """Claim up to ``n`` pending posts for ``user`` (free ones, or ones the user holds)."""
    free = sa.or_(col(PostRow.claimed_by).is_(None), col(PostRow.claimed_until) < now,
                  col(PostRow.claimed_by) == user)
    pick = (select(PostRow.id).where(PostRow.status == "pending", free, *clauses)
            .order_by(*(order or [PostRow.created_at, PostRow.id])).limit(n))
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True, of=PostRow)
        ids = list(session.exec(pick).all())
        if not ids:
            return []
        target = col(PostRow.id).in_(ids)
    else:
        target = col(PostRow.id).in_(pick.scalar_subquery())
    stmt = (sa.update(PostRow).where(target).values(claimed_by=user, claimed_until=until)
            .returning(col(PostRow.id)))
    claimed = [row[0] for row in session.execute(stmt)]
    if not claimed:
        return []
    session.expire_all()  # the UPDATE bypassed the identity map
    rows = session.exec(select(PostRow).where(col(PostRow.id).in_(claimed))
                        .order_by(*(order or [PostRow.created_at, PostRow.id]))).all()
    return list(rows)


def claimed_by(*, session: Session, user: str, now: datetime, clauses: Sequence[Any] = (),
               order: Sequence[Any] = (), limit: int = 200) -> list[PostRow]:
    """Posts ``user`` holds a live claim on."""
    query = (select(PostRow).where(PostRow.status == "pending", PostRow.claimed_by == user,
                                   col(PostRow.claimed_until) >= now, *clauses)
             .order_by(*(order or [PostRow.created_at, PostRow.id])).limit(limit))
    return list(session.exec(query).all())


def pending_posts(*, session: Session, clauses: Sequence[Any] = (), order: Sequence[Any] = (),
                  limit: int = 50) -> list[PostRow]:
    """Pending posts without claiming them (the read-only view of managers)."""
    query = (select(PostRow).where(PostRow.status == "pending", *clauses)
             .order_by(*(order or [PostRow.created_at, PostRow.id])).limit(limit))
    return list(session.exec(query).all())


def release_claims(*, session: Session, user: str, keys: Sequence[str] = ()) -> int:
    """Drop ``user``'s claims (on ``keys`` only, if given)."""
    stmt = sa.update(PostRow).where(col(PostRow.claimed_by) == user)
    if keys:
        stmt = stmt.where(sa.or_(*(sa.and_(col(PostRow.source) == k.partition(":")[0],
                                           col(PostRow.source_id) == k.partition(":")[2])
                                   for k in keys)))
    # an UPDATE's result is a CursorResult; Session.execute is typed as the plain Result
    result = cast("sa.CursorResult[Any]",
                  session.execute(stmt.values(claimed_by=None, claimed_until=None)))
    return result.rowcount or 0


def pending_counts_by_day(*, session: Session, tz: ZoneInfo, max_days: int = 62) -> tuple[
        dict[date, int], int]:
    """Pending posts per day of the campaign time zone, and how many are older than that.

    Days run from the oldest pending post (at most ``max_days`` back from the newest).
    Each day is one index range count on (status, created_at): no per-row date
    function, the same on both backends, and right across DST changes.
    """
    pending = PostRow.status == "pending"
    ends = [session.exec(select(PostRow.created_at).where(pending).order_by(o).limit(1)).first()
            for o in (col(PostRow.created_at), col(PostRow.created_at).desc())]
    if ends[0] is None or ends[1] is None:
        return {}, 0
    last = ends[1].astimezone(tz).date()
    first = max(ends[0].astimezone(tz).date(), last - timedelta(days=max_days - 1))
    days = [first + timedelta(days=i) for i in range((last - first).days + 2)]
    starts = [datetime.combine(d, datetime.min.time(), tz) for d in days]
    count = select(sa.func.count()).select_from(PostRow).where(pending)
    counts = {}
    for day, start, end in zip(days, starts, starts[1:], strict=False):
        n = session.exec(count.where(PostRow.created_at >= start, PostRow.created_at < end)).one()
        if n:
            counts[day] = n
    older = session.exec(count.where(PostRow.created_at < starts[0])).one()
    return counts, older


def author_history(*, session: Session, authors: Sequence[tuple[str, str]]) -> dict[
        tuple[str, str], dict[str, int]]:
    """Per (source, author_id): how many posts are approved, rejected, pending ... so far."""
    wanted = set(authors)
    if not wanted:
        return {}
    # Two plain IN lists use the (source, author_id) index on both backends; a
    # row-value IN does not on SQLite.  Extra pairs are dropped below.
    query = (select(PostRow.source, PostRow.author_id, PostRow.status, sa.func.count())
             .where(col(PostRow.source).in_({s for s, _ in wanted}),
                    col(PostRow.author_id).in_({a for _, a in wanted}))
             .group_by(PostRow.source, PostRow.author_id, PostRow.status))
    history: dict[tuple[str, str], dict[str, int]] = {}
    for source, author_id, status, n in session.exec(query).all():
        if (source, author_id) in wanted:
            history.setdefault((source, author_id), {})[status] = n
    return history


def cluster_members(*, session: Session, canonical_keys: Sequence[str]) -> dict[str, list[PostRow]]:
    """Posts folded into each canonical key (cross-posts), and the canonicals themselves."""
    keys = set(canonical_keys)
    if not keys:
        return {}
    pairs = {tuple(k.split(":", 1)) for k in keys if ":" in k}
    folded = select(PostRow).where(col(PostRow.duplicate_of).in_(keys)).limit(50 * len(keys))
    canonicals = select(PostRow).where(col(PostRow.source).in_({s for s, _ in pairs}),
                                       col(PostRow.source_id).in_({i for _, i in pairs}))
    clusters: dict[str, list[PostRow]] = {k: [] for k in keys}
    for row in [*session.exec(folded).all(), *session.exec(canonicals).all()]:
        canonical = row.duplicate_of or row.key
        if canonical in clusters and row not in clusters[canonical]:
            clusters[canonical].append(row)
    return clusters


def lock_post(*, session: Session, key: str) -> PostRow | None:
    """The post, locked for a decision until the transaction ends."""
    source, _, source_id = key.partition(":")
    query = select(PostRow).where(PostRow.source == source, PostRow.source_id == source_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=PostRow)
    return session.exec(query).first()


def count_status(*, session: Session, status: str | None, clauses: Sequence[Any] = ()) -> int:
    """Posts in ``status`` (any: None) matching ``clauses``: one range of the (status, ...)
    indexes."""
    query = select(sa.func.count()).select_from(PostRow).where(*clauses)
    if status is not None:
        query = query.where(PostRow.status == status)
    return int(session.exec(query).one())


def count_by_status(*, session: Session, clauses: Sequence[Any] = ()) -> dict[str, int]:
    """Posts per status matching ``clauses`` (the filters of the queue page).

    One index range count per status: several times cheaper than a GROUP BY over
    the table, which reads every row.
    """
    return {status: count_status(session=session, status=status, clauses=clauses)
            for status in POST_STATUSES}


def count_claimed_by_others(*, session: Session, user: str, now: datetime,
                            clauses: Sequence[Any] = ()) -> int:
    """Pending posts matching ``clauses`` that someone else holds a live claim on."""
    query = select(sa.func.count()).select_from(PostRow).where(
        PostRow.status == "pending", col(PostRow.claimed_by).is_not(None),
        col(PostRow.claimed_by) != user, col(PostRow.claimed_until) >= now, *clauses)
    return int(session.exec(query).one())


def decided_posts(*, session: Session, statuses: Sequence[str], clauses: Sequence[Any] = (),
                  engagement: bool = False, limit: int = 20, offset: int = 0) -> list[PostRow]:
    """Posts in ``statuses`` (all when empty), latest decisions first (or by engagement)."""
    query = select(PostRow).where(*clauses)
    if statuses:
        query = query.where(col(PostRow.status).in_(statuses))
    order: list[Any] = [ENGAGEMENT.desc(), col(PostRow.id).desc()]
    if not engagement:
        order = [col(PostRow.decided_at).desc().nulls_last(), col(PostRow.id).desc()]
    return list(session.exec(query.order_by(*order).offset(offset).limit(limit)).all())
