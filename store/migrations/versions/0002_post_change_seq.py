"""post.change_seq: a gap-free change sequence for export mirrors

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

A trigger numbers every change an export mirror must see (approval, takedown,
edit of an approved post) from the ``change_counter`` row.  The counter row is
locked until the writing transaction commits, so sequence numbers become
visible in order: a reader that has seen number N has seen every number < N.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# When an update must be mirrored: the post enters or leaves 'approved', or an
# approved post's shown fields change.
_WATCHED = ("section", "featured", "text", "url", "media", "author_name", "author_handle",
            "author_url", "lang")
_WHEN = ("(OLD.status IS NOT NEW.status AND (OLD.status = 'approved' OR NEW.status = 'approved'))"
         " OR (NEW.status = 'approved' AND ("
         + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _WATCHED) + "))")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION post_change_seq() RETURNS trigger AS $$
BEGIN
  INSERT INTO change_counter (name, value) VALUES ('post', 1)
  ON CONFLICT (name) DO UPDATE SET value = change_counter.value + 1
  RETURNING value INTO NEW.change_seq;
  RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

_SQLITE_BUMP = """
  INSERT OR IGNORE INTO change_counter (name, value) VALUES ('post', 0);
  UPDATE change_counter SET value = value + 1 WHERE name = 'post';
  UPDATE post SET change_seq = (SELECT value FROM change_counter WHERE name = 'post')
  WHERE id = NEW.id;
"""


def upgrade() -> None:
    op.create_table(
        "change_counter",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_seq", sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_post_change_seq"), ["change_seq"], unique=False)
    # Posts approved before this migration: numbered once, in id order.
    op.execute("UPDATE post SET change_seq = id WHERE status IN ('approved', 'removed')")
    op.execute("INSERT INTO change_counter (name, value) "
               "SELECT 'post', COALESCE(MAX(change_seq), 0) FROM post")
    if op.get_bind().dialect.name == "postgresql":
        when = _WHEN.replace(" IS NOT ", " IS DISTINCT FROM ")
        op.execute(_PG_FUNCTION)
        op.execute(f"CREATE TRIGGER post_change_seq_update BEFORE UPDATE ON post FOR EACH ROW "
                   f"WHEN ({when}) EXECUTE FUNCTION post_change_seq()")
        op.execute("CREATE TRIGGER post_change_seq_insert BEFORE INSERT ON post FOR EACH ROW "
                   "WHEN (NEW.status = 'approved') EXECUTE FUNCTION post_change_seq()")
    else:
        op.execute(f"CREATE TRIGGER post_change_seq_update AFTER UPDATE ON post FOR EACH ROW "
                   f"WHEN {_WHEN} BEGIN {_SQLITE_BUMP} END")
        op.execute(f"CREATE TRIGGER post_change_seq_insert AFTER INSERT ON post FOR EACH ROW "
                   f"WHEN NEW.status = 'approved' BEGIN {_SQLITE_BUMP} END")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS post_change_seq_update" +
               (" ON post" if op.get_bind().dialect.name == "postgresql" else ""))
    op.execute("DROP TRIGGER IF EXISTS post_change_seq_insert" +
               (" ON post" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS post_change_seq()")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_change_seq"))
        batch_op.drop_column("change_seq")
    op.drop_table("change_counter")
