"""Back on the look-up with an intervention still open (Échap from the voter file): the
query is selected, so that the next matricule typed replaces it, and the look-up says
whom the intervention is open on (a newcomer typed the next matricule after the last
one, « MI12161814MI04242421 », and read « Aucun électeur ne correspond. »)."""

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from csu.app import CsuApp
from csu.screens.lookup import LookupScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    close_ui,
    demo_voter,
    in_call,
    log_in,
    notifications,
    open_voter_file,
    press,
    settle,
)


def open_call_line(app: CsuApp) -> Static:
    return app.screen.query_one("#open-call", Static)


async def type_slowly(pilot: Pilot[Any], text: str) -> None:
    """Keys as the agent types them, then the look-up's debounced search."""
    await pilot.press(*text)
    await pilot.pause(0.2)
    await settle(pilot)


async def test_the_next_matricule_typed_replaces_the_one_left_in_the_field(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter, other = demo_voter(demo_deps), demo_voter(demo_deps, "men-2022")
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "escape")
        assert isinstance(app.screen, LookupScreen)
        await type_slowly(pilot, other.matricule)
        assert app.screen.query_one("#search", Input).value == other.matricule
        assert "1 électeur —" in str(app.screen.query_one("#search-status", Static).content)


async def test_the_look_up_names_the_voter_the_intervention_is_still_open_on(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "escape")
        line = open_call_line(app)
        assert line.display
        said = str(line.content)
        assert said.startswith(
            f"Intervention toujours ouverte sur l'électeur de matricule {voter.matricule} "
            "(téléphone, ouverte à "
        )
        assert "tapez son matricule puis Entrée pour revenir à sa fiche" in said


async def test_the_line_goes_once_the_intervention_is_closed(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "escape")
        await open_voter_file(pilot, voter.matricule)
        await close_ui(pilot)
        await press(pilot, "escape")
        assert isinstance(app.screen, LookupScreen)
        assert not open_call_line(app).display


async def test_a_call_refused_on_another_voter_names_the_voter_of_the_open_one(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter, other = demo_voter(demo_deps), demo_voter(demo_deps, "men-2022")
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "escape")
        await open_voter_file(pilot, other.matricule)
        await press(pilot, "ctrl+n")
        assert any(
            f"Vous avez une intervention ouverte sur un autre électeur (matricule "
            f"{voter.matricule}) : rouvrez sa fiche" in said
            for said in notifications(app)
        ), notifications(app)



async def test_back_from_a_voter_opened_from_the_results_the_next_matricule_goes_to_the_field(
    app: CsuApp, demo_deps: Deps
) -> None:
    """The cursor came back to the results it had left: the matricule typed went nowhere,
    and Entrée reopened the voter still highlighted (newcomer run)."""
    other = demo_voter(demo_deps, "men-2022")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await type_slowly(pilot, "ma")  # several voters: Entrée then ↓ takes one of them
        await press(pilot, "down", "enter")
        assert isinstance(app.screen, VoterScreen)
        await press(pilot, "escape")
        assert app.screen.query_one("#search", Input).has_focus
        await type_slowly(pilot, other.matricule)
        assert app.screen.query_one("#search", Input).value == other.matricule
        await press(pilot, "enter")
        assert isinstance(app.screen, VoterScreen) and app.screen.voter_id == other.voter_id


async def test_a_character_typed_on_the_results_goes_to_the_field(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await type_slowly(pilot, "ma")
        await press(pilot, "down")
        assert app.screen.query_one("#results").has_focus
        await type_slowly(pilot, "r")
        search = app.screen.query_one("#search", Input)
        assert search.has_focus and search.value == "mar"
