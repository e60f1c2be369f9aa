"""Engines, sessions and migrations.  The rest of the code never builds an engine itself."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlmodel import Session

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


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
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Create or upgrade the database to the newest schema (idempotent)."""
    engine = get_engine(url)
    with engine.begin() as conn:
        config = alembic_config(url)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    log.info("database at the newest schema")
