"""Login throttling per (user name, client address), with a growing delay.

Failures count only for the pair that made them, so an attacker guessing a
user's password from one address never locks that user out elsewhere, and
failures on made-up names behind a proxy lock out no one (with
``web.trusted_proxies`` the client is the address the proxy saw).  After
``max_failures`` failures within THROTTLE_WINDOW, each further try must wait
FIRST_DELAY, then twice as long after every failure, up to the window itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from cqfriends.errors import Forbidden
from cqfriends.i18n.translate import msg
from cqfriends.store.models import LoginFailure, utcnow

THROTTLE_WINDOW = timedelta(minutes=15)
FIRST_DELAY = timedelta(seconds=30)


class LoginThrottled(Forbidden):
    """Too many failed logins for this user name from this client: wait, then try again."""

    http_status = 429

    def __init__(self, message: str, retry_after: int = 0) -> None:
        self.retry_after = retry_after
        super().__init__(message)


def login_delay(failures: int, max_failures: int) -> timedelta:
    """How long after the last failure the next try must wait (0 below the limit)."""
    if failures < max_failures:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - max_failures, 20), THROTTLE_WINDOW)


def check_throttle(*, session: Session, username: str, client: str, max_failures: int,
                   now: datetime | None = None) -> None:
    """Raise LoginThrottled while (username, client) must still wait."""
    now = now or utcnow()
    failures, last = recent_failures(session=session, username=username, client=client,
                                     since=now - THROTTLE_WINDOW)
    if last is None:
        return
    wait = last + login_delay(failures, max_failures) - now
    if wait > timedelta(0):
        seconds = int(wait.total_seconds()) + 1
        raise LoginThrottled(msg("too many failed logins; try again in %(seconds)s seconds",
                                 seconds=seconds), retry_after=seconds)


def record_login_failure(*, session: Session, username: str, client: str) -> None:
    session.add(LoginFailure(username=username[:64], client=client[:64], at=utcnow()))


def recent_failures(*, session: Session, username: str, client: str, since: datetime
                    ) -> tuple[int, datetime | None]:
    """How many failures this (user name, client) made since ``since``, and the last one."""
    query = (select(func.count(), func.max(col(LoginFailure.at))).select_from(LoginFailure)
             .where(col(LoginFailure.username) == username[:64],
                    col(LoginFailure.client) == client[:64], LoginFailure.at >= since))
    count, last = session.exec(query).one()
    if last is not None and last.tzinfo is None:  # an aggregate skips the column's type
        from datetime import UTC

        last = last.replace(tzinfo=UTC)
    return int(count), last


def clear_login_failures(*, session: Session, username: str, client: str) -> None:
    session.execute(sa.delete(LoginFailure).where(col(LoginFailure.username) == username[:64],
                                                  col(LoginFailure.client) == client[:64]))


def delete_old_failures(*, session: Session, now: datetime | None = None) -> int:
    result = session.execute(sa.delete(LoginFailure).where(
        col(LoginFailure.at) < (now or utcnow()) - THROTTLE_WINDOW))
    return getattr(result, "rowcount", 0) or 0
