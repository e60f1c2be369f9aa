"""Shared fixtures: settings, and databases on SQLite and PostgreSQL.

``db_url`` (and ``engine``) run a test once per backend.  The PostgreSQL run
uses a throw-away database created for the test session on the server named
by CQF_TEST_POSTGRES_URL (default: the local trust-auth server).  Without a
server it is skipped, except under CI=true, where a missing server fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import cqfriends.store.models  # noqa: F401
from cqfriends.settings import Settings, load_settings
from cqfriends.store.db import get_engine, migrate
from tests.web.browser import browser, page  # noqa: F401  (one Chromium per session)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_ADMIN_URL = os.environ.get(
    "CQF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"cqf_test_{uuid.uuid4().hex[:10]}"
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as e:
        admin.dispose()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI and is not reachable: {e}")
        pytest.skip(f"PostgreSQL not reachable: {e}")
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    get_engine(url).dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database URL: once SQLite, once PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cqf.db'}"
        migrate(url)
        return url
    url = request.getfixturevalue("pg_database")
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with get_engine(url).begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cqf.db'}"
    migrate(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Engine:
    return get_engine(db_url)


@pytest.fixture
def settings(tmp_path: Path, db_url_for_settings: str) -> Settings:
    """The bundled config.yaml, pointed at a test database and tmp folders."""
    return make_settings(tmp_path, db_url_for_settings)


@pytest.fixture
def db_url_for_settings(tmp_path: Path) -> str:
    """Override in a module (``db_url_for_settings = db_url``) to run on both backends."""
    url = f"sqlite:///{tmp_path / 'cqf.db'}"
    migrate(url)
    return url


def make_settings(tmp_path: Path, db_url: str, **overrides: object) -> Settings:
    env = {"CQF_DATABASE_URL": db_url}
    base = load_settings(ROOT / "config.yaml", env)
    export = base.export.model_copy(update={"site_dir": str(tmp_path / "site"),
                                            "led_dir": str(tmp_path / "led")})
    douyin = base.sources.douyin.model_copy(update={"watch_folder": str(tmp_path / "inbox")})
    sources = base.sources.model_copy(update={"douyin": douyin})
    media = base.media.model_copy(update={"dir": str(tmp_path / "media")})  # never the package's
    return base.model_copy(update={"export": export, "sources": sources, "media": media,
                                   **overrides})
