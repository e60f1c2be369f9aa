"""Console users: roles, argon2 password hashes, the first admin, login with throttling.

The queries (``get_user``, ``add_user``, the login-failure log) take a session;
the account functions above them (``create_user``, ``verify_login``, ...) take an
engine and open their own transaction.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from cqfriends.errors import BadInput, Conflict, Forbidden, NotFound
from cqfriends.store.db import session_scope
from cqfriends.store.models import ROLES, LoginFailure, User, utcnow

if TYPE_CHECKING:
    from argon2 import PasswordHasher

log = logging.getLogger(__name__)
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MIN_PASSWORD = 8
THROTTLE_WINDOW = timedelta(minutes=15)


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher  # imported here: the CLI starts faster without it

    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so timing does not reveal user names."""
    return _hasher().hash("not-a-real-password")


class LoginThrottled(Forbidden):
    """Too many failed logins for this user name or client: wait, then try again."""

    http_status = 429


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def validate_new_user(username: str, role: str, password: str) -> None:
    if not USERNAME.match(username):
        raise BadInput(f"user name {username!r}: use letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise BadInput(f"role {role!r}: use one of {', '.join(ROLES)}")
    validate_password(password)


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"the password needs at least {MIN_PASSWORD} characters")


def create_user(*, engine: Engine, username: str, role: str, password: str) -> User:
    validate_new_user(username, role, password)
    with session_scope(engine, write=True) as session:
        if get_user(session=session, username=username):
            raise Conflict(f"user {username!r} exists already")
        user = add_user(session=session, username=username, role=role,
                        password_hash=hash_password(password))
    log.info("created user %s (%s)", username, role)
    return user


def set_user_password(*, engine: Engine, username: str, password: str) -> None:
    validate_password(password)
    with session_scope(engine, write=True) as session:
        user = get_user(session=session, username=username)
        if user is None:
            raise NotFound(f"no user {username!r}")
        user.password_hash = hash_password(password)
        session.add(user)
    log.info("changed the password of %s", username)


def all_users(*, engine: Engine) -> list[User]:
    with session_scope(engine) as session:
        return list(list_users(session=session))


def find_user(*, engine: Engine, username: str) -> User:
    with session_scope(engine) as session:
        user = get_user(session=session, username=username)
    if user is None or user.disabled:
        raise NotFound(f"no active user {username!r}")
    return user


def ensure_first_admin(*, engine: Engine, password: str | None) -> str | None:
    """Create the user 'admin' if there is no admin; return a generated password (once)."""
    with session_scope(engine) as session:
        if count_admins(session=session):
            return None
    chosen = password or secrets.token_urlsafe(12)
    create_user(engine=engine, username="admin", role="admin", password=chosen)
    return None if password else chosen


def verify_login(
    *, engine: Engine, username: str, password: str, client: str = "", max_failures: int = 5,
) -> User | None:
    """The user for a right password, None for a wrong one; LoginThrottled after too many."""
    with session_scope(engine, write=True) as session:
        since = utcnow() - THROTTLE_WINDOW
        if count_login_failures(session=session, username=username, client=client,
                                since=since) >= max_failures:
            minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
            raise LoginThrottled(f"too many failed logins; try again in {minutes} minutes")
        user = get_user(session=session, username=username)
        ok = check_password(user.password_hash if user else _dummy_hash(), password)
        if user is None or user.disabled or not ok:
            record_login_failure(session=session, username=username, client=client)
            log.info("failed login for %r from %s", username, client)
            return None
        clear_login_failures(session=session, username=username)
        return user


def get_user(*, session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def list_users(*, session: Session) -> Sequence[User]:
    return session.exec(select(User).order_by(User.username)).all()


def count_admins(*, session: Session) -> int:
    query = select(func.count()).select_from(User).where(User.role == "admin",
                                                        User.disabled == sa.false())
    return session.exec(query).one()


def add_user(*, session: Session, username: str, role: str, password_hash: str) -> User:
    user = User(username=username, role=role, password_hash=password_hash, created_at=utcnow())
    session.add(user)
    session.flush()
    return user


def record_login_failure(*, session: Session, username: str, client: str) -> None:
    session.add(LoginFailure(username=username[:64], client=client[:64], at=utcnow()))


def count_login_failures(*, session: Session, username: str, client: str, since: datetime) -> int:
    """Failures for this user name, or from this client, since ``since``."""
    who = sa.or_(col(LoginFailure.username) == username[:64],
                 col(LoginFailure.client) == client[:64])
    query = select(func.count()).select_from(LoginFailure).where(who, LoginFailure.at >= since)
    return session.exec(query).one()


def clear_login_failures(*, session: Session, username: str) -> None:
    session.exec(sa.delete(LoginFailure).where(col(LoginFailure.username) == username[:64]))
