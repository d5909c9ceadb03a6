"""journal queue: an entry nested deeper than 32 levels is refused when queued

A well-formed entry whose details were nested thousands of levels deep passed the
queue's check (0021) and was chained into the append-only journal; from then on every
reader of it (the review, its entry's detail, the export) failed in Python's JSON
parser (RecursionError), for good. No entry CSU writes is nested more than a few levels.
The check is a trigger of its own, named to run after ``journal_queue_check`` (triggers
of one event run in name order), so that a body that is no JSON is told as such first.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_DEPTH = 32

DEPTH_CHECK = (
    f"""CREATE FUNCTION csu_journal_queue_depth() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- strict: lax mode would unwrap arrays and see items one level higher.
      IF jsonb_path_exists(csu_journal_fields(NEW.body), 'strict $.**{{{MAX_DEPTH}}}') THEN
        RAISE EXCEPTION
          'entrée refusée par la file du journal : contenu imbriqué sur plus de {MAX_DEPTH} niveaux'
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER journal_queue_depth BEFORE INSERT ON journal_queue
    FOR EACH ROW EXECUTE FUNCTION csu_journal_queue_depth()""",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # no queue on SQLite: CSU alone appends, through csu.store.journal
    for statement in DEPTH_CHECK:
        _run(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    _run("DROP FUNCTION IF EXISTS csu_journal_queue_depth() CASCADE")


def _run(statement: str) -> None:
    # On the driver's cursor, without parameters (see 0021: « % » and « : » in the text).
    cursor = op.get_bind().connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()
