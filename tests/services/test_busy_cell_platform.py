"""The platform's login check reads one material's credentials in a few pages, on
PostgreSQL with an election's first-day statistics (tests/services/busy_cell.py): the
join on ``credential.status = 'active'`` walked the partial index of every active
credential of the cell (728 pages at 1,000 credentials), and the re-check after argon2
walked it too, looking for two ids (718)."""

from pathlib import Path

import pytest

from csu.services import platform
from csu.services.context import Deps
from csu.services.platform import check_platform_login
from csu.services.platform_clients import Platform
from tests.services.busy_cell import (
    ELECTION,
    FEW_PAGES,
    analysed_empty,
    loaded,
    material_of,
    most_pages,
    run_sql,
    table_pages,
)

NEOVOTE = Platform(id=1, name="neovote", elections=frozenset({ELECTION}))


@pytest.fixture(params=[1_000, 2_000], ids=lambda voters: f"{2 * voters}-credentials")
def busy_cell(postgres_deps: Deps, tmp_path: Path, request: pytest.FixtureRequest) -> Deps:
    """A security key and a password, active, for each of the roll's materials, issued
    after ``credential`` was analysed empty."""
    loaded(postgres_deps, tmp_path, request.param)
    analysed_empty(postgres_deps, "credential", "emargement", "platform_login_failures")
    for kind, scheme in (("security_key", "hmac-sha256"), ("password", "argon2id")):
        run_sql(
            postgres_deps,
            "INSERT INTO credential (material_id, kind, scheme, hash, status, issued_at, "
            "issued_by) SELECT id, CAST(:kind AS text), :scheme, md5(id::text) "
            "|| md5(CAST(:kind AS text) || id), 'active', now(), 'agent' FROM material",
            {"kind": kind, "scheme": scheme},
        )
    assert table_pages(postgres_deps, "credential") >= 2 * FEW_PAGES  # a walk would show
    return postgres_deps


def _identifier(deps: Deps, material_id: int) -> str:
    with deps.engine.connect() as connection:
        return str(
            connection.exec_driver_sql(
                "SELECT identifier FROM material WHERE id = %(m)s", {"m": material_id}
            ).scalar_one()
        )


@pytest.mark.postgres
def test_a_login_check_reads_the_materials_credentials_in_a_few_pages(busy_cell: Deps) -> None:
    material_id, _ = material_of(busy_cell, 100)
    identifier = _identifier(busy_cell, material_id)

    def check() -> None:
        answer = check_platform_login(
            busy_cell, NEOVOTE, ELECTION, identifier,
            {"security_key": "ABCD-EFGH-JKMN-PQRS", "password": "faux"},
        )  # fmt: skip
        assert not answer.valid

    assert most_pages(busy_cell, check, lambda sql: "JOIN credential" in sql
                      or "JOIN LATERAL" in sql) < FEW_PAGES  # fmt: skip


@pytest.mark.postgres
def test_the_recheck_after_argon2_reads_two_credentials_in_a_few_pages(busy_cell: Deps) -> None:
    material_id, _ = material_of(busy_cell, 100)
    with busy_cell.engine.connect() as connection:
        ids = list(
            connection.exec_driver_sql(
                "SELECT id FROM credential WHERE material_id = %(m)s", {"m": material_id}
            ).scalars()
        )

    def recheck() -> None:
        with busy_cell.writing() as session:
            assert platform._still_valid(session, material_id, ids) is not None

    assert most_pages(busy_cell, recheck, lambda sql: "FROM credential" in sql) < FEW_PAGES
