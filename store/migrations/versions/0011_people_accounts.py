"""People across platforms: person, person_account, identity_answer

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-02

A person links accounts (source, id or @handle) that the checks or a moderator
found to be one participant; ``identity_answer`` keeps the moderators' "same
person?" answers (same / different), which beat the heuristic from then on.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import cqfriends.store.models

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC = cqfriends.store.models.UTCDateTime
Text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "person_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("source", Text(length=16), nullable=False),
        sa.Column("author_key", Text(length=128), nullable=False),
        sa.Column("label", Text(), nullable=False),
        sa.Column("linked_by", Text(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("linked_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "author_key", name="uq_person_account"),
    )
    op.create_index("ix_person_account_person_id", "person_account", ["person_id"])
    op.create_table(
        "identity_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_a", Text(length=150), nullable=False),
        sa.Column("account_b", Text(length=150), nullable=False),
        sa.Column("answer", Text(length=12), nullable=False),
        sa.Column("actor", Text(length=64), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_a", "account_b", name="uq_identity_answer"),
    )


def downgrade() -> None:
    op.drop_table("identity_answer")
    op.drop_index("ix_person_account_person_id", table_name="person_account")
    op.drop_table("person_account")
    op.drop_table("person")
