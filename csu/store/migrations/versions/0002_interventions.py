"""interventions: caller, verification state, attempts and one-time codes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("voter") as batch:
        batch.add_column(sa.Column("failures_cleared_at", UTC(), nullable=True))
    with op.batch_alter_table("intervention") as batch:
        batch.add_column(sa.Column("caller_region", AutoString(length=8), nullable=True))
        batch.add_column(sa.Column("caller_hash", AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("president_login", AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("president_bureau", AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("verified_at", UTC(), nullable=True))
        batch.add_column(sa.Column("verified_factors", AutoString(length=300), nullable=True))
    # SQLite rebuilds the credential table to add the foreign key (nothing refers to it).
    with op.batch_alter_table("credential") as batch:
        batch.add_column(sa.Column("intervention_id", AutoString(length=36), nullable=True))
        batch.create_foreign_key(
            "fk_credential_intervention", "intervention", ["intervention_id"], ["id"]
        )
    op.create_table(
        "verification_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", AutoString(length=36), nullable=False),
        sa.Column("operator_login", AutoString(length=64), nullable=False),
        sa.Column("channel", AutoString(length=20), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("factors_tried", AutoString(length=300), nullable=False),
        sa.Column("factors_failed", AutoString(length=300), nullable=False),
        sa.ForeignKeyConstraint(["intervention_id"], ["intervention.id"]),
        sa.ForeignKeyConstraint(["voter_id"], ["voter.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_verification_attempt_voter_id", "verification_attempt", ["voter_id"], unique=False
    )
    op.create_table(
        "one_time_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", AutoString(length=36), nullable=False),
        sa.Column("factor", AutoString(length=20), nullable=False),
        sa.Column("secret_sealed", AutoString(length=200), nullable=False),
        sa.Column("sent_at", UTC(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.Column("used_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["intervention_id"], ["intervention.id"]),
        sa.ForeignKeyConstraint(["voter_id"], ["voter.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_one_time_code_voter_id", "one_time_code", ["voter_id"], unique=False)
    op.create_index(
        "ix_one_time_code_intervention_id", "one_time_code", ["intervention_id"], unique=False
    )


def downgrade() -> None:
    with op.batch_alter_table("credential") as batch:
        batch.drop_constraint("fk_credential_intervention", type_="foreignkey")
        batch.drop_column("intervention_id")
    op.drop_index("ix_one_time_code_intervention_id", table_name="one_time_code")
    op.drop_index("ix_one_time_code_voter_id", table_name="one_time_code")
    op.drop_table("one_time_code")
    op.drop_index("ix_verification_attempt_voter_id", table_name="verification_attempt")
    op.drop_table("verification_attempt")
    # recreate="never": plain ALTER TABLE DROP COLUMN (SQLite 3.35+); rebuilding the
    # tables would trip the foreign keys that point at them.
    with op.batch_alter_table("intervention", recreate="never") as batch:
        for column in (
            "verified_factors",
            "verified_at",
            "president_bureau",
            "president_login",
            "caller_hash",
            "caller_region",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("voter", recreate="never") as batch:
        batch.drop_column("failures_cleared_at")
