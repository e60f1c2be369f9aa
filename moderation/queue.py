"""The daily moderation queue: claimed batches and what each item needs shown.

Moderators open a batch: it claims up to ``moderation.batch_size`` pending
posts for ``moderation.claim_minutes`` (reopening keeps one's own claims and
extends them).  Managers see the same queue read-only, without claiming.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from cqfriends.errors import NotFound
from cqfriends.settings import Settings
from cqfriends.store.audit import post_history
from cqfriends.store.db import session_scope
from cqfriends.store.models import AuditEntry, PostRow, User, utcnow
from cqfriends.store.posts import get_post
from cqfriends.store.queue import (
    QueueFilter,
    author_history,
    claim_posts,
    cluster_members,
    filter_clauses,
    order_by,
    pending_counts_by_day,
    pending_posts,
)

# Why an item carries a flag, in the moderator's words.
FLAG_EXPLANATIONS = {
    "off-topic": "No campaign hashtag or Douyin topic found in the post.",
    "possible-copy": "Text very close to an earlier post by another author (linked).",
    "duplicate-media": "Same photo or video as an earlier post by another author.",
    "cross-post": "The same work by the same author on several platforms.",
    "repost": "A repost or share of someone else's post.",
    "needs-translation": "Not in a language the moderators review.",
    "language-uncertain": "The language could not be told reliably.",
    "suspect-word": "Contains words to double-check (highlighted).",
    "banned-word": "Contains a banned word.",
    "blocked-author": "The author is on the block list.",
    "allowed-author": "The author is on the allow list.",
    "author-flood": "The author posted more than the daily limit.",
    "link-only": "The post is little more than a link.",
    "spam-hashtags": "More hashtags than the spam limit.",
    "spam-mentions": "More mentions than the spam limit.",
    "too-short": "The text is too short to judge.",
    "media-missing": "The photo or video could not be archived (the link expired or the file "
                     "was refused); outputs show a placeholder.",
}


@dataclass
class QueueItem:
    post: PostRow
    history: dict[str, int] = field(default_factory=dict)
    cluster: list[PostRow] = field(default_factory=list)
    suspect_words: list[str] = field(default_factory=list)


@dataclass
class QueueView:
    items: list[QueueItem]
    day_counts: list[tuple[date, int]]
    total_pending: int
    older_pending: int  # pending posts older than the listed days
    read_only: bool
    today: date


def claim_batch(*, engine: Engine, settings: Settings, user: str, n: int | None = None,
                where: QueueFilter | None = None) -> list[PostRow]:
    """Claim up to ``n`` pending posts for ``user``; concurrent callers get disjoint posts."""
    where = where or QueueFilter()
    now = utcnow()
    until = now + timedelta(minutes=settings.moderation.claim_minutes)
    with session_scope(engine, write=True) as session:
        clauses = filter_clauses(session, where, settings.campaign.tz)
        return claim_posts(session=session, user=user, n=n or settings.moderation.batch_size,
                           now=now, until=until, clauses=clauses, order=order_by(where))


def queue_view(*, engine: Engine, settings: Settings, user: User,
               where: QueueFilter | None = None) -> QueueView:
    """The page of the queue: a claimed batch (moderators) or a read-only list (others)."""
    where = where or QueueFilter()
    read_only = user.role not in ("moderator", "admin")
    if read_only:
        with session_scope(engine) as session:
            clauses = filter_clauses(session, where, settings.campaign.tz)
            posts = pending_posts(session=session, clauses=clauses, order=order_by(where),
                                  limit=settings.moderation.batch_size)
    else:
        posts = claim_batch(engine=engine, settings=settings, user=user.username, where=where)
    tz = settings.campaign.tz
    counts, older = day_counts(engine=engine, settings=settings)
    with session_scope(engine) as session:
        items = describe_items(session, posts, settings)
    return QueueView(items=items, day_counts=sorted(counts.items(), reverse=True),
                     total_pending=sum(counts.values()) + older, older_pending=older,
                     read_only=read_only,
                     today=datetime.now(tz).date())


# (database URL, time zone) -> (valid until, counts per day, older): the only part of the
# page whose cost grows with the number of pending posts is recounted at most every
# moderation.counts_seconds, and at once after a decision made in this process.
_counts: dict[tuple[str, str], tuple[float, dict[date, int], int]] = {}


def day_counts(*, engine: Engine, settings: Settings) -> tuple[dict[date, int], int]:
    key = (str(engine.url), settings.campaign.timezone)
    ttl = settings.moderation.counts_seconds
    cached = _counts.get(key)
    if ttl and cached and cached[0] > time.monotonic():
        return cached[1], cached[2]
    with session_scope(engine) as session:
        counts, older = pending_counts_by_day(session=session, tz=settings.campaign.tz)
    if ttl:
        _counts[key] = (time.monotonic() + ttl, counts, older)
    return counts, older


def forget_counts(engine: Engine) -> None:
    for key in [k for k in _counts if k[0] == str(engine.url)]:
        _counts.pop(key, None)


def describe_items(session: Session, posts: list[PostRow], settings: Settings) -> list[QueueItem]:
    """Author history, cluster members and suspect words for each post."""
    history = author_history(session=session, authors=[(p.source, p.author_id) for p in posts])
    canonicals = {p.key: p.duplicate_of or p.key for p in posts}
    clusters = cluster_members(session=session, canonical_keys=list(canonicals.values()))
    words = settings.rules.suspect_words
    items = []
    for post in posts:
        members = [m for m in clusters.get(canonicals[post.key], []) if m.id != post.id]
        items.append(QueueItem(post=post, history=history.get((post.source, post.author_id), {}),
                               cluster=members, suspect_words=suspect_words_of(post, words)))
    return items


def suspect_words_of(post: PostRow, configured: list[str]) -> list[str]:
    """Configured suspect words plus the ones the checks named in their flags."""
    words = set(configured)
    for flag in post.flags or []:
        if flag.get("code") in ("suspect-word", "banned-word"):
            words.update(w.strip() for w in str(flag.get("detail", "")).split(",") if w.strip())
    return sorted(words, key=len, reverse=True)


def post_with_history(*, engine: Engine, key: str) -> tuple[PostRow, list[AuditEntry]]:
    """The post ``key`` and every audit entry about it, oldest first."""
    with session_scope(engine) as session:
        post = get_post(session=session, key=key)
        if post is None:
            raise NotFound(f"no post {key}")
        return post, post_history(session=session, post_id=post.id or 0)
