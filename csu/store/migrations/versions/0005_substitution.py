"""substitution requests (replacement material, S5)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "substitution_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", AutoString(length=64), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", AutoString(length=36), nullable=False),
        sa.Column("checklist", sa.Text(), nullable=False),
        sa.Column("identity_match", sa.Boolean(), nullable=False),
        sa.Column("email_sealed", sa.Text(), nullable=True),
        sa.Column("email_masked", AutoString(length=340), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("state", AutoString(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("requested_by", AutoString(length=64), nullable=False),
        sa.Column("requested_at", UTC(), nullable=False),
        sa.Column("decided_by", AutoString(length=64), nullable=True),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.Column("decision_note", AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(["election_id"], ["election.id"]),
        sa.ForeignKeyConstraint(["intervention_id"], ["intervention.id"]),
        sa.ForeignKeyConstraint(["voter_id"], ["voter.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("voter_id", "state"):
        op.create_index(f"ix_substitution_request_{column}", "substitution_request", [column])
    op.create_table(
        "substitution_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("new_material_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["material_id"], ["material.id"]),
        sa.ForeignKeyConstraint(["new_material_id"], ["material.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["substitution_request.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "material_id", name="uq_substitution_item"),
    )
    for column in ("request_id", "material_id"):
        op.create_index(f"ix_substitution_item_{column}", "substitution_item", [column])


def downgrade() -> None:
    for column in ("request_id", "material_id"):
        op.drop_index(f"ix_substitution_item_{column}", table_name="substitution_item")
    op.drop_table("substitution_item")
    for column in ("voter_id", "state"):
        op.drop_index(f"ix_substitution_request_{column}", table_name="substitution_request")
    op.drop_table("substitution_request")
