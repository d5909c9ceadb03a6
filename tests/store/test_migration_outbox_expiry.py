"""Migration 0020 on a store in use: the outbox's messages stay, those queued before it
get no expiry, key nor link (they go on as they did), and the schema matches the tables
again, on SQLite (the table rebuilt) and PostgreSQL."""

from sqlalchemy import text

from csu.services.outbox import deliver
from csu.store.migrate import current_revision, downgrade, head_revision, upgrade
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
)
from tests.services.test_outbox import queue, stored
from tests.store.test_migrations import differences


def outbox_rows(desk: Desk) -> list[tuple[object, ...]]:
    with desk.deps.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, state, recipient_sealed, body_sealed, created_at "
                "FROM outbound_message ORDER BY id"
            )
        )
        return [tuple(row) for row in rows]


def test_the_outbox_keeps_its_messages_through_0020(desk: Desk) -> None:
    queue(desk)
    queue(desk, "email")
    downgrade(desk.deps.engine, "0019")
    before = outbox_rows(desk)
    upgrade(desk.deps.engine)
    assert current_revision(desk.deps.engine) == head_revision()
    assert outbox_rows(desk) == before
    assert differences(desk.deps.engine) == []


def test_a_message_queued_before_0020_is_still_delivered(desk: Desk) -> None:
    message_id = queue(desk)
    downgrade(desk.deps.engine, "0019")
    upgrade(desk.deps.engine)
    row = stored(desk, message_id)
    assert (row.expires_at, row.idempotency_key, row.link_token_id) == (None, None, None)
    assert deliver(desk.deps, [message_id]) == {message_id: "sent"}
