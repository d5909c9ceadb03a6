"""scrutins: the scrutins a material's roll row gives, and the émargement per material
and scrutin (its time, its source, the platform's event id)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("material") as batch:
        batch.add_column(sa.Column("scrutins", sa.Text(), nullable=True))
    op.create_table(
        "emargement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", AutoString(length=64), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("scrutin_id", AutoString(length=64), nullable=False),
        sa.Column("voted_at", UTC(), nullable=False),
        sa.Column("source", AutoString(length=20), nullable=False),
        sa.Column("event_id", AutoString(length=100), nullable=True),
        sa.Column("recorded_at", UTC(), nullable=False),
        sa.Column("recorded_by", AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["election_id"], ["election.id"]),
        sa.ForeignKeyConstraint(["material_id"], ["material.id"]),
        sa.PrimaryKeyConstraint("id"),
        # Also the index of a material's émargements (material_id first).
        sa.UniqueConstraint("material_id", "scrutin_id", name="uq_emargement_scrutin"),
        sa.UniqueConstraint("election_id", "event_id", name="uq_emargement_event"),
    )


def downgrade() -> None:
    op.drop_table("emargement")
    with op.batch_alter_table("material") as batch:
        batch.drop_column("scrutins")
