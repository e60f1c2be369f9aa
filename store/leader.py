"""Scheduler leadership: exactly one scheduler per database.

PostgreSQL: a session advisory lock held on a dedicated connection (outside the
pool).  The lock goes with the connection, so when the leader dies the server
frees it and a standby's next ``try_acquire`` wins.  SQLite: an exclusive
POSIX record lock (``lockf``) on ``<database>.scheduler.lock``; the kernel drops
it when the process dies (kill -9 included), forked children (the checks' process
pool) do not inherit it, and a second scheduler is refused.

Either way the leader beats a ``SchedulerHeartbeat`` row, which is how
``cqf status`` and ``/healthz`` tell whether a scheduler is alive.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from cqfriends.store.models import SchedulerHeartbeat, utcnow

log = logging.getLogger(__name__)
LOCK_KEY = 0x63_71_66_01  # "cqf" + 1: the advisory lock id of the scheduler
_HELD: set[str] = set()  # lock files held by this process (POSIX locks are per process)
HEARTBEAT_NAME = "scheduler"
STALE_AFTER = timedelta(seconds=90)


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership:
    """``try_acquire()`` once, or repeatedly from a standby; ``alive()`` while leading."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.holder = holder_id()
        self._conn: Connection | None = None
        self._file: IO[str] | None = None
        self._own_engine: Engine | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.engine.dialect.name == "postgresql":
            return self._acquire_advisory()
        return self._acquire_file()

    def alive(self) -> bool:
        """Still the leader?  (On PostgreSQL: the lock's connection still answers.)"""
        if self._file is not None:
            return True
        if self._conn is None:
            return False
        try:
            self._conn.exec_driver_sql("SELECT 1")
            return True
        except sa.exc.DBAPIError:
            log.warning("lost the scheduler lock's database connection")
            self.release()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.exec_driver_sql(f"SELECT pg_advisory_unlock({LOCK_KEY})")
                self._conn.close()
            except sa.exc.DBAPIError:
                pass
            self._conn = None
        if self._own_engine is not None:
            self._own_engine.dispose()
            self._own_engine = None
        if self._file is not None:
            if self._file.name in _HELD:
                fcntl.lockf(self._file, fcntl.LOCK_UN)
                _HELD.discard(self._file.name)
            self._file.close()
            self._file = None

    def _acquire_advisory(self) -> bool:
        if self._own_engine is None:
            self._own_engine = sa.create_engine(self.engine.url, poolclass=NullPool)
        try:
            conn = self._own_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({LOCK_KEY})").scalar()
        except sa.exc.DBAPIError as e:
            log.warning("cannot reach the database for the scheduler lock: %s", e.orig)
            return False
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def _acquire_file(self) -> bool:
        path = lock_path(self.engine)
        if path is None:  # in-memory SQLite: nobody else can share it
            self._file = open(os.devnull)  # noqa: SIM115 - held for the life of the leadership
            return True
        if str(path) in _HELD:
            return False
        handle = path.open("a+")
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # EAGAIN/EACCES: another process holds it
            handle.close()
            return False
        _HELD.add(handle.name)
        handle.seek(0)
        handle.truncate()
        handle.write(self.holder + "\n")
        handle.flush()
        self._file = handle
        return True


def lock_path(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return Path(database + ".scheduler.lock")


def lock_holder(engine: Engine) -> str:
    """Who holds the SQLite scheduler lock, as written in its file (for messages)."""
    path = lock_path(engine)
    try:
        return path.read_text().strip() if path else ""
    except OSError:
        return ""


def beat(*, session: Session, holder: str, started_at: datetime) -> None:
    row = session.get(SchedulerHeartbeat, HEARTBEAT_NAME)
    now = utcnow()
    if row is None:
        row = SchedulerHeartbeat(name=HEARTBEAT_NAME, holder=holder, started_at=started_at,
                                 beat_at=now)
    row.holder, row.started_at, row.beat_at = holder, started_at, now
    session.add(row)


def clear_beat(*, session: Session, holder: str) -> None:
    """A leader that stops cleanly says so at once, instead of going stale."""
    row = session.get(SchedulerHeartbeat, HEARTBEAT_NAME)
    if row is not None and row.holder == holder:
        session.delete(row)


def read_beat(*, session: Session) -> SchedulerHeartbeat | None:
    return session.get(SchedulerHeartbeat, HEARTBEAT_NAME)


def is_fresh(row: SchedulerHeartbeat | None, now: datetime | None = None) -> bool:
    return row is not None and (now or utcnow()) - row.beat_at <= STALE_AFTER
