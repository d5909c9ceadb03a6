"""intervention: its number's first and last characters indexed for LIKE (PostgreSQL)

The journal's « Intervention » filter takes 8 characters of a number, its first or its
last (csu.services.journal_review.settled). PostgreSQL read the whole table for either:
its primary key's index serves « LIKE 'abc%' » only under the "C" collation, and « LIKE
'%abc' » never (40 ms at 500,000 interventions, before each search and export). These
indexes serve both whatever the collation: the number under a pattern operator class,
and its reverse (the ending, looked up as a beginning: csu.store.tables.ends_with).
SQLite, one workstation's table, has no reverse() and reads it whole.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_intervention_id_pattern": "id varchar_pattern_ops",
    "ix_intervention_id_reversed": "reverse(id) text_pattern_ops",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, definition in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON intervention ({definition})")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
