"""The rows a retry pass takes (the outbox's messages, the platforms' webhook events):
branch by branch, each by its partial index (migration 0025).

One statement, ``ORDER BY id`` over the branches joined by OR, walked the primary key
past the whole backlog in backoff in the generic plan PostgreSQL may keep for a statement
psycopg prepared (79 pages at 2,000 messages, 156 at 4,000). Each branch on its own,
ordered as its index and with its state a literal as the index says it, stays a few
pages whatever the plan (tests/services/test_busy_cell_outbox.py, _webhooks.py)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

# One branch: (the state, a literal: tables.PENDING_SQL; the column its partial index
# orders by; the condition that makes a row due).
Branch = tuple[Any, Any, Any]


def due_ids(
    session: Session, id_column: Any, state_column: Any, branches: Sequence[Branch], limit: int
) -> list[int]:
    """The ids of the due rows, at most ``limit`` a branch, the ``limit`` lowest of all."""
    found = {
        row_id
        for state, order, condition in branches
        for row_id in session.execute(
            select(id_column).where(state_column == state, condition).order_by(order).limit(limit)
        ).scalars()
    }
    return sorted(found)[:limit]
