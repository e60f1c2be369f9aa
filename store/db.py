"""Engines, sessions and migrations.  The rest of the code never builds an engine itself."""

from __future__ import annotations

import logging
import re
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


@lru_cache(maxsize=16)
def get_engine(url: str) -> Engine:
    """One pooled engine per URL for the life of the process."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    # psycopg prepares a statement after five runs and PostgreSQL may then reuse one
    # generic plan: planned while a table was small, it seq-scans it forever after
    # (ingest fell from 3,500 to 370 posts/s by 100,000 posts).  Custom plans only.
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                            connect_args={"options": "-c plan_cache_mode=force_custom_plan"})


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin_immediate).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
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
    claim): on SQLite it takes the write lock up front; elsewhere it changes nothing.
    """
    bind = engine.execution_options(sqlite_immediate=True) if write else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


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
    """The schema revision Alembic recorded (None: a new or unreadable database)."""
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except sa.exc.DBAPIError:
        return None


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
