"""Alembic environment: migrations run on the connection store.db.migrate hands in."""

from alembic import context
from sqlmodel import SQLModel

import cqfriends.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from cqfriends.store.db import get_engine

target_metadata = SQLModel.metadata
config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        with get_engine(config.get_main_option("sqlalchemy.url")).connect() as connection:
            _run_on(connection)
            connection.commit()
    else:
        _run_on(connection)


def _run_on(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection, target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
