"""Decisions on posts: approve, reject, feature, takedown, re-section, back to the queue,
reverse, undo; each one audited.

Every decision runs in one transaction that locks the post (``FOR UPDATE`` on
PostgreSQL, the write lock of ``BEGIN IMMEDIATE`` on SQLite), re-reads it and
refuses with ``Conflict`` when someone else decided it, holds a live claim on
it, or it changed since the moderator saw it (``version``).  A decided post is
revisited on purpose: ``resection`` moves an approved work, ``requeue`` sends an
approved or rejected post back to the queue (un-approve), and ``reverse`` with
the version the moderator saw turns a rejection into an approval or the other
way round.  Admins may pass ``override`` to decide anyway; the audit log keeps
the previous state, so nothing is ever lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.errors import BadInput, Conflict, CqfError, Forbidden, NotFound
from cqfriends.i18n.translate import N_, Message, msg
from cqfriends.moderation.queue import forget_counts
from cqfriends.settings import Settings
from cqfriends.store.audit import add_audit_entry, last_decision_by
from cqfriends.store.db import session_scope
from cqfriends.store.models import PostRow, User, utcnow
from cqfriends.store.queue import lock_post, release_claims

log = logging.getLogger(__name__)
ACTIONS = ("approve", "reject", "feature", "unfeature", "takedown", "resection", "requeue")
STATUS_AFTER = {"approve": "approved", "reject": "rejected", "takedown": "removed"}
DECIDERS = ("moderator", "admin")
RESTORED = ("status", "section", "featured", "reason", "decided_by", "decided_at")
WITH_REASON = ("reject", "takedown")  # the only actions whose reason is kept
REVERSIBLE = {"approve": "rejected", "reject": "approved"}  # action -> status it reverses
STATUS_WORDS = {s: N_(s) for s in ("collected", "pending", "approved", "rejected", "duplicate",
                                   "removed")}


@dataclass(frozen=True)
class Decision:
    action: str
    section: str | None = None
    reason: str | None = None
    note: str | None = None
    feature: bool = False
    version: int | None = None  # the version the moderator saw; None: don't check
    override: bool = False
    reverse: bool = False  # approve a rejected post / reject an approved one (needs version)


def validate_decision(d: Decision, user: User, settings: Settings) -> None:
    if d.action not in ACTIONS:
        raise BadInput(msg("unknown action %(action)r; use one of %(actions)s",
                           action=d.action, actions=", ".join(ACTIONS)))
    if user.role not in DECIDERS:
        raise Forbidden(msg("%(name)s is %(role)s: only moderators and admins decide",
                            name=user.username, role=user.role))
    if d.override and user.role != "admin":
        raise Forbidden(msg("only admins may override"))
    if d.action == "takedown" and user.role != "admin":
        raise Forbidden(msg("only admins may take posts down"))
    sections = settings.campaign.section_ids()
    if d.action in ("approve", "resection") and d.section not in sections:
        raise BadInput(msg("section %(section)r: use one of %(sections)s", section=d.section,
                           sections=", ".join(sections)))
    reasons = settings.campaign.reject_reasons
    if d.action == "reject" and d.reason not in reasons:
        raise BadInput(msg("reason %(reason)r: use one of %(reasons)s", reason=d.reason,
                           reasons=", ".join(reasons)))
    if d.action == "takedown" and not (d.reason or "").strip():
        raise BadInput(msg("a takedown needs a reason (e.g. author-request, platform-deleted)"))
    if d.reverse and (d.action not in REVERSIBLE or d.version is None):
        raise BadInput(msg("only approve and reject can reverse a decision, with the "
                           "version of the post you saw"))


def decide(*, engine: Engine, settings: Settings, key: str, decision: Decision,
           user: User) -> PostRow:
    """Apply one decision to the post ``key``; raise Conflict when it raced another."""
    validate_decision(decision, user, settings)
    with session_scope(engine, write=True) as session:
        post = lock_post(session=session, key=key)
        if post is None:
            raise NotFound(msg("no post %(key)s", key=key))
        now = utcnow()
        check_decidable(post, decision, user, now)
        previous = snapshot(post)
        apply_decision(post, decision, user.username, now)
        session.add(post)
        add_audit_entry(session=session, actor=user.username, action=decision.action, post=post,
                        section=post.section,
                        reason=decision.reason if decision.action in WITH_REASON else None,
                        previous_status=previous["status"], new_status=post.status,
                        detail={"note": decision.note, "version": post.version,
                                "previous": previous, "override": decision.override,
                                "reverse": decision.reverse})
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


def check_decidable(post: PostRow, d: Decision, user: User, now: datetime) -> None:
    key = post.key
    if d.version is not None and post.version != d.version and not d.override:
        raise Conflict(msg("%(key)s changed since you opened it (%(state)s); reload it",
                           key=key, state=_state(post)))
    if not (d.override or _allowed_from(post.status, d, user)):
        raise Conflict(_refusal(post, d))
    holder = post.claimed_by
    live = post.claimed_until is not None and post.claimed_until >= now
    if holder and holder != user.username and live and not d.override:
        until = post.claimed_until.strftime("%H:%M UTC") if post.claimed_until else ""
        raise Conflict(msg("%(key)s is claimed by %(holder)s until %(until)s", key=key,
                           holder=holder, until=until))


def _allowed_from(status: str, d: Decision, user: User) -> bool:
    """Whether ``d`` may start from a post in ``status`` (without an override)."""
    if d.action in REVERSIBLE:
        return status == "pending" or (d.reverse and status == REVERSIBLE[d.action])
    if d.action in ("feature", "unfeature", "resection", "takedown"):
        return status == "approved"
    if d.action == "requeue":
        return status in ("approved", "rejected") or (status == "removed"
                                                      and user.role == "admin")
    return False


def _refusal(post: PostRow, d: Decision) -> Message:
    key, status = post.key, STATUS_WORDS.get(post.status, post.status)
    if d.action in REVERSIBLE:
        return msg("%(key)s is not in the queue: %(state)s", key=key, state=_state(post))
    if d.action in ("feature", "unfeature"):
        return msg("only approved posts can be featured; %(key)s is %(status)s", key=key,
                   status=msg(status))
    if d.action == "resection":
        return msg("only approved posts change section; %(key)s is %(status)s", key=key,
                   status=msg(status))
    if d.action == "takedown":
        return msg("only approved posts are taken down; %(key)s is %(status)s", key=key,
                   status=msg(status))
    return msg("%(key)s cannot go back to the queue: it is %(status)s", key=key,
               status=msg(status))


def apply_decision(post: PostRow, d: Decision, username: str, now: datetime) -> None:
    if d.action in STATUS_AFTER:
        post.status = STATUS_AFTER[d.action]
        post.decided_by, post.decided_at = username, now
        post.reason = d.reason if d.action in WITH_REASON else None
        post.section = d.section if d.action == "approve" else post.section
    if d.action == "approve":
        post.featured = d.feature
    elif d.action in ("feature", "unfeature"):
        post.featured = d.action == "feature"
    elif d.action in ("takedown", "reject"):
        post.featured = False
    elif d.action == "resection":
        post.section = d.section
    elif d.action == "requeue":
        post.status, post.section, post.featured, post.reason = "pending", None, False, None
        post.decided_by = post.decided_at = None
    post.claimed_by = post.claimed_until = None
    post.version += 1
    post.changed_at = now


def snapshot(post: PostRow) -> dict[str, Any]:
    state = {name: getattr(post, name) for name in RESTORED}
    state["decided_at"] = post.decided_at.isoformat() if post.decided_at else None
    return state


def _state(post: PostRow) -> str:
    status = msg(STATUS_WORDS.get(post.status, post.status))
    if post.decided_by and post.status != "pending":
        when = post.decided_at.strftime("%Y-%m-%d %H:%M UTC") if post.decided_at else ""
        return msg("%(status)s by %(who)s %(when)s", status=status, who=post.decided_by,
                   when=when)
    return status


def undo_last(*, engine: Engine, settings: Settings, user: User) -> PostRow:
    """Undo ``user``'s newest decision if nobody changed the post since."""
    with session_scope(engine, write=True) as session:
        entry = last_decision_by(session=session, actor=user.username)
        if entry is None or entry.action == "undo" or not entry.post_key:
            raise NotFound(msg("you have no decision left to undo"))
        post = lock_post(session=session, key=entry.post_key)
        if post is None:
            raise NotFound(msg("no post %(key)s", key=entry.post_key))
        if post.version != entry.detail.get("version"):
            raise Conflict(msg("%(key)s changed after your decision (%(state)s); "
                               "it cannot be undone", key=post.key, state=_state(post)))
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
            results.append((key, e.args[0] if e.args else str(e)))
    return results


def release(*, engine: Engine, user: User, keys: list[str] | None = None) -> int:
    """Give back ``user``'s claims (all of them, or ``keys``)."""
    with session_scope(engine, write=True) as session:
        return release_claims(session=session, user=user.username, keys=keys or ())
