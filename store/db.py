"""Engines, sessions and migrations.  The rest of the code never builds an engine itself."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
MIGRATIONS = "cqfriends.store:migrations"  # Alembic's package-resource form (package data)


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3, the driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


BUSY_TIMEOUT_SECONDS = 30  # SQLite: how long a writer queues for the write lock
CONNECT_TIMEOUT_SECONDS = 10  # PostgreSQL: an unreachable server fails in this time


@lru_cache(maxsize=16)
def get_engine(url: str) -> Engine:
    """One pooled engine per URL for the life of the process."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        url, read_only = sqlite_read_only_url(url)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False,
                                                     "timeout": BUSY_TIMEOUT_SECONDS})
        sa.event.listen(engine, "connect",
                        _sqlite_read_only_pragmas if read_only else _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    # psycopg prepares a statement after five runs and PostgreSQL may then reuse one
    # generic plan: planned while a table was small, it seq-scans it forever after
    # (ingest fell from 3,500 to 370 posts/s by 100,000 posts).  Custom plans only.
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                            connect_args={"options": "-c plan_cache_mode=force_custom_plan",
                                          "connect_timeout": CONNECT_TIMEOUT_SECONDS})


def private_engine(url: str) -> Engine:
    """An engine like ``get_engine``'s but outside its cache, for a forked worker process.

    A forked child inherits its parent's pooled connections; using (or closing) one
    would break the parent's session, so the child opens its own.
    """
    return get_engine.__wrapped__(url)


def sqlite_read_only_url(url: str) -> tuple[str, bool]:
    """The URL to open, and whether it is read-only (the file or its folder is not writable).

    A read-only database is opened ``mode=ro``, so reading commands work and writing
    ones fail with "attempt to write a readonly database".  In a read-only folder a
    WAL database cannot create its ``-shm`` file; with no ``-wal`` there is no writer
    whose changes we could miss, so it is opened ``immutable``.
    """
    path = sa.engine.make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:") or not os.path.exists(path):
        return url, False
    folder = os.path.dirname(os.path.abspath(path))
    if os.access(path, os.W_OK) and os.access(folder, os.W_OK):
        return url, False
    flags = "mode=ro"
    if not os.access(folder, os.W_OK) and not os.path.exists(path + "-wal"):
        flags += "&immutable=1"
    from urllib.parse import quote

    log.info("%s is read-only: opened for reading only", path)
    return f"sqlite:///file:{quote(os.path.abspath(path))}?{flags}&uri=true", True


def _sqlite_read_only_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_conn.isolation_level = None  # as in _sqlite_pragmas; journal_mode is left alone
    dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")


CACHE_KIB = 65536  # per connection; SQLite's 2 MiB default re-reads the indexes of big imports


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    if cur.execute("PRAGMA journal_mode").fetchone()[0] != "wal":  # setting it is a write
        cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cur.close()


def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
    # Readers BEGIN deferred, so WAL lets them run beside a writer.  A transaction that
    # reads and then writes asks for IMMEDIATE (session_scope(write=True)): it takes the
    # write lock at BEGIN and queues on busy_timeout, instead of failing with "database
    # is locked" when it tries to upgrade a snapshot another writer has moved past.
    immediate = conn.get_execution_options().get("sqlite_immediate")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    ``write=True`` for a transaction that reads and then writes (an upsert, a
    claim): on SQLite it takes the write lock up front, after the writers of this
    process that asked before it (``WriteTurns``); elsewhere it changes nothing.
    """
    if write and is_sqlite(engine):
        with _TURNS.turn():
            yield from _session(engine.execution_options(sqlite_immediate=True))
    else:
        yield from _session(engine)


def _session(bind: Engine) -> Iterator[Session]:
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


class WriteTurns:
    """First come, first served among this process's SQLite writers.

    SQLite's busy handler polls with growing sleeps, so a writer that starts a new
    transaction the instant it commits (a long check run, batch after batch) can keep
    a waiting one (the heartbeat) out for minutes.  Here each waits its turn in order
    of arrival; one that waited ``BUSY_TIMEOUT_SECONDS`` goes ahead, to SQLite's own
    busy handling.  A thread already writing may nest (it holds the lock anyway).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = self._serving = 0
        self._given_up: set[int] = set()
        self._owner: int | None = None
        self._depth = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
            else:
                ticket, self._next = self._next, self._next + 1
                deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
                while self._serving != ticket and time.monotonic() < deadline:
                    self._cond.wait(timeout=deadline - time.monotonic())
                if self._serving != ticket:  # too long: go ahead, SQLite decides
                    self._given_up.add(ticket)
                    me = -1
                else:
                    self._owner, self._depth = me, 1
        try:
            yield
        finally:
            if me != -1:
                self._release()

    def _release(self) -> None:
        with self._cond:
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
            self._serving += 1
            while self._serving in self._given_up:
                self._given_up.discard(self._serving)
                self._serving += 1
            self._cond.notify_all()


_TURNS = WriteTurns()


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Create or upgrade the database to the newest schema (idempotent).

    A database already at the newest revision costs one query: Alembic (slow to
    import) is loaded only when there is something to do, and only then logs.
    """
    engine = get_engine(url)
    if current_revision(engine) == head_revision():
        return
    from alembic import command

    with engine.begin() as conn:
        config = alembic_config(url)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    log.info("database upgraded to schema %s", head_revision())


def current_revision(engine: Engine) -> str | None:
    """The schema revision Alembic recorded (None: a new database).

    Any other failure (unreachable, not a database) is raised as it is: it names the cause.
    """
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except sa.exc.DBAPIError as e:
        if "alembic_version" in str(e.orig):  # no such table / relation does not exist
            return None
        raise


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration's revision, read from the migration files themselves.

    tests/store/test_db.py checks it against Alembic's own idea of the head.
    """
    revisions, parents = set(), set()
    for entry in (files("cqfriends.store.migrations") / "versions").iterdir():
        if not entry.name.endswith(".py"):
            continue
        text = entry.read_text(encoding="utf-8")
        revision = re.search(r'^revision\s*=\s*["\']([^"\']+)', text, re.M)
        parent = re.search(r'^down_revision\s*=\s*["\']([^"\']+)', text, re.M)
        if revision:
            revisions.add(revision.group(1))
        if parent:
            parents.add(parent.group(1))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


# (text in the driver's message, the likely cause and what to do), first match wins.
DATABASE_CAUSES = (
    ("readonly database", "the database file or its folder is read-only: this command writes, "
                          "so make both writable by this user"),
    ("read-only transaction", "the server only allows reading (a standby replica?): "
                              "point CQF_DATABASE_URL at the primary"),
    ("disk is full", "the disk is full: free space, then run the command again"),
    ("no space left", "the disk is full: free space, then run the command again"),
    ("unable to open database file", "the file cannot be opened: check that its folder exists "
                                     "and this user may read and write it"),
    ("file is not a database", "the file is not an SQLite database (wrong path, or damaged)"),
    ("disk i/o error", "the disk reported an I/O error: check the disk and the file"),
    ("database is locked", "another process held the write lock too long: try again; "
                           "if it persists, look for a stuck cqf process"),
    ("password authentication failed", "the server refused the user or password"),
    ("fatal:  database", "the server has no such database: create it, or fix the URL"),
    ("fatal:  role", "the server has no such user (role): create it, or fix the URL"),
    ("connection refused", "the server is unreachable (connection refused): is PostgreSQL "
                           "running and listening at that host and port?"),
    ("timeout expired", "the server did not answer in time: check the host, network and "
                        "firewall"),
    ("could not translate host name", "the server's host name is unknown: fix the URL"),
    ("failed to resolve host", "the server's host name is unknown: fix the URL"),
    ("terminating connection", "the server closed the connection (restarted, or an "
                               "administrator ended it): try again"),
    ("server closed the connection", "the server closed the connection (restarted, or an "
                                     "administrator ended it): try again"),
)


def is_database_error(error: BaseException) -> bool:
    """A failure of the database itself (unreachable, read-only, full), not of our code."""
    import sqlite3

    if isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError | sqlite3.Error):
        return True
    return isinstance(error, sa.exc.DBAPIError) and (
        error.connection_invalidated or _likely_cause(error) is not None)


def _likely_cause(error: BaseException) -> str | None:
    lowered = str(getattr(error, "orig", None) or error).lower()
    return next((cause for text, cause in DATABASE_CAUSES if text in lowered), None)


def describe_database_error(error: BaseException, url: str) -> str:
    """One line: which database (never its password), the likely cause, what to do."""
    detail = str(getattr(error, "orig", None) or error).strip()
    cause = _likely_cause(error)
    first = detail.splitlines()[0] if detail else type(error).__name__
    where = safe_url(url)
    return f"database {where}: {cause} ({first})" if cause else f"database {where}: {first}"


def safe_url(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    try:
        return sa.engine.make_url(normalize_url(url)).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(an invalid database URL)"
