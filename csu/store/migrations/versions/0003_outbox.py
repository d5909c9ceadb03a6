"""transactional outbox of messages to voters

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "outbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("election_id", AutoString(length=64), nullable=True),
        sa.Column("intervention_id", AutoString(length=36), nullable=True),
        sa.Column("purpose", AutoString(length=40), nullable=False),
        sa.Column("channel", AutoString(length=10), nullable=False),
        sa.Column("recipient_masked", AutoString(length=340), nullable=False),
        sa.Column("recipient_sealed", sa.Text(), nullable=True),
        sa.Column("typed_recipient", sa.Boolean(), nullable=False),
        sa.Column("subject", AutoString(length=300), nullable=False),
        sa.Column("body_sealed", sa.Text(), nullable=True),
        sa.Column("state", AutoString(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(), nullable=False),
        sa.Column("claimed_at", UTC(), nullable=True),
        sa.Column("last_error", AutoString(length=500), nullable=True),
        sa.Column("reference", AutoString(length=300), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("created_by", AutoString(length=64), nullable=False),
        sa.Column("sent_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["election_id"], ["election.id"]),
        sa.ForeignKeyConstraint(["intervention_id"], ["intervention.id"]),
        sa.ForeignKeyConstraint(["voter_id"], ["voter.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("voter_id", "state", "created_at"):
        op.create_index(f"ix_outbound_message_{column}", "outbound_message", [column])


def downgrade() -> None:
    for column in ("voter_id", "state", "created_at"):
        op.drop_index(f"ix_outbound_message_{column}", table_name="outbound_message")
    op.drop_table("outbound_message")
