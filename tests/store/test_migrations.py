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


def _run(url: str, direction: str, revision: str) -> None:
    from alembic import command

    from cqfriends.store.db import alembic_config, get_engine

    with get_engine(url).begin() as conn:
        config = alembic_config(url)
        config.attributes["connection"] = conn
        getattr(command, direction)(config, revision)


def test_the_dedup_index_keeps_its_keys_through_0012_and_back(db_url):
    from cqfriends.store.db import get_engine, session_scope
    from cqfriends.store.posts import upsert_posts
    from tests.factories import make_post

    engine = get_engine(db_url)
    with session_scope(engine) as session:  # the post table is the same before and after
        upsert_posts(session=session, posts=[make_post()])
    _run(db_url, "downgrade", "0011")
    with engine.begin() as conn:
        post_id = conn.exec_driver_sql("SELECT id FROM post").scalar()
        conn.exec_driver_sql("INSERT INTO dedup_key (key, post_id) VALUES "
                             f"('t0:1.2.3.4', {post_id}), ('m:ab', {post_id})")
    for direction, revision in (("upgrade", "head"), ("downgrade", "0011"), ("upgrade", "head")):
        _run(db_url, direction, revision)
        with engine.connect() as conn:
            assert sorted(conn.exec_driver_sql("SELECT key, post_id FROM dedup_key")) == [
                ("m:ab", post_id), ("t0:1.2.3.4", post_id)]
    test_migrated_schema_matches_the_models(engine)
