"""The daily moderation queue: claimed batches, views by status, what each item needs shown.

Moderators open a batch: it claims up to ``moderation.batch_size`` pending
posts for ``moderation.claim_minutes`` (reopening keeps one's own claims and
extends them).  Managers see the same queue read-only, without claiming.  The
Approved, Rejected, Removed and All views list decided posts (latest decision
first) so a decision can be revisited.  Counts honour the page's filters: the
page's own count is counted on every page, the other tabs' like the per-day
counts (at most every ``moderation.counts_seconds``, and at once after a decision
made in this process).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from cqfriends.errors import NotFound
from cqfriends.i18n.translate import N_
from cqfriends.media.archived import ArchivedItem, archived_for_posts
from cqfriends.moderation.checks.clusters import SamePerson, same_person_question
from cqfriends.settings import Settings
from cqfriends.store.audit import post_history
from cqfriends.store.authors import author_key, rules_of_authors
from cqfriends.store.db import session_scope
from cqfriends.store.identity import linked_accounts
from cqfriends.store.models import AuditEntry, PersonAccount, PostRow, User, utcnow
from cqfriends.store.posts import get_post
from cqfriends.store.queue import (
    QueueFilter,
    author_history,
    claim_posts,
    cluster_members,
    count_by_status,
    count_claimed_by_others,
    count_status,
    decided_posts,
    filter_clauses,
    order_by,
    pending_counts_by_day,
    pending_posts,
)

VIEWS = ("pending", "approved", "rejected", "removed", "all")
DECIDED_PAGE = 20

# Why an item carries a flag, in the moderator's words (translated where shown).
FLAG_EXPLANATIONS = {
    "off-topic": N_("No campaign hashtag or Douyin topic found in the post."),
    "possible-copy": N_("Text very close to an earlier post by another author (linked)."),
    "duplicate-media": N_("Same photo or video as an earlier post by another author."),
    "cross-post": N_("The same work by the same author on several platforms."),
    "same-person": N_("The same work by an account with another name on another platform: "
                      "is it the same person?"),
    "repost": N_("A repost or share of someone else's post."),
    "needs-translation": N_("Not in a language the moderators review."),
    "language-uncertain": N_("The language could not be told reliably."),
    "suspect-word": N_("Contains words to double-check (highlighted)."),
    "banned-word": N_("Contains a banned word."),
    "blocked-author": N_("The author is on the block list."),
    "allowed-author": N_("The author is on the allow list."),
    "author-flood": N_("The author posted more than the daily limit."),
    "link-only": N_("The post is little more than a link."),
    "spam-hashtags": N_("More hashtags than the spam limit."),
    "spam-mentions": N_("More mentions than the spam limit."),
    "too-short": N_("The text is too short to judge."),
    "media-missing": N_("The photo or video could not be archived (the link expired or the file "
                        "was refused); outputs show a placeholder."),
}


@dataclass
class QueueItem:
    post: PostRow
    history: dict[str, int] = field(default_factory=dict)
    cluster: list[PostRow] = field(default_factory=list)
    suspect_words: list[str] = field(default_factory=list)
    author_rule: str | None = None  # block | trust, set from the console
    media: list[ArchivedItem] = field(default_factory=list)  # our copies, per post.media item
    question: SamePerson | None = None  # the checks ask "same person?"
    linked: list[PersonAccount] = field(default_factory=list)  # the person's other accounts


@dataclass
class QueueView:
    items: list[QueueItem]
    day_counts: list[tuple[date, int]]
    total_pending: int  # every pending post (the day navigation's counts)
    older_pending: int  # pending posts older than the listed days
    read_only: bool
    today: date
    view: str = "pending"
    counts: dict[str, int] = field(default_factory=dict)  # per view, with the filters, now
    claimed_elsewhere: int = 0  # matching pending posts other moderators hold
    page: int = 0
    more: bool = False  # a decided view has another page

    @property
    def matching(self) -> int:
        return self.counts.get(self.view, 0)


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
               where: QueueFilter | None = None, view: str = "pending",
               page: int = 0) -> QueueView:
    """One page of the console: a claimed batch (moderators) or a read-only list (others)
    of pending posts, or a page of decided posts (``view``), with live counts."""
    where = where or QueueFilter()
    read_only = user.role not in ("moderator", "admin")
    more = False
    if view != "pending":
        with session_scope(engine) as session:
            clauses = filter_clauses(session, where, settings.campaign.tz)
            posts = decided_posts(session=session, statuses=() if view == "all" else (view,),
                                  clauses=clauses, engagement=where.order == "engagement",
                                  limit=DECIDED_PAGE + 1, offset=page * DECIDED_PAGE)
        more, posts = len(posts) > DECIDED_PAGE, posts[:DECIDED_PAGE]
    elif read_only:
        with session_scope(engine) as session:
            clauses = filter_clauses(session, where, settings.campaign.tz)
            posts = pending_posts(session=session, clauses=clauses, order=order_by(where),
                                  limit=settings.moderation.batch_size)
    else:
        posts = claim_batch(engine=engine, settings=settings, user=user.username, where=where)
    days, older = day_counts(engine=engine, settings=settings)
    counts = dict(view_counts(engine=engine, settings=settings, where=where))
    with session_scope(engine) as session:
        clauses = filter_clauses(session, where, settings.campaign.tz)
        counts[view] = count_status(session=session, status=None if view == "all" else view,
                                    clauses=clauses)  # the page's own count: counted now
        elsewhere = 0 if posts else count_claimed_by_others(
            session=session, user=user.username, now=utcnow(), clauses=clauses)
        items = describe_items(session, posts, settings)
    return QueueView(items=items, day_counts=sorted(days.items(), reverse=True),
                     total_pending=sum(days.values()) + older, older_pending=older,
                     read_only=read_only, today=datetime.now(settings.campaign.tz).date(),
                     view=view, counts=counts, claimed_elsewhere=elsewhere, page=page,
                     more=more)


# (database URL, time zone) -> (valid until, counts per day, older): the only part of the
# page whose cost grows with the number of pending posts is recounted at most every
# moderation.counts_seconds, and at once after a decision made in this process.
_counts: dict[tuple[str, str], tuple[float, dict[date, int], int]] = {}


# (database URL, time zone, filter) -> (valid until, counts per view): the tabs' counts,
# recounted like the day counts (the page's own count is counted on every page).
_views: dict[tuple[str, str, QueueFilter], tuple[float, dict[str, int]]] = {}


def view_counts(*, engine: Engine, settings: Settings, where: QueueFilter) -> dict[str, int]:
    key = (str(engine.url), settings.campaign.timezone, where)
    ttl = settings.moderation.counts_seconds
    cached = _views.get(key)
    if ttl and cached and cached[0] > time.monotonic():
        return cached[1]
    with session_scope(engine) as session:
        clauses = filter_clauses(session, where, settings.campaign.tz)
        by_status = count_by_status(session=session, clauses=clauses)
    counts = {v: by_status.get(v, 0) for v in VIEWS if v != "all"}
    counts["all"] = sum(by_status.values())
    if ttl:
        if len(_views) > 1000:
            _views.clear()
        _views[key] = (time.monotonic() + ttl, counts)
    return counts


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
    for view_key in [k for k in _views if k[0] == str(engine.url)]:
        _views.pop(view_key, None)


def describe_items(session: Session, posts: list[PostRow], settings: Settings) -> list[QueueItem]:
    """Author history, cluster members and suspect words for each post."""
    history = author_history(session=session, authors=[(p.source, p.author_id) for p in posts])
    keys = {p.id: (p.source, author_key(p.author_id, p.author_handle)) for p in posts}
    rules = rules_of_authors(session=session, keys=list(keys.values()))
    canonicals = {p.key: p.duplicate_of or p.key for p in posts}
    clusters = cluster_members(session=session, canonical_keys=list(canonicals.values()))
    words = settings.rules.suspect_words
    media = archived_of(session, posts)
    people = linked_accounts(session=session, accounts=keys.values())
    items = []
    for post in posts:
        members = [m for m in clusters.get(canonicals[post.key], []) if m.id != post.id]
        items.append(QueueItem(post=post, history=history.get((post.source, post.author_id), {}),
                               cluster=members, suspect_words=suspect_words_of(post, words),
                               author_rule=rules.get(keys[post.id]),
                               media=media.get(post.key, []),
                               question=same_person_question(post.flags),
                               linked=[a for a in people.get(keys[post.id], [])
                                       if (a.source, a.author_key) != keys[post.id]]))
    return items


def archived_of(session: Session, posts: list[PostRow]) -> dict[str, list[ArchivedItem]]:
    """Our copies of the posts' media (the console never shows a platform's link)."""
    return archived_for_posts(session=session, posts={
        p.key: (p.id or 0, p.status, p.media or []) for p in posts})


def suspect_words_of(post: PostRow, configured: list[str]) -> list[str]:
    """Configured suspect words plus the ones the checks named in their flags."""
    words = set(configured)
    for flag in post.flags or []:
        if flag.get("code") in ("suspect-word", "banned-word"):
            words.update(w.strip() for w in str(flag.get("detail", "")).split(",") if w.strip())
    return sorted(words, key=len, reverse=True)


def post_with_history(*, engine: Engine, key: str
                      ) -> tuple[PostRow, list[AuditEntry], list[ArchivedItem]]:
    """The post ``key``, every audit entry about it (oldest first) and its archived media."""
    with session_scope(engine) as session:
        post = get_post(session=session, key=key)
        if post is None:
            raise NotFound(f"no post {key}")
        return (post, post_history(session=session, post_id=post.id or 0),
                archived_of(session, [post]).get(post.key, []))
