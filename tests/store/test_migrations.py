"""The migrations build exactly the tables of store/models.py, on SQLite and PostgreSQL."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import cqfriends.store.models  # noqa: F401


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # expression indexes cannot be compared on SQLite
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
