"""Scheduler leadership: exactly one scheduler per database, and who is alive.

PostgreSQL: a session advisory lock held on a dedicated connection (outside the
pool).  The lock goes with the connection, so when the leader dies the server
frees it and a standby's next ``try_acquire`` wins.  ``holds()`` proves the lock
is still ours (``pg_locks`` on that connection); any failure there means "not
proven", never an exception.  SQLite: an exclusive POSIX record lock (``lockf``)
on ``<real database file>.scheduler.lock`` (symlinks resolved, so two names of
one file share one lock); the kernel drops it when the process dies (kill -9
included), forked children do not inherit it, and a second scheduler is refused.

Heartbeats (``SchedulerHeartbeat`` rows): the leader beats ``scheduler`` (how
``cqf status`` and ``/healthz`` tell a scheduler is alive), and every ``cqf run``
process beats ``process:HOST:PID``, which is how a new leader tells whether the
process that opened a run is still alive before it closes that run.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session, col, select

from cqfriends.store.models import SchedulerHeartbeat, utcnow

log = logging.getLogger(__name__)
LOCK_KEY = 0x63_71_66_01  # "cqf" + 1: the advisory lock id of the scheduler
_HELD: set[str] = set()  # lock files held by this process (POSIX locks are per process)
HEARTBEAT_NAME = "scheduler"
PROCESS_PREFIX = "process:"
STALE_AFTER = timedelta(seconds=90)
PROVE_SQL = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
             f" AND pid = pg_backend_pid() AND classid = 0 AND objid = {LOCK_KEY}"
             " AND objsubid = 1")
# The lock's connection notices a dead network within seconds, not the kernel's minutes.
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
             "keepalives_count": 3, "tcp_user_timeout": 10_000, "connect_timeout": 10}


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership:
    """``try_acquire()`` once, or repeatedly from a standby; ``holds()`` while leading."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.holder = holder_id()
        self._conn: Connection | None = None
        self._file: IO[str] | None = None
        self._own_engine: Engine | None = None
        self._guard = threading.Lock()  # the lock's connection is used from several threads

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    def try_acquire(self) -> bool:
        with self._guard:
            if self.held:
                return True
            if self.engine.dialect.name == "postgresql":
                return self._acquire_advisory()
            return self._acquire_file()

    def holds(self) -> bool:
        """Can we prove we still hold the lock?  False (and released) when not; never raises."""
        with self._guard:
            try:
                proven = self._prove()
            except Exception as e:  # noqa: BLE001 - a dead connection, PendingRollback, ...
                log.warning("cannot prove the scheduler lock is still held: %s",
                            str(e).splitlines()[0] if str(e) else type(e).__name__)
                proven = False
            if not proven:
                self._release()
            return proven

    def alive(self) -> bool:  # the older name of holds()
        return self.holds()

    def release(self) -> None:
        """Give the lock up; never raises (it runs on the way out)."""
        with self._guard:
            self._release()

    def _prove(self) -> bool:
        if self._file is not None:
            path = lock_path(self.engine)
            if path is None:
                return True
            # Someone deleting or replacing the lock file would let a second scheduler lock
            # a new file: the one we hold must still be the one at the path.
            return os.fstat(self._file.fileno()).st_ino == path.stat().st_ino
        if self._conn is None:
            return False
        return bool(self._conn.exec_driver_sql(PROVE_SQL).scalar())

    def _release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({LOCK_KEY})")
            except Exception:  # noqa: BLE001, S110 - the server frees it with the connection
                pass
            try:
                conn.invalidate()  # never back into a pool: the lock is the connection's
                conn.close()
            except Exception:  # noqa: BLE001, S110
                pass
        if self._own_engine is not None:
            self._own_engine.dispose()
            self._own_engine = None
        if self._file is not None:
            handle, self._file = self._file, None
            try:
                if handle.name in _HELD:
                    fcntl.lockf(handle, fcntl.LOCK_UN)
                handle.close()
            except OSError:
                pass
            _HELD.discard(handle.name)

    def _acquire_advisory(self) -> bool:
        if self._own_engine is None:
            self._own_engine = sa.create_engine(self.engine.url, poolclass=NullPool,
                                                connect_args=KEEPALIVE)
        try:
            conn = self._own_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except sa.exc.DBAPIError as e:
            log.warning("cannot reach the database for the scheduler lock: %s", e.orig)
            return False
        try:
            got = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({LOCK_KEY})").scalar()
        except Exception as e:  # noqa: BLE001 - the connection died at once
            log.warning("cannot take the scheduler lock: %s", e)
            got = False
        if got:
            self._conn = conn
            return True
        try:
            conn.close()
        except Exception:  # noqa: BLE001, S110
            pass
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
    """The lock file of the real database file: ``alias.db -> t.db`` locks ``t.db``'s."""
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # a read-only URI (store.db.sqlite_read_only_url)
        from urllib.parse import unquote, urlsplit

        database = unquote(urlsplit(database).path)
    return Path(os.path.realpath(database) + ".scheduler.lock")


def lock_holder(engine: Engine) -> str:
    """Who holds the SQLite scheduler lock, as written in its file (for messages)."""
    path = lock_path(engine)
    try:
        return path.read_text().strip() if path else ""
    except OSError:
        return ""


def beat(*, session: Session, holder: str, started_at: datetime,
         name: str = HEARTBEAT_NAME) -> None:
    row = session.get(SchedulerHeartbeat, name)
    now = utcnow()
    if row is None:
        row = SchedulerHeartbeat(name=name, holder=holder, started_at=started_at, beat_at=now)
    row.holder, row.started_at, row.beat_at = holder, started_at, now
    session.add(row)


def beat_if_holder(*, session: Session, holder: str, name: str = HEARTBEAT_NAME) -> None:
    """Keep our row fresh, but never take it from another holder (a winding-down leader)."""
    session.execute(sa.update(SchedulerHeartbeat).where(
        col(SchedulerHeartbeat.name) == name, col(SchedulerHeartbeat.holder) == holder)
        .values(beat_at=utcnow()))


def clear_beat(*, session: Session, holder: str, name: str = HEARTBEAT_NAME) -> None:
    """A leader that stops cleanly says so at once, instead of going stale."""
    row = session.get(SchedulerHeartbeat, name)
    if row is not None and row.holder == holder:
        session.delete(row)


def read_beat(*, session: Session) -> SchedulerHeartbeat | None:
    return session.get(SchedulerHeartbeat, HEARTBEAT_NAME)


def process_beat_name(holder: str) -> str:
    """``process:`` + a digest of HOST:PID (the name column holds 32 characters)."""
    import hashlib

    return PROCESS_PREFIX + hashlib.sha256(holder.encode()).hexdigest()[:24]


def read_process_beats(*, session: Session) -> dict[str, datetime]:
    """holder -> last beat of every process that beats (``cqf run``, leader or standby)."""
    stmt = select(SchedulerHeartbeat).where(
        col(SchedulerHeartbeat.name).startswith(PROCESS_PREFIX))
    return {row.holder: row.beat_at for row in session.exec(stmt)}


def forget_processes(*, session: Session, before: datetime) -> None:
    """Drop the rows of processes that stopped beating long ago."""
    session.execute(sa.delete(SchedulerHeartbeat).where(
        col(SchedulerHeartbeat.name).startswith(PROCESS_PREFIX),
        col(SchedulerHeartbeat.beat_at) < before))


def is_fresh(row: SchedulerHeartbeat | None, now: datetime | None = None,
             stale_after: timedelta = STALE_AFTER) -> bool:
    return row is not None and (now or utcnow()) - row.beat_at <= stale_after


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def process_alive(holder: str | None, *, beats: dict[str, datetime], now: datetime,
                  stale_after: timedelta) -> bool:
    """Is the process ``HOST:PID`` alive?  On this host the kernel says so; elsewhere its beat.

    On this host a live pid whose beat went stale is a reused pid (or a process that
    lost the database); one with no beat at all (``cqf collect``) counts as alive.
    """
    if not holder or ":" not in holder:
        return False
    host, _, pid = holder.rpartition(":")
    beat_at = beats.get(holder)
    fresh = beat_at is not None and now - beat_at <= stale_after
    if host == socket.gethostname():
        return pid.isdigit() and pid_alive(int(pid)) and (beat_at is None or fresh)
    return fresh


def busy_predecessor(*, session: Session, holder: str, stale_after: timedelta) -> str | None:
    """The previous leader, while it may still be running jobs: alive and beating.

    A leader that lost its lock keeps beating ``scheduler`` until its last job ended,
    then clears it; one that died stops beating (or, on this host, has no pid).
    """
    row = read_beat(session=session)
    if row is None or row.holder == holder:
        return None
    now = utcnow()
    if not is_fresh(row, now, stale_after):
        return None
    beats = read_process_beats(session=session)
    if not process_alive(row.holder, beats=beats, now=now, stale_after=stale_after):
        return None
    return row.holder
