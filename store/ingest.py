"""The ingest path: raw records -> normalize -> batched idempotent upsert.

Collectors, ``cqf import``, the watch folder and the scheduler all feed
records through ``ingest_records``.  Posts are committed in batches; a
record's ``cursor_after`` is saved in the same transaction as the last posts
before it, so a cursor never runs ahead of what is stored.

Nothing good is lost to one bad row: a record that cannot be normalized is one
bad row (``normalize_record`` never raises), and a batch the database refuses
(a value PostgreSQL rejects, a constraint) is stored again row by row, so only
the refused rows become bad rows, each naming its file and line.

The counts add up: ``read = new + updated + unchanged + duplicates + bad``, where
``duplicates`` are posts that came more than once in the same run (the later one
is the one stored).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cqfriends.errors import BadInput
from cqfriends.normalize import normalize_record
from cqfriends.normalize.post import NormalizeOptions, Post, RawRecord
from cqfriends.store.db import session_scope
from cqfriends.store.posts import UpsertResult, upsert_posts
from cqfriends.store.sources import save_cursor

log = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 1000  # a summary of a hopeless file should not itself eat memory
MAX_WARNINGS_KEPT = 1000
# Errors of the data in a batch (retry row by row); others (the database is gone,
# locked, out of space) are not any row's fault and end the run.
_ROW_ERRORS = (sa.exc.DataError, sa.exc.IntegrityError, sa.exc.ProgrammingError,
               sa.exc.StatementError, ValueError, TypeError, OverflowError, UnicodeError,
               RecursionError)
_RUN_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.InternalError)


@dataclass
class IngestSummary:
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: int = 0
    duplicates: int = 0  # the same post again in the same file (or run)
    warned: int = 0  # warnings in all; ``warnings`` keeps the first MAX_WARNINGS_KEPT
    errors: list[Exception] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add_error(self, error: Exception) -> None:
        self.bad += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(error)

    def add_warnings(self, warnings: Iterable[str]) -> None:
        for warning in warnings:
            self.warned += 1
            if len(self.warnings) < MAX_WARNINGS_KEPT:
                self.warnings.append(warning)

    def merge(self, part: IngestSummary) -> None:
        """Add the counts of another summary (one file of several) to this one."""
        self.read += part.read
        self.new += part.new
        self.updated += part.updated
        self.unchanged += part.unchanged
        self.bad += part.bad
        self.duplicates += part.duplicates
        self.errors.extend(part.errors[: max(0, MAX_ERRORS_KEPT - len(self.errors))])
        self.warned += part.warned
        self.warnings.extend(part.warnings[: max(0, MAX_WARNINGS_KEPT - len(self.warnings))])

    def line(self) -> str:
        return (f"read {self.read}, new {self.new}, updated {self.updated}, "
                f"unchanged {self.unchanged}, duplicates {self.duplicates}, bad {self.bad}")


@dataclass
class _Pending:
    """Posts waiting for the next commit, with where each came from."""

    posts: list[Post] = field(default_factory=list)
    where: list[tuple[str, int | None]] = field(default_factory=list)

    def add(self, post: Post, record: RawRecord) -> None:
        self.posts.append(post)
        self.where.append((record.origin, record.line))


def ingest_records(
    records: Iterable[RawRecord], *, engine: Engine, options: NormalizeOptions,
    batch_size: int = 500, on_progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    summary = IngestSummary()
    pending = _Pending()
    cursor: tuple[str, dict[str, Any]] | None = None
    seen: set[tuple[str, str]] = set()  # keys stored by earlier batches of this run

    def flush() -> None:
        nonlocal pending, cursor
        _count(summary, pending, _store(engine, pending, cursor, summary), seen)
        if on_progress:
            on_progress(len(pending.posts))
        pending, cursor = _Pending(), None

    try:
        for record in records:
            _take(record, summary, pending, options)
            if record.cursor_after is not None:
                cursor = (record.source, record.cursor_after)
            if len(pending.posts) >= batch_size or cursor is not None:
                flush()
    except BaseException:
        # A collector failed (429 on page 3) or we are being stopped: keep what
        # was fetched, but leave the cursor where it was so nothing is skipped.
        cursor = None
        if pending.posts:
            flush()
        raise
    if pending.posts:
        flush()
    return summary


def _store(engine: Engine, pending: _Pending, cursor: tuple[str, dict[str, Any]] | None,
           summary: IngestSummary) -> tuple[UpsertResult, set[tuple[str, str]]]:
    """Upsert the batch; if the database refuses it, each post alone (refused ones are bad).

    Returns the result and the keys of the refused posts.
    """
    try:
        return _upsert(engine, pending.posts, cursor), set()
    except _RUN_ERRORS:
        raise
    except _ROW_ERRORS as e:
        log.warning("a batch of %d posts was refused (%s); storing them one by one",
                    len(pending.posts), type(e).__name__)
    result, refused = UpsertResult(), set()
    latest = {(p.source, p.source_id): (p, w) for p, w in zip(pending.posts, pending.where,
                                                               strict=True)}
    for key, (post, (origin, line)) in latest.items():
        try:
            result += _upsert(engine, [post], None)
        except _RUN_ERRORS:
            raise
        except _ROW_ERRORS as e:
            refused.add(key)
            summary.add_error(BadInput(f"{post.key}: the database refused it: {_db_reason(e)}",
                                       file=origin, line=line))
    if cursor is not None:  # refused rows are reported, not retried: the cursor may move
        _upsert(engine, [], cursor)
    return result, refused


def _upsert(engine: Engine, posts: list[Post], cursor: tuple[str, dict[str, Any]] | None
            ) -> UpsertResult:
    with session_scope(engine, write=True) as session:
        result = upsert_posts(session=session, posts=posts)
        if cursor is not None:
            save_cursor(session=session, source=cursor[0], cursor=cursor[1])
    return result


def _count(summary: IngestSummary, pending: _Pending, stored: tuple[UpsertResult, set[Any]],
           seen: set[tuple[str, str]]) -> None:
    """new/updated/unchanged per distinct post; a post seen before in the run is a duplicate.

    A refused post is already a bad row; one a concurrent writer stored first is unchanged.
    """
    result, refused = stored
    keys = [(p.source, p.source_id) for p in pending.posts]
    distinct = list(dict.fromkeys(keys))
    summary.duplicates += len(keys) - len(distinct)
    for key in distinct:
        if key in refused:
            continue
        if key in seen:
            summary.duplicates += 1
            continue
        outcome = result.outcomes.get(key, "unchanged")
        if outcome == "new":
            summary.new += 1
        elif outcome == "updated":
            summary.updated += 1
        else:
            summary.unchanged += 1
        seen.add(key)


def _take(record: RawRecord, summary: IngestSummary, pending: _Pending,
          options: NormalizeOptions) -> None:
    """Normalize one record into ``pending``; count what cannot be used."""
    batch = normalize_record(record, options)
    summary.read += len(batch.posts) + len(batch.errors)
    for error in batch.errors:
        summary.add_error(error)
    where = record.origin + (f", line {record.line}" if record.line else "")
    summary.add_warnings(f"{where}: {w}" for w in batch.warnings)
    for post in batch.posts:
        pending.add(post, record)


def _db_reason(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return f"{type(original).__name__}: {str(original).splitlines()[0][:200]}"


def normalize_options(settings: Any) -> NormalizeOptions:
    return NormalizeOptions(tz=settings.campaign.tz,
                            column_aliases=dict(settings.sources.douyin.column_aliases))
