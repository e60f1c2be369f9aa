"""Every query the checks run: batches of posts, the dedup index, the language cache, results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from cqfriends.store import bulk
from cqfriends.store.models import DedupKey, LangCache, PostRow

CHUNK = 500
POST = PostRow.__table__  # type: ignore[attr-defined]
CHECK_COLUMNS = ("id", "source", "source_id", "author_id", "author_name", "author_handle", "text",
                 "platform_lang", "hashtags", "mentions", "media", "created_at", "is_repost",
                 "repost_of", "status", "duplicate_of", "flags", "decided_by", "lang",
                 "lang_confidence", "reason")
CANDIDATE_COLUMNS = ("id", "source", "source_id", "author_id", "author_name", "author_handle",
                     "text", "created_at", "duplicate_of")  # a stored post as a dedup.Work
WORK_COLUMNS = ("id", "source", "source_id", "author_id", "author_name", "author_handle", "text",
                "created_at", "duplicate_of", "flags", "decided_by", "status")


def prepare_session(*, session: Session) -> None:
    """SQLite: a page cache big enough for the dedup index (128 MiB; the default is 2 MiB)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA cache_size = -131072")


def refresh_statistics(*, session: Session) -> None:
    """PostgreSQL: ANALYZE what the checks query, before checking a bulk import.

    Planned on statistics from before the import (autovacuum may be off, or behind a
    fast import), the per-author counts took bitmap scans of about 60 ms a query; with
    ANALYZE first a 100,000-post import went from 914 to 1,059 posts/s.  ANALYZE
    samples a fixed number of rows, so it costs well under a second.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("ANALYZE post, person_account")


def load_posts(*, session: Session, after_id: int, limit: int, unchecked: bool = True,
               columns: tuple[str, ...] = CHECK_COLUMNS, claim: bool = True
               ) -> list[dict[str, Any]]:
    """The next ``limit`` posts after ``after_id`` (unchecked ones, or all for a recheck).

    ``claim=False`` only looks (a read a batch ahead): on PostgreSQL it locks nothing,
    so the run that checks those posts next is not made to skip them.
    """
    connection = session.connection()
    mark = bulk.placeholder(connection)
    sql = f"SELECT {', '.join(columns)} FROM post WHERE id > {mark}"
    if unchecked:
        sql += " AND checked_at IS NULL"
    sql += f" ORDER BY id LIMIT {mark}"
    if claim and unchecked and connection.dialect.name == "postgresql":
        sql += " FOR UPDATE SKIP LOCKED"  # a concurrent run takes other posts
    return bulk.fetch(connection, POST, sql, (after_id, limit), columns)


def load_works(*, session: Session, ids: Iterable[int],
               columns: tuple[str, ...] = WORK_COLUMNS) -> dict[int, dict[str, Any]]:
    """Stored posts by id, with what duplicate matching needs (``columns``, id first)."""
    found: dict[int, dict[str, Any]] = {}
    ids = sorted(set(ids))
    connection = session.connection()
    size = bulk.chunk_size(connection)
    for start in range(0, len(ids), size):
        where, params = bulk.matching(connection, "id", ids[start:start + size])
        sql = f"SELECT {', '.join(columns)} FROM post WHERE {where}"
        found.update((r["id"], r) for r in bulk.fetch(connection, POST, sql, params, columns))
    return found


def find_keys(*, session: Session, keys: Iterable[str]) -> dict[str, list[int]]:
    """Post ids under each dedup key, earliest first.

    Plain SQL through the driver: a batch asks for tens of thousands of keys, and
    the columns are text and integers that need no conversion.
    """
    found: dict[str, list[int]] = {}
    keys = sorted(set(keys))
    connection = session.connection()
    size = bulk.chunk_size(connection)
    for start in range(0, len(keys), size):
        where, params = bulk.matching(connection, "key", keys[start:start + size])
        rows = connection.exec_driver_sql(
            f"SELECT key, post_id FROM {DedupKey.__tablename__} WHERE {where}", params)
        for key, post_id in rows.fetchall():
            found.setdefault(key, []).append(post_id)
    for ids in found.values():
        ids.sort()
    return found


def add_keys(*, session: Session, rows: Sequence[tuple[str, int]]) -> None:
    """Add index entries in bulk (COPY on PostgreSQL): most of the rows checks write."""
    bulk.insert_rows(session.connection(), DedupKey.__tablename__, ("key", "post_id"), rows)


def find_post_ids(*, session: Session, keys: Iterable[str]) -> dict[str, int]:
    """Ids of stored posts by key ``source:source_id`` (originals of reposts)."""
    by_source: dict[str, list[str]] = {}
    for key in set(keys):
        source, _, source_id = key.partition(":")
        by_source.setdefault(source, []).append(source_id)
    found: dict[str, int] = {}
    for source, ids in by_source.items():
        for start in range(0, len(ids), CHUNK):
            stmt = sa.select(col(PostRow.id), col(PostRow.source_id)).where(
                col(PostRow.source) == source, col(PostRow.source_id).in_(ids[start:start + CHUNK]))
            found.update((f"{source}:{sid}", pid) for pid, sid in session.execute(stmt))
    return found


def get_lang_cache(*, session: Session, hashes: Iterable[str]) -> dict[str, tuple[str, float]]:
    found: dict[str, tuple[str, float]] = {}
    hashes = sorted(set(hashes))
    for start in range(0, len(hashes), CHUNK):
        stmt = sa.select(col(LangCache.text_hash), col(LangCache.lang),
                         col(LangCache.confidence)).where(
            col(LangCache.text_hash).in_(hashes[start:start + CHUNK]))
        found.update((h, (lang, conf)) for h, lang, conf in session.execute(stmt))
    return found


def put_lang_cache(*, session: Session, entries: dict[str, tuple[str, float]]) -> None:
    if not entries:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = [{"text_hash": h, "lang": lang, "confidence": c} for h, (lang, c) in entries.items()]
    session.execute(insert(LangCache).on_conflict_do_nothing(index_elements=["text_hash"]), rows)


def count_author_days(*, session: Session, authors: Iterable[tuple[str, str]], tz: ZoneInfo,
                      since: datetime, until: datetime) -> Counter[tuple[str, str, date]]:
    """Posts per (source, author_id, local day) of these authors between two instants."""
    counts: Counter[tuple[str, str, date]] = Counter()
    by_source: dict[str, list[str]] = {}
    for source, author_id in set(authors):
        by_source.setdefault(source, []).append(author_id)
    for source, ids in by_source.items():
        for start in range(0, len(ids), CHUNK):
            stmt = sa.select(col(PostRow.author_id), col(PostRow.created_at)).where(
                col(PostRow.source) == source, col(PostRow.author_id).in_(ids[start:start + CHUNK]),
                col(PostRow.created_at) >= since - timedelta(days=1),
                col(PostRow.created_at) <= until + timedelta(days=1))
            for author_id, created in session.execute(stmt):
                counts[(source, author_id, created.astimezone(tz).date())] += 1
    return counts


def save_results(*, session: Session, results: Sequence[dict[str, Any]]) -> None:
    """Write check results; each dict has ``id`` plus the columns to set."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in results:
        values = {("_id" if k == "id" else k): v for k, v in row.items()}
        groups.setdefault(tuple(sorted(values)), []).append(values)
    connection = session.connection()
    for columns, rows in groups.items():
        stmt = sa.update(PostRow).where(col(PostRow.id) == sa.bindparam("_id")).values(
            **{c: sa.bindparam(c) for c in columns if c != "_id"})
        bulk.executemany(connection, POST, stmt, rows)


def count_unchecked(*, session: Session, everything: bool = False) -> int:
    """Posts a check run will visit: unchecked ones, plus (``everything``) all the others."""
    stmt = sa.select(sa.func.count()).select_from(PostRow)
    unchecked = session.execute(
        stmt.where(col(PostRow.checked_at).is_(None))).scalar_one()
    return int(unchecked + (session.execute(stmt).scalar_one() if everything else 0))
