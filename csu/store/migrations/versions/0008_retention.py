"""retention of personal data: elections remember when they were purged

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    # A voter of several elections is erased once all of them are purged: the purge
    # must know which were, whatever date or retention rule selected them then.
    with op.batch_alter_table("election", recreate="never") as batch:
        batch.add_column(sa.Column("purged_at", UTC(), nullable=True))


def downgrade() -> None:
    # recreate="never": plain ALTER TABLE DROP COLUMN (SQLite 3.35+); rebuilding the
    # table would trip the foreign keys that point at it.
    with op.batch_alter_table("election", recreate="never") as batch:
        batch.drop_column("purged_at")
