"""Index (status, id): approved posts in id order for export cursors

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

/api/v1/posts and the site build page through approved posts by id.  Without
this index SQLite picks a (status, ...) index, reads every approved post and
sorts them for each page: ~100 requests/s at 100,000 posts instead of >1,000
(bench/exports.py).
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_post_status_id", "post", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_post_status_id", table_name="post")
