"""Users of the console and the login-failure log that throttles guessing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from store.models import LoginFailure, User, utcnow


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
