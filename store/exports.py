"""Queries behind every export: only approved posts (a takedown sets 'removed') leave.

Listings are keyset-paged on ``id`` (stable: a page never repeats or skips a
post that was approved before the listing started); changes are keyset-paged on
``change_seq``, which a database trigger hands out in commit order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from cqfriends.store.models import AuthorConsent, PostRow
from cqfriends.store.uploads import refused_by_consent

EXPORTED_STATUS = "approved"


@dataclass(frozen=True)
class PostFilter:
    section: str | None = None
    source: str | None = None
    featured: bool | None = None
    lang: str | None = None
    since: datetime | None = None  # changed (approved, edited) at or after
    # The output: uploads appear only where their participant agreed (feeds: every API
    # and feed reader; led: the LED playlist).
    channel: str = "feeds"

    def apply(self, stmt):  # type: ignore[no-untyped-def]
        stmt = stmt.where(col(PostRow.status) == EXPORTED_STATUS, refused_by_consent(self.channel))
        if self.section:
            stmt = stmt.where(col(PostRow.section) == self.section)
        if self.source:
            stmt = stmt.where(col(PostRow.source) == self.source)
        if self.featured is not None:
            stmt = stmt.where(col(PostRow.featured).is_(self.featured))
        if self.lang:
            lang = sa.func.coalesce(col(PostRow.lang), col(PostRow.platform_lang))
            stmt = stmt.where(lang == self.lang)
        if self.since:
            stmt = stmt.where(col(PostRow.changed_at) >= self.since)
        return stmt


class ExportRow(SimpleNamespace):
    """A post as exports read it: PostRow's columns (``raw`` left out) and ``key``.

    Plain rows, not ORM objects: several times cheaper for API pages and site builds.
    """

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}"


# A post as exports take it: an ExportRow, or a PostRow (same attribute names).
ExportedPost = ExportRow | PostRow
_COLUMNS = [c for c in PostRow.__table__.c if c.name != "raw"]  # type: ignore[attr-defined]


def _rows():  # type: ignore[no-untyped-def]
    return sa.select(*_COLUMNS)


def _fetch(session: Session, stmt: Any) -> list[ExportRow]:
    # On the session's connection: core rows, without the ORM's per-row bookkeeping.
    return [ExportRow(**row) for row in session.connection().execute(stmt).mappings()]


def page_approved(
    *, session: Session, filters: PostFilter = PostFilter(), after_id: int = 0, limit: int = 50,
) -> list[ExportRow]:
    """One page of approved posts with ``id > after_id``, in id order."""
    stmt = (filters.apply(_rows()).where(col(PostRow.id) > after_id)
            .order_by(col(PostRow.id)).limit(limit))
    return _fetch(session, stmt)


def iter_approved(
    *, session: Session, filters: PostFilter = PostFilter(), batch: int = 2000,
) -> Iterator[ExportRow]:
    """Every approved post matching ``filters``, streamed in id order."""
    after = 0
    while True:
        rows = page_approved(session=session, filters=filters, after_id=after, limit=batch)
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id  # type: ignore[assignment]


VIEW_COLUMNS = ("id", "source", "source_id", "url", "author_name", "author_handle", "author_url",
                "text", "lang", "platform_lang", "media", "created_at", "section", "featured",
                "likes", "comments", "shares", "views")


def iter_approved_rows(*, session: Session, batch: int = 5000) -> Iterator[Any]:
    """Approved posts as light read-only rows (the columns pages show), in id order.

    Several times cheaper than ORM objects for whole-site builds.
    """
    cols = [getattr(PostRow, c) for c in VIEW_COLUMNS]
    after = 0
    while True:
        rows = session.execute(sa.select(*cols).where(
            col(PostRow.status) == EXPORTED_STATUS, col(PostRow.id) > after)
            .order_by(col(PostRow.id)).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id


def list_changes(
    *, session: Session, after_seq: int = 0, since: datetime | None = None, limit: int = 100,
) -> list[ExportRow]:
    """Posts whose exported state changed after sequence ``after_seq``, in sequence order.

    A row whose status is no longer 'approved' is a takedown (or reversal) that
    mirrors must delete.
    """
    stmt = _rows().where(col(PostRow.change_seq).is_not(None),
                         col(PostRow.change_seq) > after_seq, refused_by_consent("feeds"))
    if since is not None:
        stmt = stmt.where(col(PostRow.changed_at) >= since)
    stmt = stmt.order_by(col(PostRow.change_seq)).limit(limit)
    return _fetch(session, stmt)


def current_change_seq(*, session: Session) -> int:
    """The newest committed change number (0 before any approval); one index look-up."""
    value = session.execute(sa.select(sa.func.max(col(PostRow.change_seq)))).scalar()
    return int(value or 0)


def count_approved(*, session: Session, filters: PostFilter = PostFilter()) -> int:
    stmt = filters.apply(sa.select(sa.func.count()).select_from(PostRow))
    return int(session.execute(stmt).scalar_one())


def consented_authors(*, session: Session) -> set[tuple[str, str]]:
    rows = session.execute(sa.select(col(AuthorConsent.source), col(AuthorConsent.author_id)))
    return {(r.source, r.author_id) for r in rows}


def approved_authors(
    *, session: Session, section: str | None = None,
) -> list[tuple[str, str, str, str]]:
    """(source, author_id, handle, name) of every distinct author with an approved work."""
    handle, name = sa.func.max(col(PostRow.author_handle)), sa.func.max(col(PostRow.author_name))
    stmt = (sa.select(col(PostRow.source), col(PostRow.author_id), handle, name)
            .where(col(PostRow.status) == EXPORTED_STATUS, col(PostRow.author_id) != "")
            .group_by(col(PostRow.source), col(PostRow.author_id))
            .order_by(col(PostRow.source), col(PostRow.author_id)))
    if section:
        stmt = stmt.where(col(PostRow.section) == section)
    return [(r[0], r[1], r[2] or "", r[3] or "") for r in session.execute(stmt)]


def latest_approved(*, session: Session, limit: int = 100) -> list[ExportRow]:
    """The ``limit`` most recently approved or edited posts, newest first."""
    stmt = (_rows().where(col(PostRow.status) == EXPORTED_STATUS, refused_by_consent("feeds"))
            .order_by(col(PostRow.changed_at).desc(), col(PostRow.id).desc()).limit(limit))
    return _fetch(session, stmt)
