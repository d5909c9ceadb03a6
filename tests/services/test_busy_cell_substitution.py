"""A substitution request looks for a request already pending on its materials in a few
pages, on PostgreSQL with an election's first-day statistics (tests/services/busy_cell.py):
driven by ``state = 'pending'``, the look-up walked every pending request of the cell and
probed its items (1,640 pages at 1,000 pending requests)."""

from pathlib import Path

import pytest

from csu.services import substitution
from csu.services.context import Deps, ServiceError
from tests.services.busy_cell import (
    FEW_PAGES,
    analysed_empty,
    loaded,
    material_of,
    most_pages,
    run_sql,
)

WAITING = "FROM substitution_"  # what the look-up's statements read


@pytest.fixture(params=[1_000, 2_000], ids=lambda voters: f"{voters}-pending")
def busy_cell(postgres_deps: Deps, tmp_path: Path, request: pytest.FixtureRequest) -> Deps:
    """A pending request (and its item) for each of the roll's materials but the last,
    made after the day's tables were analysed empty."""
    loaded(postgres_deps, tmp_path, request.param)
    analysed_empty(postgres_deps, "intervention", "substitution_request", "substitution_item")
    run_sql(
        postgres_deps,
        "INSERT INTO intervention (id, operator_login, election_id, voter_id, channel, "
        "opened_at) SELECT md5(id::text)::uuid::text, 'agent', election_id, voter_id, "
        "'telephone', now() FROM material",
    )
    run_sql(
        postgres_deps,
        "INSERT INTO substitution_request (election_id, voter_id, intervention_id, checklist, "
        "identity_match, email_masked, declared_on, state, requested_by, requested_at) "
        "SELECT election_id, voter_id, md5(id::text)::uuid::text, '{}', true, 'x***@y.fr', "
        "current_date, 'pending', 'agent', now() FROM material "
        "WHERE id < (SELECT max(id) FROM material) ORDER BY id",
    )
    run_sql(
        postgres_deps,
        "INSERT INTO substitution_item (request_id, material_id) SELECT r.id, m.id "
        "FROM substitution_request r JOIN material m ON m.voter_id = r.voter_id",
    )
    # A walk probes the items of each pending request: a page or more each.
    with postgres_deps.engine.connect() as connection:
        pending = connection.exec_driver_sql("SELECT count(*) FROM substitution_request")
        assert pending.scalar_one() >= 40 * FEW_PAGES
    return postgres_deps


@pytest.mark.postgres
def test_a_material_without_pending_request_is_looked_up_in_a_few_pages(
    busy_cell: Deps,
) -> None:
    with busy_cell.engine.connect() as connection:
        last = connection.exec_driver_sql("SELECT max(id) FROM material").scalar_one()

    def refused() -> None:
        with busy_cell.reading() as session:
            substitution._refuse_if_pending(session, [last])

    assert most_pages(busy_cell, refused, lambda sql: WAITING in sql) < FEW_PAGES


@pytest.mark.postgres
def test_a_material_with_a_pending_request_is_refused_in_a_few_pages(busy_cell: Deps) -> None:
    material_id, _ = material_of(busy_cell, 100)

    def refused() -> None:
        with busy_cell.reading() as session, pytest.raises(ServiceError, match="attend déjà"):
            substitution._refuse_if_pending(session, [material_id])

    assert most_pages(busy_cell, refused, lambda sql: WAITING in sql) < FEW_PAGES


@pytest.mark.postgres
def test_a_decided_request_does_not_refuse_a_new_one(busy_cell: Deps) -> None:
    material_id, _ = material_of(busy_cell, 100)
    run_sql(
        busy_cell,
        "UPDATE substitution_request SET state = 'refused' WHERE id IN "
        "(SELECT request_id FROM substitution_item WHERE material_id = :m)",
        {"m": material_id},
    )
    with busy_cell.reading() as session:
        substitution._refuse_if_pending(session, [material_id])
