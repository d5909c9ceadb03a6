"""A voter's credentials, read by the voter's materials' ids: the active ones the note check
and the key-prefix factors compare with (csu.services.active_credentials), and those the
voter's file lists (csu.store.among).

On PostgreSQL each reading stays a few pages however many credentials the cell issued,
with the statistics an election's first day has: ``credential`` analysed while empty,
its rows issued since. The joins they replace walked every credential of the cell
(6,083 and 10,023 pages at 2,000 credentials; 954 ms with statistics never taken)."""

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import col

from csu.services import active_credentials
from csu.services.context import Deps
from csu.services.credential_text import code_check
from csu.services.elections import load_election
from csu.services.voters import open_voter
from csu.store.tables import Credential
from tests.conftest import ADMIN, AGENT
from tests.services.busy_cell import ELECTION, FEW_PAGES, statements, table_pages
from tests.services.busy_cell import loaded as _loaded
from tests.services.busy_cell import material_of as _material_of
from tests.services.busy_cell import pages as _pages
from tests.services.busy_cell import run_sql as _issue
from tests.services.intervention_support import ELECTIONS

ISSUED = 2_000  # active credentials of the cell, one a voter


def _pages_read(deps: Deps, call: Callable[[], object]) -> int:
    """The pages ``call``'s reads of ``credential`` and ``material`` touch, by their plans."""
    with statements(deps.engine) as seen:
        call()
    reads = [
        (statement, parameters)
        for statement, parameters in seen
        if statement.lstrip().upper().startswith("SELECT")
        and ("credential" in statement or "material" in statement)
    ]
    assert reads, "the call read no credential"
    return sum(_pages(deps.engine, statement, parameters) for statement, parameters in reads)


def _credential_pages(deps: Deps, call: Callable[[], object]) -> int:
    """The pages ``call``'s reads of ``credential`` touch, by their plans."""
    with statements(deps.engine) as seen:
        call()
    reads = [
        (statement, parameters)
        for statement, parameters in seen
        if statement.lstrip().upper().startswith("SELECT") and "FROM credential" in statement
    ]
    assert reads, "the call read no credential"
    return sum(_pages(deps.engine, statement, parameters) for statement, parameters in reads)


@pytest.fixture
def busy_cell(postgres_deps: Deps, tmp_path: Path) -> Deps:
    """An election's first day on PostgreSQL: the roll imported and analysed,
    ``credential`` analysed while empty, then ISSUED active security keys issued since
    (hashes of their real lengths, with the first characters' hash an original
    carries), the statistics not taken again."""
    _loaded(postgres_deps, tmp_path, ISSUED)
    _issue(postgres_deps, "ANALYZE material")
    _issue(postgres_deps, "ANALYZE credential")
    _issue(
        postgres_deps,
        "INSERT INTO credential (material_id, kind, scheme, hash, prefix_hash, prefix_phc, "
        "status, issued_at, issued_by) SELECT id, 'security_key', 'hmac-sha256', "
        "md5(id::text) || md5('k' || id), md5(id::text) || md5('p' || id), "
        "'$argon2id$v=19$m=65536,t=3,p=4$' || md5('s' || id) || '$' || md5(id::text) "
        "|| md5('h' || id), 'active', now(), 'agent' FROM material",
    )
    assert table_pages(postgres_deps, "credential") > 4 * FEW_PAGES  # walking the table would show
    return postgres_deps


@pytest.mark.postgres
def test_the_note_check_reads_a_voters_credentials_in_a_few_pages_in_a_busy_cell(
    busy_cell: Deps,
) -> None:
    _, voter_id = _material_of(busy_cell, ISSUED // 2)

    def check() -> None:
        with busy_cell.reading() as session:
            found = code_check(busy_cell, session, voter_id, ELECTION)
        assert found is not None and len(found.held) == 1

    assert _pages_read(busy_cell, check) < FEW_PAGES


@pytest.mark.postgres
def test_the_original_key_prefix_reads_a_voters_credentials_in_a_few_pages_in_a_busy_cell(
    busy_cell: Deps,
) -> None:
    _, voter_id = _material_of(busy_cell, ISSUED // 2)

    def check() -> None:
        with busy_cell.reading() as session:
            assert not active_credentials.key_prefix_matches(
                busy_cell.key, busy_cell.hasher, session, voter_id, ELECTION, "ABCDEF"
            )

    assert _pages_read(busy_cell, check) < FEW_PAGES


@pytest.mark.postgres
def test_the_voters_file_reads_their_credentials_in_a_few_pages_in_a_busy_cell(
    busy_cell: Deps,
) -> None:
    _, voter_id = _material_of(busy_cell, ISSUED // 2)

    def opened() -> None:
        file = open_voter(busy_cell, AGENT, voter_id)
        [material] = file.materials
        shown = {credential.kind: credential.status for credential in material.credentials}
        assert shown["security_key"] == "actif"

    assert _credential_pages(busy_cell, opened) < FEW_PAGES


@pytest.fixture
def two_elections(deps: Deps, tmp_path: Path) -> Deps:
    """A minint roll of 3 voters, each with an active key; the first voter's key revoked,
    then a new key and a password issued to them; the first voter also on men-2022's
    roll, with a key there."""
    _loaded(deps, tmp_path, 3)
    men = (ELECTIONS / "men-2022.toml").read_text(encoding="utf-8")
    load_election(deps, ADMIN, men, "men-2022.toml")
    _issue(
        deps,
        "INSERT INTO credential (material_id, kind, scheme, hash, status, issued_at, "
        "issued_by) SELECT id, 'security_key', 'hmac-sha256', 'cle-' || id, 'active', "
        "CURRENT_TIMESTAMP, 'agent' FROM material",
    )
    first, _ = _material_of(deps, 0)
    _issue(deps, f"UPDATE credential SET status = 'revoked' WHERE material_id = {first}")
    _issue(
        deps,
        "INSERT INTO credential (material_id, kind, scheme, hash, status, issued_at, "
        f"issued_by) VALUES ({first}, 'security_key', 'hmac-sha256', 'nouvelle', 'active', "
        f"CURRENT_TIMESTAMP, 'agent'), ({first}, 'password', 'argon2id', 'mot', 'active', "
        "CURRENT_TIMESTAMP, 'agent')",
    )
    _issue(
        deps,
        "INSERT INTO material (election_id, voter_id, capacity, identifier, bureau_code, "
        "status, created_at) SELECT 'men-2022', voter_id, capacity, identifier || 'M', "
        f"bureau_code, status, created_at FROM material WHERE id = {first}",
    )
    _issue(
        deps,
        "INSERT INTO credential (material_id, kind, scheme, hash, status, issued_at, "
        "issued_by) SELECT id, 'security_key', 'hmac-sha256', 'autre-scrutin', 'active', "
        "CURRENT_TIMESTAMP, 'agent' FROM material WHERE election_id = 'men-2022'",
    )
    return deps


def test_a_voters_active_credentials_are_those_of_their_material_in_the_election(
    two_elections: Deps,
) -> None:
    _, voter_id = _material_of(two_elections, 0)
    with two_elections.reading() as session:
        held = active_credentials.of_voter(
            session, voter_id, ELECTION, col(Credential.kind), col(Credential.hash)
        )
    assert [tuple(row) for row in held] == [("security_key", "nouvelle"), ("password", "mot")]


def test_a_voters_active_credentials_of_one_kind_leave_the_others_out(
    two_elections: Deps,
) -> None:
    _, voter_id = _material_of(two_elections, 0)
    with two_elections.reading() as session:
        held = active_credentials.of_voter(
            session, voter_id, ELECTION, col(Credential.hash), kind="password"
        )
    assert [tuple(row) for row in held] == [("mot",)]


def test_a_voters_active_credentials_in_another_election_are_left_out(
    two_elections: Deps,
) -> None:
    _, voter_id = _material_of(two_elections, 0)
    with two_elections.reading() as session:
        minint = active_credentials.of_voter(session, voter_id, ELECTION, col(Credential.hash))
        men = active_credentials.of_voter(session, voter_id, "men-2022", col(Credential.hash))
    assert [tuple(row) for row in minint] == [("nouvelle",), ("mot",)]
    assert [tuple(row) for row in men] == [("autre-scrutin",)]


def test_a_voter_has_no_active_credential_in_an_election_without_their_material(
    two_elections: Deps,
) -> None:
    _, voter_id = _material_of(two_elections, 1)
    with two_elections.reading() as session:
        hashes = col(Credential.hash)
        assert active_credentials.of_voter(session, voter_id, "men-2022", hashes) == []
        assert active_credentials.of_voter(session, None, ELECTION, hashes) == []
