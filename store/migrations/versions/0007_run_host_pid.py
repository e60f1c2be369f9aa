"""Collector runs record the host and pid of the process running them

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01

A new scheduler leader closes a run left open as "interrupted" only when the
process that opened it is dead (its pid on this host, its heartbeat elsewhere);
until now it closed every open run, a live process's included.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("collector_run", sa.Column("host", sa.String(255), nullable=True))
    op.add_column("collector_run", sa.Column("pid", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("collector_run") as batch:
        batch.drop_column("pid")
        batch.drop_column("host")
