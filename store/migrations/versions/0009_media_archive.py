"""The media archive: one row per post media item and role (preview, full)

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01

Platform links expire (Meta's CDN after ~5 days, Douyin's within hours), so the
archive keeps our own copy of each work's photos and videos; see media/.
"""

import sqlalchemy as sa
from alembic import op

from cqfriends.store.models import JSONType, UTCDateTime

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("media_type", sa.String(length=8), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("retry_at", UTCDateTime(), nullable=True),
        sa.Column("fetched_at", UTCDateTime(), nullable=True),
        sa.Column("refreshed", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=True),
        sa.Column("mime", sa.String(length=48), nullable=True),
        sa.Column("container", sa.String(length=32), nullable=True),
        sa.Column("codec", sa.String(length=32), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("derived", JSONType, nullable=False),
        sa.Column("phash", sa.String(length=16), nullable=True),
        sa.UniqueConstraint("post_id", "position", "role", name="uq_media_item"),
    )
    op.create_index("ix_media_item_post_id", "media_item", ["post_id"])
    op.create_index("ix_media_item_state_retry", "media_item", ["state", "retry_at"])
    op.create_index("ix_media_item_sha256", "media_item", ["sha256"])
    op.create_index("ix_media_item_url_hash", "media_item", ["url_hash"])
    op.create_index("ix_media_item_phash", "media_item", ["phash"])


def downgrade() -> None:
    op.drop_table("media_item")
