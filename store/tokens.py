"""Read tokens for the feeds and JSON API, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, select

from cqfriends.errors import BadInput, Conflict, NotFound
from cqfriends.i18n.translate import msg
from cqfriends.store.models import ApiToken, utcnow

TOKEN_PREFIX = "cqf_"
# last_used_at is written at most this often per token, so reads stay reads.
_TOUCH_EVERY = timedelta(minutes=5)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(*, session: Session, name: str, created_by: str | None = None) -> str:
    """A new token named ``name``; the plain token is returned once and never stored."""
    if not name or len(name) > 64 or not name.isprintable():
        raise BadInput(msg("a token name has 1 to 64 printable characters"))
    if session.exec(select(ApiToken).where(ApiToken.name == name)).first() is not None:
        raise Conflict(msg("a token named %(name)r already exists (revoke it or pick another "
                           "name)", name=name))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=hash_token(token), created_at=utcnow(),
                         created_by=created_by))
    session.flush()
    return token


def revoke_token(*, session: Session, name: str) -> ApiToken:
    row = session.exec(select(ApiToken).where(ApiToken.name == name)).first()
    if row is None:
        raise NotFound(msg("no token named %(name)r", name=name))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
    return row


def list_tokens(*, session: Session) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).order_by(ApiToken.name)).all())


def check_token(*, session: Session, token: str) -> ApiToken | None:
    """The live token matching ``token``, or None (unknown or revoked)."""
    if not token:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
        row.last_used_at = now
        session.add(row)
    return row
