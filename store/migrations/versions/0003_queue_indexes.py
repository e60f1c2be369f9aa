"""Indexes of the moderation queue (engagement order, language and source filters)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Measured with bench/queue.py: without them a filtered or engagement-ordered
claim scans every pending post (tens of ms at 100,000 pending on SQLite).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_post_queue_engagement", "post",
                    ["status", sa.text("(likes + comments + shares)")])
    op.create_index("ix_post_queue_lang", "post", ["status", "lang", "created_at"])
    op.create_index("ix_post_queue_source", "post", ["status", "source", "created_at"])


def downgrade() -> None:
    for name in ("ix_post_queue_source", "ix_post_queue_lang", "ix_post_queue_engagement"):
        op.drop_index(name, table_name="post")
