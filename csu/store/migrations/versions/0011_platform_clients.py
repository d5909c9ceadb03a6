"""platform clients: API keys of voting platforms, the elections they reach, and the
failed login checks counted per identifier

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "platform_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", AutoString(length=64), nullable=False),
        sa.Column("key_hash", AutoString(length=64), nullable=False),
        sa.Column("key_hint", AutoString(length=16), nullable=False),
        sa.Column("webhook_url", AutoString(length=500), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("created_by", AutoString(length=64), nullable=False),
        sa.Column("revoked_at", UTC(), nullable=True),
        sa.Column("revoked_by", AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "platform_client_election",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("election_id", AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["platform_client.id"]),
        sa.ForeignKeyConstraint(["election_id"], ["election.id"]),
        sa.PrimaryKeyConstraint("client_id", "election_id"),
    )
    op.create_table(
        "platform_login_failures",
        sa.Column("election_id", AutoString(length=64), nullable=False),
        sa.Column("identifier_hash", AutoString(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTC(), nullable=True),
        sa.Column("locked_until", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["election_id"], ["election.id"]),
        sa.PrimaryKeyConstraint("election_id", "identifier_hash"),
    )


def downgrade() -> None:
    op.drop_table("platform_login_failures")
    op.drop_table("platform_client_election")
    op.drop_table("platform_client")
