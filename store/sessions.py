"""Console login sessions kept on the server (``login_session``).

The browser holds a random token; the table holds its SHA-256, so a copied
database opens no session.  Ending a session deletes its row: the cookie is then
worth nothing, whatever its signature says.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cqfriends.store.models import LoginSession, User, utcnow


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def open_login_session(*, session: Session, username: str, lifetime: timedelta,
                       client: str = "") -> str:
    """A new session for ``username``; returns the token for the cookie (stored only hashed)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    delete_expired_sessions(session=session, now=now)  # the table cleans itself up
    session.add(LoginSession(id=session_id(token), username=username, created_at=now,
                             expires_at=now + lifetime, client=client[:64]))
    return token


def user_of_session(*, session: Session, token: str, now: datetime | None = None) -> User | None:
    """The active user a live session token belongs to, else None."""
    if not token or len(token) > 200:
        return None
    query = (select(User).join(LoginSession, col(LoginSession.username) == col(User.username))
             .where(LoginSession.id == session_id(token),
                    col(LoginSession.expires_at) > (now or utcnow()),
                    User.disabled == sa.false()))
    return session.exec(query).first()


def close_login_session(*, session: Session, token: str) -> None:
    session.execute(sa.delete(LoginSession).where(col(LoginSession.id) == session_id(token)))


def close_user_sessions(*, session: Session, username: str) -> int:
    """End every session of ``username`` (password change, deactivation)."""
    result = session.execute(sa.delete(LoginSession).where(
        col(LoginSession.username) == username))
    return getattr(result, "rowcount", 0) or 0


def delete_expired_sessions(*, session: Session, now: datetime | None = None) -> int:
    result = session.execute(sa.delete(LoginSession).where(
        col(LoginSession.expires_at) <= (now or utcnow())))
    return getattr(result, "rowcount", 0) or 0


def count_user_sessions(*, session: Session, username: str) -> int:
    query = select(sa.func.count()).select_from(LoginSession).where(
        LoginSession.username == username, col(LoginSession.expires_at) > utcnow())
    return int(session.exec(query).one())
