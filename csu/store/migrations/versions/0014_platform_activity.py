"""platform activity: when each platform client last called the API (the dashboard),
and an index to count émargements per hour of an election

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    # recreate="never": a plain ALTER TABLE ADD COLUMN (other tables point at this one).
    with op.batch_alter_table("platform_client", recreate="never") as batch:
        batch.add_column(sa.Column("last_seen_at", UTC(), nullable=True))
    op.create_index(
        "ix_emargement_election_voted_at", "emargement", ["election_id", "voted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_emargement_election_voted_at", table_name="emargement")
    with op.batch_alter_table("platform_client", recreate="never") as batch:
        batch.drop_column("last_seen_at")
