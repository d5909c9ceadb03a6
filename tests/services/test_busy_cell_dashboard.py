"""The dashboard counts the open interventions in a few pages on PostgreSQL, however
many the day closed: the count walked every intervention of the day (no index held
``closed_at``). Their partial index (migration 0025) serves it once the table's
statistics have its size (see tests/services/test_busy_cell_outbox.py)."""

from pathlib import Path

import pytest

from csu.services.context import Deps
from csu.services.dashboard import dashboard
from tests.conftest import NOW, SUPERVISOR
from tests.services.busy_cell import (
    FEW_PAGES,
    analysed_empty,
    loaded,
    most_pages,
    run_sql,
    table_pages,
)

OPEN = 30  # one call under way for each agent of the cell


def _calls(deps: Deps, batch: int) -> None:
    """A call for each voter of the roll, closed; in the second batch the last OPEN
    still under way (the latest calls: the agents are on them)."""
    run_sql(
        deps,
        "INSERT INTO intervention (id, operator_login, election_id, voter_id, channel, "
        "opened_at, closed_at, outcome) SELECT md5(CAST(:batch AS text) || m.id)::uuid::text, "
        "'agent' || (m.id % 30), m.election_id, m.voter_id, 'telephone', :now, "
        "CASE WHEN :batch = 1 AND m.id > (SELECT max(id) FROM material) - :open THEN NULL "
        "ELSE :now END, 'resolu' FROM material m ORDER BY m.id",
        {"batch": batch, "now": NOW, "open": OPEN},
    )


@pytest.fixture(params=[2_000, 4_000], ids=lambda voters: f"{2 * voters}-calls")
def busy_cell(postgres_deps: Deps, tmp_path: Path, request: pytest.FixtureRequest) -> Deps:
    loaded(postgres_deps, tmp_path, request.param)
    analysed_empty(postgres_deps, "intervention")
    _calls(postgres_deps, 0)
    run_sql(postgres_deps, "ANALYZE intervention")  # as autovacuum would have, early
    _calls(postgres_deps, 1)
    assert table_pages(postgres_deps, "intervention") >= 2 * FEW_PAGES  # a walk would show
    return postgres_deps


@pytest.mark.postgres
def test_the_open_interventions_are_counted_in_a_few_pages(busy_cell: Deps) -> None:
    def shown() -> None:
        assert dashboard(busy_cell, SUPERVISOR).open_interventions == OPEN

    assert most_pages(busy_cell, shown, lambda sql: "FROM intervention" in sql
                      and "closed_at IS NULL" in sql) < FEW_PAGES  # fmt: skip
