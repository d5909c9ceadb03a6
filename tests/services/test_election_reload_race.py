"""A reload dropping a scrutin and the platform's feed recording a vote in it (or a roll
giving it to a material), at the same moment on PostgreSQL: whichever reads the election
first wins, and no émargement or material ever names a scrutin the stored file no longer
has. Each test holds one side inside its transaction, just after it read the election,
while the other starts."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update

from csu.domain.scrutins import ballots
from csu.fake_electorate import write_roll_csv
from csu.services import elections, emargement, rolls
from csu.services.context import ServiceError
from csu.services.emargement import BadEvents, EmargementEvent, ingest_emargements
from csu.services.platform_clients import Platform
from csu.store.tables import Emargement, Material
from tests.conftest import ADMIN
from tests.services.intervention_support import Desk, desk_fixture  # noqa: F401
from tests.services.test_elections_scrutins import load, scrutins_of, shipped, with_extra

NEOVOTE = Platform(id=1, name="neovote", elections=frozenset({"minint-2022"}))
VOTED = "2022-12-02T09:15:00Z"
ON_POSTGRESQL = pytest.mark.parametrize(
    "desk", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


class Held:
    """Replaces ``owner.name`` by a wrapper that stops (inside the caller's transaction)
    until released: ``reached`` says it got there."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
        self.reached, self.released = threading.Event(), threading.Event()
        real: Callable[..., Any] = getattr(owner, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            self.reached.set()
            assert self.released.wait(30)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, held)


def in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """``work`` started in a thread; the list gets its result or the exception raised."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as error:  # the test looks at it
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def race(
    monkeypatch: pytest.MonkeyPatch,
    held_at: tuple[Any, str],
    first: Callable[[], object],
    second: Callable[[], object],
) -> tuple[object, object]:
    """``first`` held at ``held_at`` (inside its transaction) while ``second`` starts
    and is given a second to get ahead; then both end. Their results or exceptions."""
    held = Held(monkeypatch, *held_at)
    one, first_outcome = in_thread(first)
    assert held.reached.wait(30)
    two, second_outcome = in_thread(second)
    two.join(1.0)  # without the lock, the second would get ahead meanwhile
    held.released.set()
    one.join(30)
    two.join(30)
    return first_outcome[0], second_outcome[0]


def with_cse_open_to_the_caller(desk: Desk) -> None:
    """The election gets « cse », which takes every voter, and the caller's material
    takes its scrutins from the file (as a roll without the « scrutins » column leaves
    it): the feed may record a vote in « cse » for it."""
    load(desk, with_extra(shipped("minint-2022")))
    with desk.deps.writing() as session:
        session.execute(
            update(Material).where(Material.id == desk.caller.material_id).values(scrutins=None)
        )


def feed_cse(desk: Desk) -> object:
    event = EmargementEvent("nv-race-cse", desk.caller.identifier, "cse", VOTED)
    return ingest_emargements(desk.deps, NEOVOTE, "minint-2022", [event])


def emargement_scrutins(desk: Desk) -> set[str]:
    with desk.deps.reading() as session:
        return set(session.execute(select(Emargement.scrutin_id)).scalars())


def assert_every_emargement_names_a_stored_scrutin(desk: Desk) -> None:
    assert emargement_scrutins(desk) <= set(scrutins_of(desk, "minint-2022"))


@ON_POSTGRESQL
def test_a_reload_dropping_a_scrutin_a_feed_is_recording_waits_and_is_refused(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_cse_open_to_the_caller(desk)
    fed, reloaded = race(  # the feed has read the election; the reload would drop « cse »
        monkeypatch, (emargement, "_record"),
        lambda: feed_cse(desk), lambda: load(desk, shipped("minint-2022")),
    )  # fmt: skip
    assert not isinstance(fed, Exception), fed
    assert fed.accepted == 1  # type: ignore[attr-defined]
    assert isinstance(reloaded, ServiceError) and "cse" in str(reloaded)
    assert "cse" in scrutins_of(desk, "minint-2022")
    assert_every_emargement_names_a_stored_scrutin(desk)


@ON_POSTGRESQL
def test_a_feed_recording_in_a_scrutin_a_reload_is_dropping_waits_and_is_refused(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_cse_open_to_the_caller(desk)
    # The reload has locked the election and found nothing naming « cse ».
    reloaded, fed = race(
        monkeypatch, (elections, "_dropping_used_scrutins"),
        lambda: load(desk, shipped("minint-2022")), lambda: feed_cse(desk),
    )  # fmt: skip
    assert reloaded is None  # load returns nothing: the reload went through
    assert isinstance(fed, BadEvents)
    assert "cse" in str(fed.faults)
    assert "cse" not in [s.id for s in ballots(elections_definition(desk))]
    assert emargement_scrutins(desk) == set()
    assert_every_emargement_names_a_stored_scrutin(desk)


def elections_definition(desk: Desk) -> Any:
    with desk.deps.reading() as session:
        return elections.get_definition(session, "minint-2022")


def import_caller_with_cse(desk: Desk) -> rolls.ImportReport:
    """The roll again, for the caller alone, whose « scrutins » column now names « cse »."""
    path = desk.tmp_path / "roll-cse.csv"
    write_roll_csv([desk.caller.row | {"scrutins": "csa|cse"}], path)
    return rolls.import_voters(desk.deps, ADMIN, path, "minint-2022")


def material_scrutins(desk: Desk) -> set[str]:
    with desk.deps.reading() as session:
        lists = session.execute(select(Material.scrutins).where(Material.scrutins.is_not(None)))
        return {scrutin for (listed,) in lists for scrutin in listed.split("|")}


@ON_POSTGRESQL
def test_a_reload_dropping_a_scrutin_a_roll_import_is_giving_waits_and_is_refused(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(desk, with_extra(shipped("minint-2022")))
    imported, reloaded = race(  # the import has read the election
        monkeypatch, (rolls, "_RollWriter"),
        lambda: import_caller_with_cse(desk), lambda: load(desk, shipped("minint-2022")),
    )  # fmt: skip
    assert not isinstance(imported, Exception), imported
    assert imported.committed, imported.errors  # type: ignore[attr-defined]
    assert isinstance(reloaded, ServiceError) and "cse" in str(reloaded)
    assert "cse" in scrutins_of(desk, "minint-2022")
    assert material_scrutins(desk) <= set(scrutins_of(desk, "minint-2022"))


@ON_POSTGRESQL
def test_a_roll_import_giving_a_scrutin_a_reload_is_dropping_waits_and_refuses_the_row(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(desk, with_extra(shipped("minint-2022")))
    reloaded, report = race(
        monkeypatch, (elections, "_dropping_used_scrutins"),
        lambda: load(desk, shipped("minint-2022")), lambda: import_caller_with_cse(desk),
    )  # fmt: skip
    assert reloaded is None  # the reload went through
    assert isinstance(report, rolls.ImportReport) and not report.committed
    assert [(error.column, "cse" in error.reason) for error in report.errors] == [
        ("scrutins", True)
    ]
    assert "cse" not in scrutins_of(desk, "minint-2022")
    assert material_scrutins(desk) <= set(scrutins_of(desk, "minint-2022"))
