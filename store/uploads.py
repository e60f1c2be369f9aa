"""Every query of participants' uploads (uploads/): the row, its post, limits, contact data.

The ``upload`` row holds the consent and the private contact data of one work;
the work itself is a post (source ``upload``) whose files are archived rows of
``media_item``, written here at once (nothing is left to download).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from cqfriends.normalize.post import Post
from cqfriends.store.checks import add_keys, find_keys
from cqfriends.store.models import MediaItem, PostRow, UploadRow
from cqfriends.store.posts import upsert_posts

CONTACT = ("email", "client")


def add_upload(*, session: Session, values: dict[str, Any]) -> UploadRow:
    row = UploadRow(**values)
    session.add(row)
    session.flush()
    return row


def participant_of(*, session: Session, email: str) -> str | None:
    """The author id of earlier uploads with this contact e-mail (one person, one author)."""
    stmt = sa.select(col(UploadRow.participant)).where(
        sa.func.lower(col(UploadRow.email)) == email.strip().lower()).limit(1)
    return session.execute(stmt).scalar()


def store_upload_post(*, session: Session, upload: UploadRow, post: Post,
                      media: dict[str, Any]) -> PostRow:
    """The upload's post (section preselected) and its archived file rows, in one go."""
    upsert_posts(session=session, posts=[post])
    row = session.execute(sa.select(PostRow).where(
        col(PostRow.source) == post.source, col(PostRow.source_id) == post.source_id)
    ).scalar_one()
    row.section = upload.section
    session.add(row)
    for role in ("preview", "full"):
        session.add(MediaItem(post_id=row.id, position=0, role=role, **media))
    upload.post_id = row.id
    session.add(upload)
    session.flush()
    return row


def find_by_receipt(*, session: Session, receipt_hash: str) -> UploadRow | None:
    stmt = sa.select(UploadRow).where(col(UploadRow.receipt_hash) == receipt_hash)
    return session.execute(stmt).scalars().first()


def upload_status(*, session: Session, post_id: int | None) -> tuple[str, str | None, Any]:
    """(post status, section, the post's row) of an upload's post."""
    post = session.get(PostRow, post_id) if post_id else None
    return (post.status, post.section, post) if post else ("collected", None, None)


def count_recent(*, session: Session, since: datetime, client: str | None = None) -> int:
    """Uploads received since ``since`` (from one client address when given)."""
    stmt = sa.select(sa.func.count()).select_from(UploadRow).where(
        col(UploadRow.created_at) >= since)
    if client is not None:
        stmt = stmt.where(col(UploadRow.client) == client)
    return int(session.execute(stmt).scalar_one())


def clear_contact(*, session: Session, upload_id: int, now: datetime) -> None:
    session.execute(sa.update(UploadRow).where(col(UploadRow.id) == upload_id).values(
        email=None, client=None, contact_deleted_at=now))


def clear_all_contacts(*, session: Session, now: datetime) -> int:
    """Delete every upload's contact data (the retention after the campaign ran out)."""
    result = session.execute(sa.update(UploadRow).where(sa.or_(
        col(UploadRow.email).is_not(None), col(UploadRow.client).is_not(None))).values(
        email=None, client=None, contact_deleted_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def contacts_of_posts(*, session: Session, post_ids: Iterable[int]) -> dict[int, UploadRow]:
    """The upload rows (with contact data) of these posts: for admins only."""
    ids = sorted(set(post_ids))
    if not ids:
        return {}
    stmt = sa.select(UploadRow).where(col(UploadRow.post_id).in_(ids))
    return {row.post_id: row for row in session.execute(stmt).scalars() if row.post_id}


def contacts_of_participants(*, session: Session, participants: Iterable[str]) -> dict[str, str]:
    """The latest contact e-mail each participant gave (withdrawn or expired ones are gone)."""
    wanted = sorted(set(participants))
    if not wanted:
        return {}
    stmt = (sa.select(col(UploadRow.participant), col(UploadRow.email))
            .where(col(UploadRow.participant).in_(wanted), col(UploadRow.email).is_not(None))
            .order_by(col(UploadRow.id)))
    return {participant: email for participant, email in session.execute(stmt)}


def index_picture_twins(*, session: Session, phash: str, key: str) -> int:
    """Index archived posts showing the same picture under the dedup key ``key``.

    Social posts' pictures get their perceptual hash only once archived, after
    their checks; this lets the upload's checks find them.  How many were added.
    """
    stmt = sa.select(col(MediaItem.post_id)).where(
        col(MediaItem.phash) == phash, col(MediaItem.state) == "archived").distinct().limit(50)
    post_ids = {pid for (pid,) in session.execute(stmt)}
    known = set(find_keys(session=session, keys=[key]).get(key, []))
    fresh = sorted(post_ids - known)
    if fresh:
        add_keys(session=session, rows=[(key, pid) for pid in fresh])
    return len(fresh)


def refused_by_consent(channel: str) -> Any:
    """A WHERE clause: the post is not an upload whose participant refused ``channel``."""
    column = {"led": UploadRow.consent_led, "feeds": UploadRow.consent_feeds,
              "site": UploadRow.consent_site}[channel]
    refused = sa.select(1).where(col(UploadRow.post_id) == col(PostRow.id),
                                 col(column).is_(False)).exists()
    return ~refused
