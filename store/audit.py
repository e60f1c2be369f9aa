"""The append-only audit log of every moderation and admin decision."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from store.models import AuditEntry, PostRow, utcnow


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
