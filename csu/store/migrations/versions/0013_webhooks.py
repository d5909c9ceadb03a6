"""webhooks: credential events queued for the platforms (signed, retried), each
client's sealed signing secret, and the prefix hash of an original credential

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    # recreate="never": a plain ALTER TABLE ADD COLUMN; rebuilding these tables would
    # trip the foreign keys that point at them (and lose credential's partial index).
    with op.batch_alter_table("platform_client", recreate="never") as batch:
        batch.add_column(sa.Column("webhook_secret_sealed", sa.Text(), nullable=True))
    with op.batch_alter_table("credential", recreate="never") as batch:
        batch.add_column(sa.Column("prefix_phc", AutoString(length=200), nullable=True))
    op.create_table(
        "webhook_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", AutoString(length=64), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("election_id", AutoString(length=64), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("event_type", AutoString(length=40), nullable=False),
        sa.Column("kind", AutoString(length=20), nullable=False),
        sa.Column("payload_sealed", sa.Text(), nullable=True),
        sa.Column("state", AutoString(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(), nullable=False),
        sa.Column("claimed_at", UTC(), nullable=True),
        sa.Column("last_error", AutoString(length=500), nullable=True),
        sa.Column("reference", AutoString(length=40), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("created_by", AutoString(length=64), nullable=False),
        sa.Column("sent_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["platform_client.id"]),
        sa.ForeignKeyConstraint(["election_id"], ["election.id"]),
        sa.ForeignKeyConstraint(["material_id"], ["material.id"]),
        sa.ForeignKeyConstraint(["credential_id"], ["credential.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_webhook_event_client_id", "webhook_event", ["client_id"])
    op.create_index("ix_webhook_event_material_id", "webhook_event", ["material_id"])
    op.create_index("ix_webhook_event_state", "webhook_event", ["state"])


def downgrade() -> None:
    op.drop_index("ix_webhook_event_state", table_name="webhook_event")
    op.drop_index("ix_webhook_event_material_id", table_name="webhook_event")
    op.drop_index("ix_webhook_event_client_id", table_name="webhook_event")
    op.drop_table("webhook_event")
    with op.batch_alter_table("credential", recreate="never") as batch:
        batch.drop_column("prefix_phc")
    with op.batch_alter_table("platform_client", recreate="never") as batch:
        batch.drop_column("webhook_secret_sealed")
