"""alerts: keyed hash of typed recipients, indexes for the alert windows

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString

# (index, table, column): what the alerts and the dashboard look up by.
INDEXES = (
    ("ix_outbound_message_recipient_hash", "outbound_message", "recipient_hash"),
    ("ix_intervention_caller_hash", "intervention", "caller_hash"),
    ("ix_verification_attempt_at", "verification_attempt", "at"),
    ("ix_voter_locked_until", "voter", "locked_until"),
)


def upgrade() -> None:
    # A mobile or personal address typed for one delivery, as a keyed hash: the alerts
    # compare them across voters without keeping them (csu.domain.alerts.contact_hash).
    with op.batch_alter_table("outbound_message", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("recipient_hash", AutoString(length=64), nullable=True))
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("outbound_message", recreate="never") as batch_op:
        batch_op.drop_column("recipient_hash")
