"""journal review indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

The supervisor's review lists entries newest first, filtered, one page at a time
(keyset on seq). Each filter column is indexed together with seq, so that the
database reads a page straight from the index in seq order and counts from the
index alone: on PostgreSQL a one-column index would make it fetch and sort every
matching row. On SQLite the one-column indexes already ended with the rowid (seq);
the composite ones replace them rather than doubling them, and outcome is new.
The ts index gains seq too: the range of seq a period spans is then read from the
index alone on PostgreSQL as well.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPLACED = ("ts", "operator", "election", "subject", "intervention", "action")
NEW = ("outcome",)


def upgrade() -> None:
    for column in REPLACED:
        op.drop_index(f"ix_journal_entry_{column}", table_name="journal_entry")
    for column in REPLACED + NEW:
        op.create_index(f"ix_journal_entry_{column}_seq", "journal_entry", [column, "seq"])


def downgrade() -> None:
    for column in REPLACED + NEW:
        op.drop_index(f"ix_journal_entry_{column}_seq", table_name="journal_entry")
    for column in REPLACED:
        op.create_index(f"ix_journal_entry_{column}", "journal_entry", [column])
