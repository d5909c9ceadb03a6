"""Entrée in the look-up opens a voter only when the search leaves no doubt: on the
phone, the first of several names opened in silence is as likely the wrong voter."""

from typing import Any

import pytest
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from csu.app import CsuApp
from csu.screens import lookup
from csu.screens.lookup import LookupScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from csu.store.tables import Material, Voter
from tests.screens.conftest import SIZE, journal_actions, log_in, screen_text, settle

# A name prefix shared by several demo voters (« Martin », « Marie »…).
MANY = "ma"


async def type_query(pilot: Pilot[Any], text: str) -> None:
    await pilot.click("#search")
    await pilot.press(*text)
    await pilot.pause(0.3)  # the search is debounced
    await settle(pilot)


def results(app: CsuApp) -> DataTable[Any]:
    return app.screen.query_one("#results", DataTable)


def status(app: CsuApp) -> str:
    return str(app.screen.query_one("#search-status", Static).content)


def searches(deps: Deps) -> int:
    return sum(1 for action, _ in journal_actions(deps) if action == "recherche")


async def enter_on_many(pilot: Pilot[Any]) -> None:
    await log_in(pilot, "agent")
    await type_query(pilot, MANY)
    assert results(pilot.app).row_count > 1  # type: ignore[arg-type]
    await pilot.press("enter")
    await settle(pilot)


async def test_enter_on_several_hits_opens_no_voter(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await enter_on_many(pilot)
        assert isinstance(app.screen, LookupScreen)
        assert "consultation" not in [action for action, _ in journal_actions(demo_deps)]


async def test_enter_on_several_hits_moves_into_the_results_on_the_first_row(
    app: CsuApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await enter_on_many(pilot)
        table = results(app)
        assert app.focused is table
        assert table.cursor_row == 0


async def test_enter_on_several_hits_says_how_many_and_to_choose(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await enter_on_many(pilot)
        said = status(app)
        assert said == (
            f"{results(app).row_count} électeurs : choisissez le bon avec ↑/↓ puis Entrée."
        )


async def test_several_hits_say_that_entree_chooses_in_the_list(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await type_query(pilot, MANY)
        count = results(app).row_count
        assert status(app) == f"{count} électeurs — Entrée ou ↓ pour choisir dans la liste."


async def test_down_then_enter_after_several_hits_opens_the_chosen_voter(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await enter_on_many(pilot)
        second = results(app).get_row_at(1)[0]  # its matricule
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, VoterScreen)
        assert str(second) in screen_text(app)


async def test_enter_on_several_hits_journals_the_search_once(
    app: CsuApp, demo_deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup, "SETTLE_SECONDS", 60)  # Entrée settles it, not a pause
    before = searches(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await enter_on_many(pilot)
        await pilot.press("enter")  # opens the highlighted voter: the same search
        await settle(pilot)
        assert isinstance(app.screen, VoterScreen)
    assert searches(demo_deps) == before + 1


async def test_enter_on_a_name_only_one_voter_bears_opens_that_voter(
    app: CsuApp, demo_deps: Deps
) -> None:
    with demo_deps.reading() as session:
        voter = session.exec(select(Voter).where(Voter.last_name.startswith("Dup"))).first()  # type: ignore[attr-defined]
    assert voter is not None
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await type_query(pilot, f"{voter.last_name} {voter.first_name}")
        assert results(app).row_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, VoterScreen)
        assert voter.matricule in screen_text(app)


async def test_enter_before_the_results_acts_on_what_the_field_holds(
    app: CsuApp, demo_deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A single hit on screen, then a query of several pasted and Entrée at once: the
    results on screen are not those of the field, so Entrée waits for them."""
    with demo_deps.reading() as session:
        voter = session.exec(select(Voter).limit(1)).one()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await type_query(pilot, voter.matricule)
        assert results(app).row_count == 1
        monkeypatch.setattr(lookup, "DEBOUNCE_SECONDS", 60)  # only Entrée searches now
        app.screen.query_one("#search", Input).value = MANY
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        assert results(app).row_count > 1
        assert app.focused is results(app)


async def test_enter_on_a_matricule_that_is_also_an_identifier_opens_its_voter(
    app: CsuApp, demo_deps: Deps
) -> None:
    """Two hits, one by its matricule and one whose material bears it as identifier:
    the matricule is unambiguous, Entrée opens its voter."""
    with demo_deps.writing() as session:
        first = session.exec(select(Voter).limit(1)).one()
        taken = select(Material.election_id).where(Material.identifier == first.matricule)
        material = session.exec(
            select(Material).where(
                Material.voter_id != first.id,
                Material.election_id.not_in(taken),  # type: ignore[attr-defined]
            )
        ).first()
        assert material is not None
        material.identifier = first.matricule
        session.add(material)
        matricule = first.matricule
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await type_query(pilot, matricule)
        assert results(app).row_count == 2
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, VoterScreen)
        assert matricule in screen_text(app)
