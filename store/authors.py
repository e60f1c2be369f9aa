"""Author rules set from the console: block or trust one account (``author_rule``).

A rule names an account as (source, author_key); the key is the platform's
author id, or ``@handle`` (case-folded) when a post carries no id.  Keys read
``source:key`` where the checks compare them (``rules.author_keys``), the same
form as ``rules.blocked_authors`` / ``rules.allowed_authors`` in config.yaml.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cqfriends.store.models import AuthorRule, PostRow, utcnow

RULES = ("block", "trust")
OPEN_STATUSES = ("collected", "pending")


def author_key(author_id: str, handle: str = "") -> str:
    """The key of an account: its id, else ``@handle`` case-folded ('' when neither)."""
    if author_id.strip():
        return author_id.strip()
    handle = handle.strip().lstrip("@")
    return f"@{handle.casefold()}" if handle else ""


def normalize_key(key: str) -> str:
    key = key.strip()
    return "@" + key[1:].strip().casefold() if key.startswith("@") else key


def list_author_rules(*, session: Session) -> list[AuthorRule]:
    query = select(AuthorRule).order_by(col(AuthorRule.created_at).desc(), col(AuthorRule.id))
    return list(session.exec(query).all())


def get_author_rule(*, session: Session, source: str, key: str) -> AuthorRule | None:
    return session.exec(select(AuthorRule).where(AuthorRule.source == source,
                                                 AuthorRule.author_key == key)).first()


def put_author_rule(*, session: Session, source: str, key: str, rule: str, label: str,
                    note: str | None, actor: str) -> tuple[AuthorRule, str | None]:
    """Set the rule of one account; returns it and the rule it replaced (or None)."""
    row = get_author_rule(session=session, source=source, key=key)
    previous = row.rule if row else None
    if row is None:
        row = AuthorRule(source=source, author_key=key, rule=rule, label=label, note=note,
                         created_by=actor, created_at=utcnow())
    else:
        row.rule, row.note, row.created_by, row.created_at = rule, note, actor, utcnow()
        row.label = label or row.label
    session.add(row)
    session.flush()
    return row, previous


def delete_author_rule(*, session: Session, source: str, key: str) -> AuthorRule | None:
    row = get_author_rule(session=session, source=source, key=key)
    if row is not None:
        session.delete(row)
    return row


def author_rule_keys(*, session: Session) -> tuple[set[str], set[str]]:
    """("source:key" of blocked accounts, of trusted accounts)."""
    blocked: set[str] = set()
    trusted: set[str] = set()
    for source, key, rule in session.execute(sa.select(
            col(AuthorRule.source), col(AuthorRule.author_key), col(AuthorRule.rule))):
        (blocked if rule == "block" else trusted).add(f"{source}:{key}")
    return blocked, trusted


def rules_of_authors(*, session: Session, keys: Sequence[tuple[str, str]]) -> dict[
        tuple[str, str], str]:
    """The rule of each (source, key) that has one."""
    wanted = set(keys)
    if not wanted:
        return {}
    query = sa.select(col(AuthorRule.source), col(AuthorRule.author_key), col(AuthorRule.rule)
                      ).where(col(AuthorRule.author_key).in_({k for _, k in wanted}))
    return {(s, k): r for s, k, r in session.execute(query) if (s, k) in wanted}


def open_posts_of(*, session: Session, source: str, key: str) -> list[PostRow]:
    """Posts of one account that are not decided yet (their flags follow a new rule at once)."""
    query = select(PostRow).where(PostRow.source == source,
                                  col(PostRow.status).in_(OPEN_STATUSES))
    if key.startswith("@"):
        query = query.where(sa.func.lower(col(PostRow.author_handle)).in_(
            {key[1:], "@" + key[1:]}))
    else:
        query = query.where(PostRow.author_id == key)
    return list(session.exec(query.limit(10_000)).all())


def set_flags(*, session: Session, post: PostRow, flags: list[dict[str, Any]]) -> None:
    session.execute(sa.update(PostRow).where(col(PostRow.id) == post.id).values(flags=flags))
