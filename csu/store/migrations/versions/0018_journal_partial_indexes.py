"""the journal's subject and intervention indexes hold only the entries that name one
(issue 16 §3)

Searches, logins and the desk's own views name no voter and no intervention, and they
are most of the journal. Each of their entries went into these two indexes all the same,
under NULL, where no filter of the review, the alerts or the timelines ever looks (each
compares the column with a value, which implies it is not NULL: both databases then use
the partial index).

The election's index stays whole. SQLite, without statistics, takes a partial index for
the smaller one: with the election's partial, a count on an election, an action and an
outcome read a quarter of a million entries through it (469 ms at 1,000,000 entries)
instead of the outcome's few thousand. A voter or an intervention is the most selective
filter there is: their partial indexes are the right choice.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMING = ("subject", "intervention")


def upgrade() -> None:
    for column in NAMING:
        op.drop_index(f"ix_journal_entry_{column}_seq", table_name="journal_entry")
        named = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            f"ix_journal_entry_{column}_seq",
            "journal_entry",
            [column, "seq"],
            sqlite_where=named,
            postgresql_where=named,
        )


def downgrade() -> None:
    for column in NAMING:
        op.drop_index(f"ix_journal_entry_{column}_seq", table_name="journal_entry")
        op.create_index(f"ix_journal_entry_{column}_seq", "journal_entry", [column, "seq"])
