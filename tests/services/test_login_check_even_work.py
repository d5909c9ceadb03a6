"""A login check does the same argon2 work whatever the identifier holds: at least one
verification at the dearest parameters of its election's credentials (CSU's own, and
the originals the platform hashed). An attack run timed an identifier whose original
was hashed cheaper than CSU's at 8 ms and an unknown one at 110 ms (its decoy at CSU's
cost): timing told which identifiers exist."""

from collections.abc import Iterator
from concurrent.futures import Future

import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from csu.domain.originals import cost_of
from csu.services import platform
from csu.services.originals import import_originals
from csu.services.platform import check_platform_login
from csu.services.platform_clients import Platform
from csu.store.migrate import downgrade, upgrade
from csu.store.tables import OriginalsCost
from tests.conftest import ADMIN
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Caller,
    Desk,
    desk_fixture,
)
from tests.services.test_platform import issue_both

CHEAP = PasswordHasher(time_cost=1, memory_cost=7 * 1024, parallelism=1)
DEAR = PasswordHasher(time_cost=2, memory_cost=8 * 1024, parallelism=1)
PLATFORM = Platform(id=1, name="plateforme", elections=frozenset({"minint-2022"}))
WRONG = {"security_key": "AAAAAAAAAAAAAAAA", "password": "aaaaaaaaaaaa"}


@pytest.fixture(autouse=True)
def costs_read_afresh() -> Iterator[None]:
    platform._originals_costs.clear()
    platform._durations.clear()
    yield
    platform._originals_costs.clear()
    platform._durations.clear()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the checks asked for (none made)."""
    asked: list[float] = []
    monkeypatch.setattr(platform, "_sleep", asked.append)
    return asked


@pytest.fixture
def verified(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[int, int, int]]]:
    """The costs each check verified at, check by check (a new list per check)."""
    seen: list[list[tuple[int, int, int]]] = []
    real = platform._verify

    def spy(hasher: PasswordHasher, stored: str, value: str) -> "Future[tuple[bool, float]]":
        seen[-1].append(cost_of(stored))
        return real(hasher, stored, value)

    monkeypatch.setattr(platform, "_verify", spy)
    return seen


def originals(desk: Desk, caller: Caller, hasher: PasswordHasher = CHEAP) -> None:
    path = desk.tmp_path / "originaux.csv"
    path.write_text(
        "identifiant;type;hash;prefixe_hash\n"
        f"{caller.identifier};cle_securite;{hasher.hash('K7MPX2QD9RFAH3TW')};\n"
        f"{caller.identifier};mot_de_passe;{hasher.hash('k7Mpx2QD9rfa')};\n",
        encoding="utf-8",
    )
    assert import_originals(desk.deps, ADMIN, path, "minint-2022").committed


def check(desk: Desk, identifier: str, seen: list[list[tuple[int, int, int]]]) -> None:
    seen.append([])
    assert not check_platform_login(desk.deps, PLATFORM, "minint-2022", identifier, WRONG).valid


def stored_cost(desk: Desk) -> tuple[int, int, int] | None:
    with desk.deps.reading() as session:
        row = session.exec(select(OriginalsCost)).first()
        return (row.memory_kib, row.time_cost, row.parallelism) if row else None


def test_an_import_records_the_cost_of_its_originals(desk: Desk) -> None:
    originals(desk, desk.caller)
    assert stored_cost(desk) == (7 * 1024, 1, 1)


def test_a_cheaper_import_keeps_the_dearer_cost(desk: Desk) -> None:
    originals(desk, desk.caller, DEAR)
    originals(desk, desk.neighbour, CHEAP)
    assert stored_cost(desk) == (8 * 1024, 2, 1)


def test_a_dearer_import_raises_it(desk: Desk) -> None:
    originals(desk, desk.caller, CHEAP)
    originals(desk, desk.neighbour, DEAR)
    assert stored_cost(desk) == (8 * 1024, 2, 1)


def test_an_unknown_identifier_is_checked_at_the_originals_cost(
    desk: Desk, verified: list[list[tuple[int, int, int]]]
) -> None:
    originals(desk, desk.caller)
    check(desk, "MI99999999", verified)
    assert (7 * 1024, 1, 1) in verified[-1]


def test_an_original_a_cell_credential_and_an_unknown_identifier_do_the_same_work(
    desk: Desk, verified: list[list[tuple[int, int, int]]]
) -> None:
    originals(desk, desk.caller, CHEAP)
    originals(desk, desk.neighbour, DEAR)  # the election's dearest
    issue_both(desk, desk.southerner)  # a key by keyed hash, a password by argon2
    check(desk, desk.neighbour.identifier, verified)  # measures the dearest once
    del verified[:]
    for identifier in (desk.caller.identifier, desk.southerner.identifier, "MI99999999"):
        check(desk, identifier, verified)
    assert [len(costs) for costs in verified] == [2, 2, 2], verified  # one per secret


def test_a_check_cheaper_than_the_dearest_waits_for_its_time(
    desk: Desk, verified: list[list[tuple[int, int, int]]], waits: list[float]
) -> None:
    originals(desk, desk.caller, CHEAP)
    originals(desk, desk.neighbour, DEAR)
    platform._durations[(8 * 1024, 2, 1)] = 5.0  # as long as one lasts here, say
    check(desk, desk.caller.identifier, verified)
    assert verified[-1] == [(7 * 1024, 1, 1)] * 2  # its own, cheaper, then the wait
    assert len(waits) == 1 and 4.0 < waits[0] <= 5.0


def test_the_first_check_measures_a_verification_at_the_dearest(
    desk: Desk, verified: list[list[tuple[int, int, int]]]
) -> None:
    originals(desk, desk.caller, CHEAP)
    originals(desk, desk.neighbour, DEAR)
    check(desk, desk.caller.identifier, verified)
    assert verified[-1][-1] == (8 * 1024, 2, 1)
    assert platform._duration_of((8 * 1024, 2, 1)) is not None


def test_without_originals_nothing_is_added_nor_waited_for(
    desk: Desk, verified: list[list[tuple[int, int, int]]], waits: list[float]
) -> None:
    """Every identifier does the same work already: decoys at CSU's cost."""
    issue_both(desk, desk.southerner)
    check(desk, desk.southerner.identifier, verified)
    check(desk, "MI99999999", verified)
    own = (desk.deps.hasher.memory_cost, desk.deps.hasher.time_cost, 1)
    assert verified == [[own], [own]]
    assert waits == []


def test_an_import_is_seen_by_the_checks_within_the_cache_time(
    desk: Desk, verified: list[list[tuple[int, int, int]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    check(desk, "MI99999999", verified)  # cached: no originals yet
    originals(desk, desk.caller)
    monkeypatch.setattr(platform, "ORIGINALS_COST_TTL_S", 0.0)
    check(desk, "MI99999999", verified)
    assert (7 * 1024, 1, 1) not in verified[0] and (7 * 1024, 1, 1) in verified[1]




def test_the_upgrade_reads_the_cost_of_the_originals_already_imported(desk: Desk) -> None:
    """0028 on a store where originals were imported before it: their dearest cost."""
    originals(desk, desk.caller, CHEAP)
    originals(desk, desk.neighbour, DEAR)
    downgrade(desk.deps.engine, "0027")
    upgrade(desk.deps.engine)
    assert stored_cost(desk) == (8 * 1024, 2, 1)
