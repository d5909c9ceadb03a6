"""signed checkpoints of the journal (C2SP tlog-checkpoint notes)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root_hash", AutoString(length=64), nullable=False),
        sa.Column("origin", AutoString(length=200), nullable=False),
        sa.Column("key_name", AutoString(length=200), nullable=False),
        sa.Column("key_id", AutoString(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("created_by", AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_checkpoint_size", "checkpoint", ["size"])


def downgrade() -> None:
    op.drop_index("ix_checkpoint_size", table_name="checkpoint")
    op.drop_table("checkpoint")
