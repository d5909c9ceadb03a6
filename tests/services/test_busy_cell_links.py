"""Sending a one-time link voids the material's previous links in a few pages, on
PostgreSQL with an election's first-day statistics (tests/services/busy_cell.py):
``link_token`` has no index on ``material_id``, and the UPDATE read the whole table
(150 pages at 10,000 links)."""

import pytest

from tests.services.busy_cell import FEW_PAGES, analysed_empty, most_pages, run_sql, table_pages
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
)
from tests.services.test_vote_codes import send_sms, verified_teacher

LINKS = 4_000  # the cell's links of the day, other voters'


@pytest.mark.postgres
@pytest.mark.parametrize("desk", ["postgresql"], indirect=True)
def test_a_new_link_voids_the_previous_ones_in_a_few_pages(desk: Desk) -> None:
    deps = desk.deps
    analysed_empty(deps, "link_token")
    run_sql(
        deps,
        "INSERT INTO link_token (token_hash, purpose, voter_id, material_id, created_at, "
        "created_by, expires_at) SELECT md5(n::text || '-' || m.id), 'vote_code', m.voter_id, "
        "m.id, now(), 'agent', now() + interval '1 hour' FROM material m "
        "CROSS JOIN generate_series(1, :each) n WHERE m.id <> :teacher",
        {"each": LINKS // 10, "teacher": desk.teacher.material_id},
    )
    assert table_pages(deps, "link_token") >= 2 * FEW_PAGES  # a walk would show
    call_id = verified_teacher(desk)
    send_sms(desk, call_id)  # a first link, voided by the next

    def sent() -> None:
        send_sms(desk, call_id)

    assert most_pages(deps, sent, lambda sql: sql.startswith("UPDATE link_token")) < FEW_PAGES
