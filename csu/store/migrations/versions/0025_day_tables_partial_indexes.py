"""the day tables' retry passes and open interventions read by partial indexes

The outbox's and the webhooks' retry passes (``deliver_due``, every few seconds on every
workstation) looked for the due rows among every pending one, by the state's index: a
receiver or a gateway down leaves the whole day's backlog pending in backoff, and the
pass read all of it each time (966 pages at 10,000 webhook events). Each branch of the
pass now has its partial index: a pending row by its next attempt (and, for a message,
its expiry), a row being sent by its claim. The dashboard's count of open interventions
walked every intervention of the day (there was no index on ``closed_at``): the open ones
now have theirs, by operator, which also serves the desk's « my open intervention ».

The conditions are written as the services write them, word for word: a query uses a
partial index only when its own condition holds the index's.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "state = 'pending'"
SENDING = "state = 'sending'"
# name -> (table, column, condition)
INDEXES = {
    "ix_outbound_message_pending_next": ("outbound_message", "next_attempt_at", PENDING),
    "ix_outbound_message_pending_expires": ("outbound_message", "expires_at", PENDING),
    "ix_outbound_message_sending_claimed": ("outbound_message", "claimed_at", SENDING),
    "ix_webhook_event_pending_next": ("webhook_event", "next_attempt_at", PENDING),
    "ix_webhook_event_sending_claimed": ("webhook_event", "claimed_at", SENDING),
    "ix_intervention_open_operator": ("intervention", "operator_login", "closed_at IS NULL"),
}


def upgrade() -> None:
    for name, (table, column, condition) in INDEXES.items():
        where = sa.text(condition)
        op.create_index(name, table, [column], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, (table, _, _) in reversed(INDEXES.items()):
        op.drop_index(name, table_name=table)
