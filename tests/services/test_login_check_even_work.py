"""A login check does the same argon2 work whatever the identifier holds: at least one
verification at the dearest parameters of its election's credentials (CSU's own, and
the originals the platform hashed). An attack run timed an identifier whose original
was hashed cheaper than CSU's at 8 ms and an unknown one at 110 ms (its decoy at CSU's
cost): timing told which identifiers exist."""

import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from csu.domain.originals import cost_of
from csu.services import platform
from csu.services.originals import import_originals
from csu.services.platform import check_platform_login
from csu.services.platform_clients import Platform
from csu.services.rolls import ImportFailed
from csu.store.migrate import downgrade, upgrade
from csu.store.tables import OriginalsCost
from tests.conftest import ADMIN
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Caller,
    Desk,
    desk_fixture,
    entries,
)
from tests.services.test_platform import issue_both

CHEAP = PasswordHasher(time_cost=1, memory_cost=7 * 1024, parallelism=1)
DEAR = PasswordHasher(time_cost=2, memory_cost=8 * 1024, parallelism=1)
PLATFORM = Platform(id=1, name="plateforme", elections=frozenset({"minint-2022"}))
WRONG = {"security_key": "AAAAAAAAAAAAAAAA", "password": "aaaaaaaaaaaa"}


@pytest.fixture(autouse=True)
def measured_afresh() -> Iterator[None]:
    platform._durations.clear()
    platform._measuring.clear()
    yield
    platform._durations.clear()
    platform._measuring.clear()


Call = tuple[tuple[int, int, int], float]  # a verification's cost, and its floor


@pytest.fixture
def verified(monkeypatch: pytest.MonkeyPatch) -> list[list[Call]]:
    """The verifications of each check (a new list per check): cost and floor."""
    seen: list[list[Call]] = []
    real = platform._verify

    def spy(
        hasher: PasswordHasher, stored: str, value: str, floor: float = 0.0
    ) -> "Future[tuple[bool, float, float]]":
        seen[-1].append((cost_of(stored), floor))
        return real(hasher, stored, value, floor)

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


def check(desk: Desk, identifier: str, seen: list[list[Call]]) -> None:
    seen.append([])
    assert not check_platform_login(desk.deps, PLATFORM, "minint-2022", identifier, WRONG).valid


def costs(calls: list[Call]) -> list[tuple[int, int, int]]:
    return [cost for cost, _ in calls]


def stored_costs(desk: Desk) -> set[tuple[int, int, int]]:
    with desk.deps.reading() as session:
        return {
            (row.memory_kib, row.time_cost, row.parallelism)
            for row in session.exec(select(OriginalsCost)).all()
        }


def test_an_import_records_the_cost_of_its_originals(desk: Desk) -> None:
    originals(desk, desk.caller)
    assert stored_costs(desk) == {(7 * 1024, 1, 1)}


def test_each_cost_imported_is_kept_once(desk: Desk) -> None:
    originals(desk, desk.caller, DEAR)
    originals(desk, desk.neighbour, CHEAP)
    originals(desk, desk.southerner, CHEAP)
    assert stored_costs(desk) == {(8 * 1024, 2, 1), (7 * 1024, 1, 1)}


def test_an_unknown_identifier_is_checked_at_the_originals_cost(
    desk: Desk, verified: list[list[Call]]
) -> None:
    originals(desk, desk.caller)
    check(desk, "MI99999999", verified)
    assert (7 * 1024, 1, 1) in costs(verified[-1])


def test_an_original_a_cell_credential_and_an_unknown_identifier_hold_the_pool_alike(
    desk: Desk, verified: list[list[Call]]
) -> None:
    """One verification per secret, each holding its worker the same time: the floor."""
    originals(desk, desk.caller, CHEAP)
    issue_both(desk, desk.southerner)  # a key by keyed hash, a password by argon2
    check(desk, "MI99999999", verified)  # measures each cost once
    del verified[:]
    for identifier in (desk.caller.identifier, desk.southerner.identifier, "MI99999999"):
        check(desk, identifier, verified)
    assert [len(calls) for calls in verified] == [2, 2, 2], verified
    for calls in verified:  # the moving average may move between two checks
        assert len({floor for _, floor in calls}) == 1 and calls[0][1] > 0


def test_the_floor_is_the_slowest_cost_measured_with_a_margin(
    desk: Desk, verified: list[list[Call]]
) -> None:
    originals(desk, desk.caller, CHEAP)
    own = (desk.deps.hasher.memory_cost, desk.deps.hasher.time_cost, 1)
    platform._durations.update({(7 * 1024, 1, 1): 0.004, own: 0.2})  # CSU's the slower
    check(desk, desk.caller.identifier, verified)
    assert {floor for _, floor in verified[-1]} == {platform.FLOOR_MARGIN * 0.2}


def test_the_floor_follows_measured_times_not_parameters(
    desk: Desk, verified: list[list[Call]]
) -> None:
    """An attack run timed m=262144,t=1 at 330-600 ms and m=26215,t=10 at 130-210 ms:
    memory × passes ranked the second dearer, and the first class stood out."""
    big, many = (256 * 1024, 1, 1), (26214, 10, 1)  # m × t within MAX_WORK_KIB
    originals(desk, desk.caller, PasswordHasher(time_cost=1, memory_cost=256 * 1024, parallelism=1))
    originals(desk, desk.neighbour, PasswordHasher(time_cost=10, memory_cost=26214, parallelism=1))
    own = (desk.deps.hasher.memory_cost, desk.deps.hasher.time_cost, 1)
    platform._durations.update({big: 0.4, many: 0.2, own: 0.001})
    check(desk, "MI99999999", verified)
    assert {floor for _, floor in verified[-1]} == {platform.FLOOR_MARGIN * 0.4}


def test_a_burst_at_a_fresh_start_measures_each_cost_once(desk: Desk) -> None:
    originals(desk, desk.caller, CHEAP)
    work = platform._Work(costs=frozenset({(7 * 1024, 1, 1)}), decoy=(7 * 1024, 1, 1))
    assert work.floor() == (0.0, [(7 * 1024, 1, 1)])
    assert work.floor() == (0.0, [])  # another check meanwhile: no second measure
    platform._lasted((7 * 1024, 1, 1), 0.01)
    assert work.floor() == (platform.FLOOR_MARGIN * 0.01, [])


def test_a_cheap_verification_holds_its_worker_until_the_floor() -> None:
    phc = CHEAP.hash("secret")
    verdict, worked, held = platform._argon2_timed(CHEAP, phc, "secret", 0.3)
    assert verdict and worked < 0.3 <= held


def test_the_first_check_measures_each_cost_once(
    desk: Desk, verified: list[list[Call]]
) -> None:
    originals(desk, desk.caller, CHEAP)
    check(desk, desk.caller.identifier, verified)
    own = (desk.deps.hasher.memory_cost, desk.deps.hasher.time_cost, 1)
    assert costs(verified[-1])[2:] and set(costs(verified[-1])[2:]) == {(7 * 1024, 1, 1), own}
    check(desk, desk.caller.identifier, verified)
    assert len(verified[-1]) == 2


def test_without_originals_nothing_is_added_nor_held(
    desk: Desk, verified: list[list[Call]]
) -> None:
    """Every identifier does the same work already: decoys at CSU's cost."""
    issue_both(desk, desk.southerner)
    check(desk, desk.southerner.identifier, verified)
    check(desk, "MI99999999", verified)
    own = (desk.deps.hasher.memory_cost, desk.deps.hasher.time_cost, 1)
    assert verified == [[(own, 0.0)], [(own, 0.0)]]


def test_an_import_is_seen_by_the_next_check(
    desk: Desk, verified: list[list[Call]]
) -> None:
    check(desk, "MI99999999", verified)
    originals(desk, desk.caller)
    check(desk, "MI99999999", verified)
    assert (7 * 1024, 1, 1) not in costs(verified[0])
    assert (7 * 1024, 1, 1) in costs(verified[1])


def test_the_upgrade_reads_the_cost_of_the_originals_already_imported(desk: Desk) -> None:
    """0028 on a store where originals were imported before it: their dearest cost."""
    originals(desk, desk.caller, CHEAP)
    originals(desk, desk.neighbour, DEAR)
    downgrade(desk.deps.engine, "0027")
    upgrade(desk.deps.engine)
    assert stored_costs(desk) == {(7 * 1024, 1, 1), (8 * 1024, 2, 1)}


def test_a_refused_check_leaves_its_measures_to_another(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused (503) before it measured a cost, a check no longer leaves that cost out
    of every floor until a credential at it happens to be verified."""
    originals(desk, desk.caller, CHEAP)
    monkeypatch.setattr(platform._admission, "admit", lambda count: False)
    with pytest.raises(platform.ChecksSaturated):
        check_platform_login(desk.deps, PLATFORM, "minint-2022", "MI99999999", WRONG)
    assert platform._measuring == set()


def test_the_decoys_are_at_the_slowest_cost_measured(desk: Desk) -> None:
    originals(desk, desk.caller, CHEAP)
    originals(desk, desk.neighbour, DEAR)
    platform._durations.update({(7 * 1024, 1, 1): 0.3, (8 * 1024, 2, 1): 0.1})
    with desk.deps.reading() as session:
        definition = platform.get_definition(session, "minint-2022")
        work = platform._work_of(session, desk.deps.hasher, definition)
    assert work is not None and work.decoy == (7 * 1024, 1, 1)


def test_the_api_measures_the_known_costs_as_it_starts(desk: Desk) -> None:
    originals(desk, desk.caller, CHEAP)
    platform.warm_argon2_pool(desk.deps)
    for _ in range(200):
        if platform._duration_of((7 * 1024, 1, 1)) is not None:
            break
        time.sleep(0.05)
    assert platform._duration_of((7 * 1024, 1, 1)) is not None
    assert platform._measuring == set()


def test_an_import_bringing_a_fifth_cost_is_refused_whole(desk: Desk) -> None:
    def at(memory: int) -> PasswordHasher:
        return PasswordHasher(time_cost=1, memory_cost=memory, parallelism=1)

    def export(*lines: str) -> Path:
        path = desk.tmp_path / "originaux.csv"
        path.write_text("identifiant;type;hash;prefixe_hash\n" + "".join(lines), "utf-8")
        return path

    base = 7 * 1024
    for caller, key, password in ((desk.caller, base, base + 1),
                                  (desk.neighbour, base + 2, base + 3)):  # fmt: skip
        four = export(
            f"{caller.identifier};cle_securite;{at(key).hash('K7MPX2QD9RFAH3TW')};\n",
            f"{caller.identifier};mot_de_passe;{at(password).hash('k7Mpx2QD9rfa')};\n",
        )
        assert import_originals(desk.deps, ADMIN, four, "minint-2022").committed
    before = stored_costs(desk)
    assert len(before) == 4
    fifth = export(f"{desk.southerner.identifier};mot_de_passe;{at(base + 9).hash('x')};\n")
    with pytest.raises(ImportFailed, match="5 jeux de paramètres argon2id différents"):
        import_originals(desk.deps, ADMIN, fifth, "minint-2022")
    assert stored_costs(desk) == before
    refused = [e for e in entries(desk.deps) if e["outcome"] == "refusé"]
    assert refused and refused[-1]["details"]["written"] == 0
