"""dedup_key: one covering index (key, post_id), no foreign key

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

The checks write about a dozen index entries per post and look them up by key
only.  Three B-trees per row (the key index, a post_id index, and on PostgreSQL
a foreign-key check per row) made those writes a large share of an import; one
index on (key, post_id) answers the look-ups on its own.  Posts are never
deleted by cqfriends, so nothing relied on the cascade.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Text = sqlmodel.sql.sqltypes.AutoString


def _rebuild(*, foreign_key: bool) -> None:
    """SQLite cannot drop or add a foreign key in place: copy into a new table."""
    keys = [sa.ForeignKeyConstraint(["post_id"], ["post.id"], ondelete="CASCADE")] * foreign_key
    op.create_table(
        "dedup_key_new",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", Text(length=64), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        *keys,
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO dedup_key_new (id, key, post_id) "
               "SELECT id, key, post_id FROM dedup_key")
    op.drop_table("dedup_key")
    op.rename_table("dedup_key_new", "dedup_key")


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        _rebuild(foreign_key=False)
    else:
        op.drop_constraint("dedup_key_post_id_fkey", "dedup_key", type_="foreignkey")
        op.drop_index("ix_dedup_key_post_id", table_name="dedup_key")
        op.drop_index("ix_dedup_key_key", table_name="dedup_key")
    op.create_index("ix_dedup_key_key_post", "dedup_key", ["key", "post_id"])


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        _rebuild(foreign_key=True)
    else:
        op.drop_index("ix_dedup_key_key_post", table_name="dedup_key")
        op.create_foreign_key("dedup_key_post_id_fkey", "dedup_key", "post", ["post_id"], ["id"],
                              ondelete="CASCADE")
    op.create_index("ix_dedup_key_key", "dedup_key", ["key"])
    op.create_index("ix_dedup_key_post_id", "dedup_key", ["post_id"])
