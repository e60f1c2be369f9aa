"""Participants' uploads: one row per work uploaded on the campaign page

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-02

The work itself is a post (source ``upload``) with its files in the media archive;
this row holds the consent given with it and the private contact data.
"""

import sqlalchemy as sa
from alembic import op

from cqfriends.store.models import UTCDateTime

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upload",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("receipt_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("participant", sa.String(length=32), nullable=False),
        sa.Column("section", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(), nullable=False, server_default=""),
        sa.Column("description", sa.String(), nullable=False, server_default=""),
        sa.Column("credit_name", sa.String(), nullable=False, server_default=""),
        sa.Column("country", sa.String(), nullable=False, server_default=""),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("consent_site", sa.Boolean(), nullable=False),
        sa.Column("consent_led", sa.Boolean(), nullable=False),
        sa.Column("consent_feeds", sa.Boolean(), nullable=False),
        sa.Column("terms_version", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("contact_deleted_at", UTCDateTime(), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("kind", sa.String(length=8), nullable=False, server_default=""),
    )
    op.create_index("ix_upload_post_id", "upload", ["post_id"])
    op.create_index("ix_upload_participant", "upload", ["participant"])
    op.create_index("ix_upload_created_at", "upload", ["created_at"])
    op.create_index("ix_upload_client_created", "upload", ["client", "created_at"])


def downgrade() -> None:
    op.drop_table("upload")
