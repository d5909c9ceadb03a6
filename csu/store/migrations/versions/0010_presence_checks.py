"""presence checks: the S2 in-person check, requested by an agent, made by the president

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "presence_check",
        sa.Column("id", AutoString(length=36), nullable=False),
        sa.Column("intervention_id", AutoString(length=36), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("election_id", AutoString(length=64), nullable=True),
        sa.Column("bureau_code", AutoString(length=64), nullable=False),
        sa.Column("requested_by", AutoString(length=64), nullable=False),
        sa.Column("president_login", AutoString(length=64), nullable=False),
        sa.Column("requested_at", UTC(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.Column("status", AutoString(length=12), nullable=False),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.Column("document_type", AutoString(length=20), nullable=True),
        sa.Column("decline_reason", AutoString(length=300), nullable=True),
        sa.Column("used_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["intervention_id"], ["intervention.id"]),
        sa.ForeignKeyConstraint(["voter_id"], ["voter.id"]),
        sa.ForeignKeyConstraint(["election_id"], ["election.id"]),
        sa.ForeignKeyConstraint(["bureau_code"], ["bureau.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_presence_check_intervention_id", "presence_check", ["intervention_id"])
    op.create_index("ix_presence_check_voter_id", "presence_check", ["voter_id"])
    op.create_index("ix_presence_check_bureau_code", "presence_check", ["bureau_code"])
    op.create_index("ix_presence_check_status", "presence_check", ["status"])


def downgrade() -> None:
    op.drop_index("ix_presence_check_status", table_name="presence_check")
    op.drop_index("ix_presence_check_bureau_code", table_name="presence_check")
    op.drop_index("ix_presence_check_voter_id", table_name="presence_check")
    op.drop_index("ix_presence_check_intervention_id", table_name="presence_check")
    op.drop_table("presence_check")
