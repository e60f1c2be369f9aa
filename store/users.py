"""Console users: roles, argon2 password hashes, the first admin, login, account admin.

The queries (``get_user``, ``add_user``) take a session; the account functions
above them (``create_user``, ``verify_login``, ``set_user_role`` ...) take an
engine and open their own transaction.  Throttling lives in ``store.logins``,
sessions in ``store.sessions``: a password change or a deactivation ends every
session of the user.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from cqfriends.errors import BadInput, Conflict, NotFound
from cqfriends.i18n.translate import LOCALES, msg
from cqfriends.store.audit import add_audit_entry
from cqfriends.store.db import session_scope
from cqfriends.store.logins import (
    LoginThrottled,
    check_throttle,
    clear_login_failures,
    delete_old_failures,
    record_login_failure,
)
from cqfriends.store.models import ROLES, User, utcnow
from cqfriends.store.sessions import close_user_sessions

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = ["LoginThrottled", "create_user", "verify_login", "set_user_password"]
log = logging.getLogger(__name__)
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 hashes anything; a megabyte "password" is a denial of service


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher  # imported here: the CLI starts faster without it

    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so timing does not reveal user names."""
    return _hasher().hash("not-a-real-password")


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
        raise BadInput(msg("user name %(name)r: use letters, digits, '.', '_' or '-'",
                           name=username))
    validate_role(role)
    validate_password(password)


def validate_role(role: str) -> None:
    if role not in ROLES:
        raise BadInput(msg("role %(role)r: use one of %(roles)s", role=role,
                           roles=", ".join(ROLES)))


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadInput(msg("the password needs at least %(n)s characters", n=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise BadInput(msg("the password may have at most %(n)s characters", n=MAX_PASSWORD))


def create_user(*, engine: Engine, username: str, role: str, password: str,
                actor: str | None = None) -> User:
    validate_new_user(username, role, password)
    with session_scope(engine, write=True) as session:
        if get_user(session=session, username=username):
            raise Conflict(msg("user %(name)r exists already", name=username))
        user = add_user(session=session, username=username, role=role,
                        password_hash=hash_password(password))
        _audit(session, actor, "user-add", username, role=role)
    log.info("created user %s (%s)", username, role)
    return user


def set_user_password(*, engine: Engine, username: str, password: str,
                      actor: str | None = None) -> None:
    """A new password; every session of the user ends."""
    validate_password(password)
    with session_scope(engine, write=True) as session:
        user = _existing(session, username)
        user.password_hash = hash_password(password)
        session.add(user)
        ended = close_user_sessions(session=session, username=username)
        _audit(session, actor, "user-password", username, sessions_ended=ended)
    log.info("changed the password of %s", username)


def reset_user_password(*, engine: Engine, username: str, actor: str | None = None) -> str:
    """A generated password (returned once) replaces the old one; sessions end."""
    password = secrets.token_urlsafe(12)
    set_user_password(engine=engine, username=username, password=password, actor=actor)
    return password


def set_user_role(*, engine: Engine, username: str, role: str, actor: str | None = None
                  ) -> User:
    validate_role(role)
    with session_scope(engine, write=True) as session:
        user = _existing(session, username)
        if user.role == "admin" and role != "admin":
            _keep_an_admin(session, user)
        _audit(session, actor, "user-role", username, role=role, previous=user.role)
        user.role = role
        session.add(user)
    log.info("role of %s is now %s", username, role)
    return user


def set_user_disabled(*, engine: Engine, username: str, disabled: bool,
                      actor: str | None = None) -> User:
    """Deactivate (sessions end, logins refused) or reactivate an account."""
    with session_scope(engine, write=True) as session:
        user = _existing(session, username)
        if disabled and user.role == "admin":
            _keep_an_admin(session, user)
        user.disabled = disabled
        session.add(user)
        if disabled:
            close_user_sessions(session=session, username=username)
        _audit(session, actor, "user-deactivate" if disabled else "user-reactivate", username)
    log.info("%s %s", "deactivated" if disabled else "reactivated", username)
    return user


def set_user_locale(*, engine: Engine, username: str, locale: str | None) -> None:
    if locale is not None and locale not in LOCALES:
        raise BadInput(msg("language %(lang)r: use one of %(langs)s", lang=locale,
                           langs=", ".join(LOCALES)))
    with session_scope(engine, write=True) as session:
        user = _existing(session, username)
        user.locale = locale
        session.add(user)


def _audit(session: Session, actor: str | None, action: str, username: str,
           **detail: object) -> None:
    """Account changes made in the console are audited (the CLI's have no actor)."""
    if actor:
        add_audit_entry(session=session, actor=actor, action=action,
                        detail={"user": username, **detail})


def _existing(session: Session, username: str) -> User:
    user = get_user(session=session, username=username)
    if user is None:
        raise NotFound(msg("no user %(name)r", name=username))
    return user


def _keep_an_admin(session: Session, user: User) -> None:
    if not user.disabled and count_admins(session=session) <= 1:
        raise Conflict(msg("%(name)s is the last active admin; make another admin first",
                           name=user.username))


def all_users(*, engine: Engine) -> list[User]:
    with session_scope(engine) as session:
        return list(list_users(session=session))


def find_user(*, engine: Engine, username: str) -> User:
    with session_scope(engine) as session:
        user = get_user(session=session, username=username)
    if user is None or user.disabled:
        raise NotFound(msg("no active user %(name)r", name=username))
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
    """The user for a right password, None for a wrong one; LoginThrottled while the
    (user name, client) pair must wait after too many failures."""
    if not USERNAME.match(username) or len(password) > MAX_PASSWORD:
        return None  # no such account can exist: nothing to look up or to throttle
    with session_scope(engine, write=True) as session:
        check_throttle(session=session, username=username, client=client,
                       max_failures=max_failures)
        user = get_user(session=session, username=username)
        ok = check_password(user.password_hash if user else _dummy_hash(), password)
        if user is None or user.disabled or not ok:
            delete_old_failures(session=session)  # only the last 15 minutes ever count
            record_login_failure(session=session, username=username, client=client)
            log.info("failed login for %r from %s", username, client)
            return None
        clear_login_failures(session=session, username=username, client=client)
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
