"""contacts and escalation: the voter's home address and constituency (issue 14 §3),
the caller's presumed workstation, and the supervisors' queue of escalated cases (§5)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # recreate="never": plain ALTER TABLE ADD COLUMN (other tables point at these).
    with op.batch_alter_table("voter", recreate="never") as batch:
        batch.add_column(sa.Column("adresse_postale", sa.Text(), nullable=True))
        batch.add_column(sa.Column("circonscription", String(length=100), nullable=True))
    with op.batch_alter_table("intervention", recreate="never") as batch:
        batch.add_column(sa.Column("caller_presumed_workstation", sa.Boolean(), nullable=True))
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", String(length=36), nullable=False),
        sa.Column("election_id", String(length=64), nullable=True),
        sa.Column("voter_id", sa.Integer(), nullable=True),
        sa.Column("escalated_by", String(length=64), nullable=False),
        sa.Column("escalated_at", UTC(), nullable=False),
        sa.Column("deadline_at", UTC(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("callback_masked", String(length=40), nullable=True),
        sa.Column("callback_sealed", sa.Text(), nullable=True),
        sa.Column("owner_login", String(length=64), nullable=True),
        sa.Column("taken_at", UTC(), nullable=True),
        sa.Column("closed_at", UTC(), nullable=True),
        sa.Column("closed_by", String(length=64), nullable=True),
        sa.Column("outcome", String(length=20), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["election_id"], ["election.id"]),
        sa.ForeignKeyConstraint(["intervention_id"], ["intervention.id"]),
        sa.ForeignKeyConstraint(["voter_id"], ["voter.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("intervention_id"),
    )
    op.create_index("ix_escalation_voter_id", "escalation", ["voter_id"])
    op.create_index("ix_escalation_deadline_at", "escalation", ["deadline_at"])
    op.create_index("ix_escalation_owner_login", "escalation", ["owner_login"])
    op.create_index("ix_escalation_closed_at", "escalation", ["closed_at"])


def downgrade() -> None:
    op.drop_table("escalation")
    with op.batch_alter_table("intervention", recreate="never") as batch:
        batch.drop_column("caller_presumed_workstation")
    with op.batch_alter_table("voter", recreate="never") as batch:
        batch.drop_column("circonscription")
        batch.drop_column("adresse_postale")
