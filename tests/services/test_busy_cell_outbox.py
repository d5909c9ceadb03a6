"""The outbox's statements on one voter's codes, and its retry pass, read a few pages
on PostgreSQL with an election's first-day statistics (tests/services/busy_cell.py),
whatever the day's backlog: a gateway down leaves every message pending in backoff.

Before: « a newer code was sent » walked the whole table (no index holds
``intervention_id``), abandoning the previous code walked every pending or failed message
of the cell (by the state's index), and the retry pass read every pending message to
find the due ones."""

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from csu.services import outbox
from csu.services.context import Deps
from tests.conftest import AGENT, NOW
from tests.services.busy_cell import (
    FEW_PAGES,
    analysed_empty,
    generic_pages,
    loaded,
    material_of,
    most_pages,
    run_sql,
    statements,
    table_pages,
)
from tests.services.intervention_support import Outbox

MESSAGES = "FROM outbound_message"


def _call_of(voter_id: int) -> str:
    """The intervention the fixture opened for this voter."""
    return f"00000000-0000-4000-8000-{voter_id:012d}"


def queue_otp(deps: Deps, voter_ids: str, state: str = "pending") -> None:
    """An SMS code for each voter ``voter_ids`` (SQL) selects, within their call, waiting
    for a retry an hour from now (the gateway is down)."""
    run_sql(
        deps,
        "INSERT INTO outbound_message (voter_id, election_id, intervention_id, purpose, "
        "channel, recipient_masked, recipient_sealed, typed_recipient, subject, body_sealed, "
        "state, attempts, next_attempt_at, created_at, created_by, expires_at) "
        "SELECT v.id, 'minint-2022', '00000000-0000-4000-8000-' || lpad(v.id::text, 12, '0'), "
        "'otp', 'sms', '06 ** ** ** 12', 'scellé', false, 'Code', 'scellé', "
        f"CAST(:state AS varchar), 1, :later, :now, 'agent', :later FROM ({voter_ids}) v",
        {"state": state, "now": NOW, "later": NOW + timedelta(hours=1)},
    )


@pytest.fixture(params=[1_000, 2_000], ids=lambda voters: f"{voters}-voters")
def busy_cell(postgres_deps: Deps, tmp_path: Path, request: pytest.FixtureRequest) -> Deps:
    """A call for each voter of the roll, and an SMS code for each still waiting, all
    after the day's tables were analysed empty."""
    loaded(postgres_deps, tmp_path, request.param)
    analysed_empty(postgres_deps, "intervention", "outbound_message")
    run_sql(
        postgres_deps,
        "INSERT INTO intervention (id, operator_login, election_id, voter_id, channel, "
        "opened_at) SELECT '00000000-0000-4000-8000-' || lpad(voter_id::text, 12, '0'), "
        "'agent', election_id, voter_id, 'telephone', :now FROM material",
        {"now": NOW},
    )
    queue_otp(postgres_deps, "SELECT id FROM voter")
    queue_otp(postgres_deps, "SELECT id FROM voter", state="sent")
    assert table_pages(postgres_deps, "outbound_message") >= 2 * FEW_PAGES
    return replace(postgres_deps, delivery=Outbox(tmp_path / "outbox"))


@pytest.mark.postgres
def test_a_code_replaced_by_a_newer_one_is_found_so_in_a_few_pages(busy_cell: Deps) -> None:
    _, voter_id = material_of(busy_cell, 100)
    with busy_cell.engine.connect() as connection:
        older = connection.exec_driver_sql(
            "SELECT min(id) FROM outbound_message WHERE voter_id = %(v)s", {"v": voter_id}
        ).scalar_one()
    queue_otp(busy_cell, f"SELECT {voter_id} AS id")  # a newer code, in the same call

    def delivered() -> None:
        assert outbox.deliver(busy_cell, [older]) == {older: "abandoned"}

    assert most_pages(busy_cell, delivered, lambda sql: "outbound_message.id >" in sql
                      ) < FEW_PAGES  # fmt: skip


@pytest.mark.postgres
def test_a_new_code_abandons_the_previous_one_in_a_few_pages(busy_cell: Deps) -> None:
    _, voter_id = material_of(busy_cell, 100)

    def abandoned() -> None:
        with busy_cell.writing() as session:
            ids = outbox.abandon_codes(session, AGENT, voter_id, _call_of(voter_id), "sms", NOW)
        assert len(ids) == 1

    assert most_pages(busy_cell, abandoned, lambda sql: MESSAGES in sql and "FOR UPDATE" in sql
                      ) < FEW_PAGES  # fmt: skip


@pytest.mark.postgres
def test_the_retry_pass_finds_the_due_messages_in_a_few_pages(busy_cell: Deps) -> None:
    # Its partial indexes (migration 0025) count once analysed: an index analysed empty
    # is taken for empty however it grew, and any of them would do. Autovacuum analyses
    # a table analysed empty after 50 rows; here, halfway through the backlog.
    run_sql(busy_cell, "ANALYZE outbound_message")
    queue_otp(busy_cell, "SELECT id FROM voter")

    def passed() -> None:
        assert outbox.deliver_due(busy_cell) == {}  # all in backoff

    assert most_pages(busy_cell, passed, lambda sql: MESSAGES in sql and "LIMIT" in sql
                      ) < FEW_PAGES  # fmt: skip


@pytest.mark.postgres
def test_the_retry_pass_keeps_to_its_indexes_in_a_generic_plan(busy_cell: Deps) -> None:
    # After a few runs psycopg prepares the statement, and PostgreSQL may plan it once
    # for any value: the states must be literals for its partial indexes to serve.
    run_sql(busy_cell, "ANALYZE outbound_message")
    queue_otp(busy_cell, "SELECT id FROM voter")
    with statements(busy_cell.engine) as seen:
        assert outbox.deliver_due(busy_cell) == {}
    passes = [(sql, values) for sql, values in seen if MESSAGES in sql and "LIMIT" in sql]
    assert len(passes) == 3  # pending and due, pending and expired, a stale claim
    for statement, parameters in passes:
        assert generic_pages(busy_cell.engine, statement, parameters) < FEW_PAGES
