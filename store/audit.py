"""The append-only audit log of every moderation and admin decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from cqfriends.store.models import AuditEntry, PostRow, utcnow


def add_audit_entry(
    *, session: Session, actor: str, action: str, post: PostRow | None = None,
    section: str | None = None, reason: str | None = None, previous_status: str | None = None,
    new_status: str | None = None, detail: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=utcnow(), actor=actor, action=action, post_id=post.id if post else None,
        post_key=post.key if post else None, section=section, reason=reason,
        previous_status=previous_status, new_status=new_status, detail=detail or {})
    session.add(entry)
    return entry


DECISIONS = ("approve", "reject", "feature", "unfeature", "takedown", "resection", "requeue")
CSV_COLUMNS = ("at", "actor", "action", "post_key", "section", "reason", "previous_status",
               "new_status", "note")


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    post_key: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_audit(*, session: Session, where: AuditFilter = AuditFilter(), limit: int | None = 200,
               offset: int = 0) -> list[AuditEntry]:
    """Newest first."""
    query = select(AuditEntry)
    if where.actor:
        query = query.where(AuditEntry.actor == where.actor)
    if where.action:
        query = query.where(AuditEntry.action == where.action)
    if where.post_key:
        query = query.where(AuditEntry.post_key == where.post_key)
    if where.since:
        query = query.where(AuditEntry.at >= where.since)
    if where.until:
        query = query.where(AuditEntry.at < where.until)
    query = query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()).offset(offset)
    return list(session.exec(query.limit(limit) if limit else query).all())


def post_history(*, session: Session, post_id: int) -> list[AuditEntry]:
    """Every entry about one post, oldest first."""
    query = (select(AuditEntry).where(AuditEntry.post_id == post_id)
             .order_by(col(AuditEntry.at), col(AuditEntry.id)))
    return list(session.exec(query).all())


def last_decision_by(*, session: Session, actor: str) -> AuditEntry | None:
    """The actor's newest decision or undo (an undo is never undone itself)."""
    query = (select(AuditEntry).where(AuditEntry.actor == actor,
                                      col(AuditEntry.action).in_((*DECISIONS, "undo")))
             .order_by(col(AuditEntry.id).desc()).limit(1))
    return session.exec(query).first()


def audit_csv_row(entry: AuditEntry) -> list[str]:
    """One CSV row (CSV_COLUMNS); cells starting with = + - @ are quoted against formulas."""
    values = [entry.at.isoformat(), entry.actor, entry.action, entry.post_key, entry.section,
              entry.reason, entry.previous_status, entry.new_status,
              (entry.detail or {}).get("note")]
    return [_cell(v) for v in values]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
