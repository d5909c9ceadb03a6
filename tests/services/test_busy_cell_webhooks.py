"""The webhooks' retry pass finds the due events in a few pages on PostgreSQL, however
many are pending in backoff (a platform's receiver down all morning): it read every
pending event to find the due ones (966 pages at 10,000 events). Its partial indexes
(migration 0025) serve it once the table's statistics have its size (see
tests/services/test_busy_cell_outbox.py)."""

from datetime import timedelta
from pathlib import Path

import pytest

from csu.services import webhooks
from csu.services.context import Deps
from tests.conftest import NOW
from tests.services.busy_cell import (
    FEW_PAGES,
    analysed_empty,
    generic_pages,
    loaded,
    most_pages,
    run_sql,
    statements,
    table_pages,
)


def _pending(deps: Deps, batch: str) -> None:
    """An event for each material, in backoff: its next attempt in an hour."""
    run_sql(
        deps,
        "INSERT INTO webhook_event (message_id, client_id, election_id, material_id, "
        "event_type, kind, payload_sealed, state, attempts, next_attempt_at, created_at, "
        "created_by) SELECT 'msg_' || CAST(:batch AS text) || '_' || m.id, c.id, "
        "m.election_id, m.id, 'credential.issued', 'security_key', 'scellé', 'pending', 3, "
        ":later, :now, 'agent' FROM material m CROSS JOIN platform_client c",
        {"batch": batch, "now": NOW, "later": NOW + timedelta(hours=1)},
    )


@pytest.fixture(params=[1_000, 2_000], ids=lambda voters: f"{2 * voters}-events")
def busy_cell(postgres_deps: Deps, tmp_path: Path, request: pytest.FixtureRequest) -> Deps:
    """Two events in backoff for each material of the roll, the table analysed halfway."""
    loaded(postgres_deps, tmp_path, request.param)
    analysed_empty(postgres_deps, "webhook_event")
    run_sql(
        postgres_deps,
        "INSERT INTO platform_client (name, key_hash, key_hint, webhook_url, created_at, "
        "created_by) VALUES ('neovote', 'h', 'csu_', 'http://127.0.0.1:9/hook', :now, "
        "'admin')",
        {"now": NOW},
    )
    _pending(postgres_deps, "a")
    run_sql(postgres_deps, "ANALYZE webhook_event")  # as autovacuum would have, early
    _pending(postgres_deps, "b")
    assert table_pages(postgres_deps, "webhook_event") > FEW_PAGES  # a walk would show
    return postgres_deps


@pytest.mark.postgres
def test_the_retry_pass_finds_the_due_events_in_a_few_pages(busy_cell: Deps) -> None:
    def passed() -> None:
        assert webhooks.deliver_due(busy_cell) == {}  # all in backoff

    assert most_pages(busy_cell, passed, lambda sql: "FROM webhook_event" in sql
                      and "LIMIT" in sql) < FEW_PAGES  # fmt: skip


@pytest.mark.postgres
def test_the_retry_pass_keeps_to_its_indexes_in_a_generic_plan(busy_cell: Deps) -> None:
    with statements(busy_cell.engine) as seen:
        assert webhooks.deliver_due(busy_cell) == {}
    passes = [(sql, values) for sql, values in seen
              if "FROM webhook_event" in sql and "LIMIT" in sql]  # fmt: skip
    assert len(passes) == 2  # pending and due, a stale claim
    for statement, parameters in passes:
        assert generic_pages(busy_cell.engine, statement, parameters) < FEW_PAGES
