"""Server-side login sessions, author rules, the user's language, when a post was stored

Revision ID: 0006
Revises: 0009
Create Date: 2026-12-02

- ``login_session``: logout and password changes end a session on the server.
- ``author_rule``: block/trust an account from the console (audited), keyed by
  (source, author id or @handle).
- ``app_user.locale``: the console language a user chose (NULL: the browser's).
- ``post.stored_at``: when this system first stored the post; "time to decision"
  counts from it.  Existing posts get their first metric snapshot (which was taken
  when they were stored) or, failing that, ``collected_at``.
- ``ix_login_failure_pair``: throttling counts failures per (user name, client).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import cqfriends.store.models

revision = "0006"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC = cqfriends.store.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "login_session",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_session_username", "login_session", ["username"])
    op.create_table(
        "author_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("author_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "author_key", name="uq_author_rule"),
    )
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=16),
                                   nullable=True))
    with op.batch_alter_table("post") as batch:
        batch.add_column(sa.Column("stored_at", UTC(), nullable=True))
    op.execute("""
        UPDATE post SET stored_at = COALESCE(
            (SELECT MIN(s.taken_at) FROM metric_snapshot s WHERE s.post_id = post.id),
            collected_at)
    """)
    op.create_index("ix_login_failure_pair", "login_failure", ["username", "client", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_failure_pair", table_name="login_failure")
    with op.batch_alter_table("post") as batch:
        batch.drop_column("stored_at")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("locale")
    op.drop_table("author_rule")
    op.drop_index("ix_login_session_username", table_name="login_session")
    op.drop_table("login_session")
