"""outbox: a message's expiry, its idempotency key and the link it carries

A one-time code or link delivered by a retry or a resend after it expired reached the
voter as « valable 2 minutes » and could not work; a link voided by a newer one was
still delivered; a slow SMS gateway got the same message twice. ``expires_at`` (when
what the message carries stops working: it is given up rather than delivered after),
``idempotency_key`` (the same on every attempt: the gateway can drop a copy) and
``link_token_id`` (the link it carries: abandoned once a newer link voids it). All
nullable: a message queued before this revision keeps going as it did.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
String = sqlmodel.sql.sqltypes.AutoString
TABLE = "outbound_message"
FOREIGN_KEY = "outbound_message_link_token_id_fkey"  # PostgreSQL's own naming


def _columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("expires_at", UTC(), nullable=True),
        sa.Column("idempotency_key", String(length=64), nullable=True),
        sa.Column("link_token_id", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds no foreign key to a table in place: the table is rebuilt (no other
        # table points at it).
        with op.batch_alter_table(TABLE, recreate="always") as batch:
            for column in _columns():
                batch.add_column(column)
            batch.create_foreign_key(FOREIGN_KEY, "link_token", ["link_token_id"], ["id"])
    else:
        for column in _columns():
            op.add_column(TABLE, column)
        op.create_foreign_key(FOREIGN_KEY, TABLE, "link_token", ["link_token_id"], ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(TABLE, recreate="always") as batch:
            batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
            for column in reversed(_columns()):
                batch.drop_column(column.name)
    else:
        op.drop_constraint(FOREIGN_KEY, TABLE, type_="foreignkey")
        for column in reversed(_columns()):
            op.drop_column(TABLE, column.name)
