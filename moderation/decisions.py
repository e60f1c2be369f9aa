"""Decisions on queued posts: approve, reject, feature, takedown, undo; each one audited.

Every decision runs in one transaction that locks the post (``FOR UPDATE`` on
PostgreSQL, the write lock of ``BEGIN IMMEDIATE`` on SQLite), re-reads it and
refuses with ``Conflict`` when someone else decided it, holds a live claim on
it, or it changed since the moderator saw it (``version``).  Admins may pass
``override`` to decide anyway; the audit log keeps the previous state, so
nothing is ever lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.errors import BadInput, Conflict, CqfError, Forbidden, NotFound
from cqfriends.moderation.queue import forget_counts
from cqfriends.settings import Settings
from cqfriends.store.audit import add_audit_entry, last_decision_by
from cqfriends.store.db import session_scope
from cqfriends.store.models import PostRow, User, utcnow
from cqfriends.store.queue import lock_post, release_claims

log = logging.getLogger(__name__)
ACTIONS = ("approve", "reject", "feature", "unfeature", "takedown")
STATUS_AFTER = {"approve": "approved", "reject": "rejected", "takedown": "removed"}
DECIDERS = ("moderator", "admin")
RESTORED = ("status", "section", "featured", "reason", "decided_by", "decided_at")


@dataclass(frozen=True)
class Decision:
    action: str
    section: str | None = None
    reason: str | None = None
    note: str | None = None
    feature: bool = False
    version: int | None = None  # the version the moderator saw; None: don't check
    override: bool = False


def validate_decision(d: Decision, user: User, settings: Settings) -> None:
    if d.action not in ACTIONS:
        raise BadInput(f"unknown action {d.action!r}; use one of {', '.join(ACTIONS)}")
    if user.role not in DECIDERS:
        raise Forbidden(f"{user.username} is {user.role}: only moderators and admins decide")
    if (d.override or d.action == "takedown") and user.role != "admin":
        raise Forbidden(f"only admins may {'override' if d.override else 'take posts down'}")
    sections = settings.campaign.section_ids()
    if d.action == "approve" and d.section not in sections:
        raise BadInput(f"section {d.section!r}: use one of {', '.join(sections)}")
    reasons = settings.campaign.reject_reasons
    if d.action == "reject" and d.reason not in reasons:
        raise BadInput(f"reason {d.reason!r}: use one of {', '.join(reasons)}")
    if d.action == "takedown" and not (d.reason or "").strip():
        raise BadInput("a takedown needs a reason (e.g. author-request, platform-deleted)")


def decide(*, engine: Engine, settings: Settings, key: str, decision: Decision,
           user: User) -> PostRow:
    """Apply one decision to the post ``key``; raise Conflict when it raced another."""
    validate_decision(decision, user, settings)
    with session_scope(engine, write=True) as session:
        post = lock_post(session=session, key=key)
        if post is None:
            raise NotFound(f"no post {key}")
        now = utcnow()
        check_decidable(post, decision, user.username, now)
        previous = snapshot(post)
        apply_decision(post, decision, user.username, now)
        session.add(post)
        add_audit_entry(session=session, actor=user.username, action=decision.action, post=post,
                        section=post.section, reason=decision.reason,
                        previous_status=previous["status"], new_status=post.status,
                        detail={"note": decision.note, "version": post.version,
                                "previous": previous, "override": decision.override})
    forget_counts(engine)
    log.info("%s %s %s", user.username, decision.action, key)
    if decision.action == "takedown" and post.id is not None:
        remove_archived_media(engine=engine, settings=settings, post_id=post.id)
    return post


def remove_archived_media(*, engine: Engine, settings: Settings, post_id: int) -> None:
    """A takedown's files leave the archive at once; a failure is swept by the media job."""
    from cqfriends.media.takedown import remove_post_media

    try:
        remove_post_media(engine=engine, settings=settings, post_id=post_id)
    except Exception:  # noqa: BLE001 - the takedown stands; the media job retries the files
        log.exception("takedown of post %d: archived files not removed yet", post_id)


def check_decidable(post: PostRow, d: Decision, username: str, now: datetime) -> None:
    key = post.key
    if d.version is not None and post.version != d.version and not d.override:
        raise Conflict(f"{key} changed since you opened it ({_state(post)}); reload it")
    if d.action in ("approve", "reject") and post.status != "pending" and not d.override:
        raise Conflict(f"{key} is not in the queue: {_state(post)}")
    if d.action in ("feature", "unfeature") and post.status != "approved":
        raise Conflict(f"only approved posts can be featured; {key} is {post.status}")
    if d.action == "takedown" and post.status != "approved" and not d.override:
        raise Conflict(f"only approved posts are taken down; {key} is {post.status}")
    holder = post.claimed_by
    live = post.claimed_until is not None and post.claimed_until >= now
    if holder and holder != username and live and not d.override:
        until = post.claimed_until.strftime("%H:%M UTC") if post.claimed_until else ""
        raise Conflict(f"{key} is claimed by {holder} until {until}")


def apply_decision(post: PostRow, d: Decision, username: str, now: datetime) -> None:
    if d.action in STATUS_AFTER:
        post.status = STATUS_AFTER[d.action]
        post.decided_by, post.decided_at = username, now
        post.reason = d.reason if d.action != "approve" else None
        post.section = d.section if d.action == "approve" else post.section
    if d.action == "approve":
        post.featured = d.feature
    elif d.action in ("feature", "unfeature"):
        post.featured = d.action == "feature"
    elif d.action == "takedown":
        post.featured = False
    post.claimed_by = post.claimed_until = None
    post.version += 1
    post.changed_at = now


def snapshot(post: PostRow) -> dict[str, Any]:
    state = {name: getattr(post, name) for name in RESTORED}
    state["decided_at"] = post.decided_at.isoformat() if post.decided_at else None
    return state


def _state(post: PostRow) -> str:
    if post.decided_by and post.status != "pending":
        when = post.decided_at.strftime("%Y-%m-%d %H:%M UTC") if post.decided_at else ""
        return f"{post.status} by {post.decided_by} {when}".rstrip()
    return post.status


def undo_last(*, engine: Engine, settings: Settings, user: User) -> PostRow:
    """Undo ``user``'s newest decision if nobody changed the post since."""
    with session_scope(engine, write=True) as session:
        entry = last_decision_by(session=session, actor=user.username)
        if entry is None or entry.action == "undo" or not entry.post_key:
            raise NotFound("you have no decision left to undo")
        post = lock_post(session=session, key=entry.post_key)
        if post is None:
            raise NotFound(f"no post {entry.post_key}")
        if post.version != entry.detail.get("version"):
            raise Conflict(f"{post.key} changed after your decision ({_state(post)}); "
                           "it cannot be undone")
        now = utcnow()
        current = snapshot(post)
        restore(post, entry.detail.get("previous") or {}, now)
        if post.status == "pending":  # back into this moderator's batch
            post.claimed_by = user.username
            post.claimed_until = now + timedelta(minutes=settings.moderation.claim_minutes)
        session.add(post)
        add_audit_entry(session=session, actor=user.username, action="undo", post=post,
                        section=post.section, reason=entry.action,
                        previous_status=current["status"], new_status=post.status,
                        detail={"undoes": entry.id, "version": post.version,
                                "previous": current})
    forget_counts(engine)
    log.info("%s undid %s on %s", user.username, entry.action, post.key)
    return post


def restore(post: PostRow, previous: dict[str, Any], now: datetime) -> None:
    post.status = previous.get("status") or "pending"
    post.section = previous.get("section")
    post.featured = bool(previous.get("featured"))
    post.reason = previous.get("reason")
    post.decided_by = previous.get("decided_by")
    at = previous.get("decided_at")
    post.decided_at = datetime.fromisoformat(at) if at else None
    post.version += 1
    post.changed_at = now


def decide_many(*, engine: Engine, settings: Settings, items: list[tuple[str, int | None]],
                decision: Decision, user: User) -> list[tuple[str, str | None]]:
    """Bulk decision: each (key, version) on its own; returns (key, error or None) per item."""
    results: list[tuple[str, str | None]] = []
    for key, version in items:
        one = Decision(**{**decision.__dict__, "version": version})
        try:
            decide(engine=engine, settings=settings, key=key, decision=one, user=user)
            results.append((key, None))
        except CqfError as e:
            results.append((key, str(e)))
    return results


def release(*, engine: Engine, user: User, keys: list[str] | None = None) -> int:
    """Give back ``user``'s claims (all of them, or ``keys``)."""
    with session_scope(engine, write=True) as session:
        return release_claims(session=session, user=user.username, keys=keys or ())
