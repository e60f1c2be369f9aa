"""The ingest path: raw records -> normalize -> batched idempotent upsert.

Collectors, ``cqf import``, the watch folder and the scheduler all feed
records through ``ingest_records``.  Posts are committed in batches; a
record's ``cursor_after`` is saved in the same transaction as the last posts
before it, so a cursor never runs ahead of what is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.errors import BadInput, NormalizeError
from cqfriends.normalize import normalize_record
from cqfriends.normalize.post import NormalizeOptions, Post, RawRecord
from cqfriends.store.db import session_scope
from cqfriends.store.posts import UpsertResult, upsert_posts
from cqfriends.store.sources import save_cursor

log = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 1000  # a summary of a hopeless file should not itself eat memory


@dataclass
class IngestSummary:
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: int = 0
    errors: list[Exception] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add_error(self, error: Exception) -> None:
        self.bad += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(error)

    def merge(self, part: IngestSummary) -> None:
        """Add the counts of another summary (one file of several) to this one."""
        self.read += part.read
        self.new += part.new
        self.updated += part.updated
        self.unchanged += part.unchanged
        self.bad += part.bad
        self.errors.extend(part.errors[: max(0, MAX_ERRORS_KEPT - len(self.errors))])
        self.warnings.extend(part.warnings[:100])

    def line(self) -> str:
        return (f"read {self.read}, new {self.new}, updated {self.updated}, "
                f"unchanged {self.unchanged}, bad {self.bad}")


def ingest_records(
    records: Iterable[RawRecord], *, engine: Engine, options: NormalizeOptions,
    batch_size: int = 500, on_progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    summary = IngestSummary()
    pending: list[Post] = []
    cursor: tuple[str, dict[str, Any]] | None = None

    def flush() -> None:
        nonlocal pending, cursor
        with session_scope(engine, write=True) as session:
            result: UpsertResult = upsert_posts(session=session, posts=pending)
            if cursor is not None:
                save_cursor(session=session, source=cursor[0], cursor=cursor[1])
        summary.new += result.new
        summary.updated += result.updated
        summary.unchanged += result.unchanged
        if on_progress:
            on_progress(len(pending))
        pending, cursor = [], None

    try:
        for record in records:
            _take(record, summary, pending, options)
            if record.cursor_after is not None:
                cursor = (record.source, record.cursor_after)
            if len(pending) >= batch_size or cursor is not None:
                flush()
    except BaseException:
        # A collector failed (429 on page 3) or we are being stopped: keep what
        # was fetched, but leave the cursor where it was so nothing is skipped.
        cursor = None
        if pending:
            flush()
        raise
    if pending:
        flush()
    return summary


def _take(
    record: RawRecord, summary: IngestSummary, pending: list[Post], options: NormalizeOptions
) -> None:
    """Normalize one record into ``pending``; count what cannot be used."""
    if record.kind == "bad":
        summary.read += 1
        summary.add_error(record.data)
        return
    try:
        batch = normalize_record(record, options)
    except (NormalizeError, BadInput) as e:
        summary.read += 1
        summary.add_error(e)
        return
    summary.read += len(batch.posts) + len(batch.errors)
    for error in batch.errors:
        summary.add_error(error)
    summary.warnings.extend(batch.warnings[:100])
    pending.extend(batch.posts)


def normalize_options(settings: Any) -> NormalizeOptions:
    return NormalizeOptions(tz=settings.campaign.tz,
                            column_aliases=dict(settings.sources.douyin.column_aliases))
