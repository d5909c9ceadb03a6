"""journal queue: on PostgreSQL an action queues its entry, a sequencer chains it

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

An action's transaction inserts its entry here, unsequenced (no position, no hash),
and commits it with its change; a sequencer (csu/store/sequencer.py) moves committed
entries into journal_entry in batches, one short transaction each, and deletes them
from the queue in that same transaction. So the chain head is locked by the
sequencer alone, no longer by every action (issue 16).

journal_entry stays append-only, untouched. The queue refuses UPDATE and TRUNCATE,
and a DELETE of an entry that is not in the chain: an entry leaves the queue only
by being integrated. The head may now move forward by a whole batch, but only onto
an entry that exists with the hash it records.

SQLite (one workstation) keeps the direct append: the table exists there too, empty,
so that both stores have the same schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_TRIGGERS = (
    """CREATE FUNCTION csu_journal_queue_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM journal_entry WHERE event_id = OLD.event_id
      ) THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'une entrée en attente ne quitte la file qu''en entrant au journal';
    END $$""",
    """CREATE TRIGGER journal_queue_guard BEFORE UPDATE OR DELETE ON journal_queue
    FOR EACH ROW EXECUTE FUNCTION csu_journal_queue_guard()""",
    """CREATE TRIGGER journal_queue_no_truncate BEFORE TRUNCATE ON journal_queue
    FOR EACH STATEMENT EXECUTE FUNCTION csu_journal_append_only()""",
)

# Forward by one or more entries, onto an entry that carries the hash the head records.
HEAD_FORWARD_BY_BATCH = """CREATE OR REPLACE FUNCTION csu_journal_head_forward()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.seq <= OLD.seq OR NEW.id <> OLD.id OR NOT EXISTS (
    SELECT 1 FROM journal_entry WHERE seq = NEW.seq AND hash = NEW.hash
  ) THEN
    RAISE EXCEPTION 'la tête du journal n''avance que sur une entrée enregistrée';
  END IF;
  RETURN NEW;
END $$"""

HEAD_FORWARD_BY_ONE = """CREATE OR REPLACE FUNCTION csu_journal_head_forward()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.seq <> OLD.seq + 1 OR NEW.id <> OLD.id THEN
    RAISE EXCEPTION 'la tête du journal avance d''une entrée à la fois';
  END IF;
  RETURN NEW;
END $$"""


def upgrade() -> None:
    op.create_table(
        "journal_queue",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.Identity(), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("queued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False,
                  server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # The time of the insert itself, not of its transaction's start: the wait
        # for integration is counted from (about) the commit.
        op.execute("ALTER TABLE journal_queue ALTER COLUMN queued_at SET DEFAULT clock_timestamp()")
        for statement in QUEUE_TRIGGERS:
            op.execute(statement)
        op.execute(HEAD_FORWARD_BY_BATCH)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM journal_queue")).scalar():
        raise RuntimeError("entries wait in journal_queue: run `csu audit integrate` first")
    if bind.dialect.name == "postgresql":
        op.execute(HEAD_FORWARD_BY_ONE)
        op.execute("DROP FUNCTION IF EXISTS csu_journal_queue_guard() CASCADE")
    op.drop_table("journal_queue")
