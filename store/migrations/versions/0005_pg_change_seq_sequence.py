"""PostgreSQL: change numbers from a sequence under a transaction lock

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

0002 numbered changes by updating one counter row per changed post.  On
PostgreSQL a transaction that changes many posts (a bulk approval) then
rewrites that row once per post and slows down quadratically (100,000 posts:
~4 minutes).  Now the trigger takes a transaction-scoped advisory lock (cheap
to take again in the same transaction) and draws from a sequence: the lock is
held until commit, so numbers still become visible in commit order and a change
cursor never skips a commit.  SQLite keeps the counter row (its writers are
serialized anyway and it updates rows in place).
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LOCK_KEY = 7_363_021  # any constant: the advisory lock that orders change numbers

_FUNCTION = f"""
CREATE OR REPLACE FUNCTION post_change_seq() RETURNS trigger AS $$
BEGIN
  PERFORM pg_advisory_xact_lock({LOCK_KEY});
  NEW.change_seq := nextval('post_change_seq_numbers');
  RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

_OLD_FUNCTION = """
CREATE OR REPLACE FUNCTION post_change_seq() RETURNS trigger AS $$
BEGIN
  INSERT INTO change_counter (name, value) VALUES ('post', 1)
  ON CONFLICT (name) DO UPDATE SET value = change_counter.value + 1
  RETURNING value INTO NEW.change_seq;
  RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE IF NOT EXISTS post_change_seq_numbers")
    op.execute("SELECT setval('post_change_seq_numbers', GREATEST(1, COALESCE("
               "(SELECT MAX(change_seq) FROM post), 0), COALESCE("
               "(SELECT value FROM change_counter WHERE name = 'post'), 0)))")
    op.execute(_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("INSERT INTO change_counter (name, value) "
               "SELECT 'post', COALESCE(MAX(change_seq), 0) FROM post "
               "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value")
    op.execute(_OLD_FUNCTION)
    op.execute("DROP SEQUENCE IF EXISTS post_change_seq_numbers")
