"""A reason for the journal holds no more than the service keeps: the key past the
limit rings and the field says the limit once; a paste past it is refused and said.
Before, 301 characters typed were refused only on « Révéler », the whole text to cut."""

from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from csu.app import CsuApp
from csu.screens.voter import RevealScreen
from csu.services.context import Deps
from csu.services.reasons import MAX_REASON_LENGTH
from csu.widgets.paste_checked import REFUSED_TITLE
from csu.widgets.reason_input import limit_reached
from tests.screens.conftest import SIZE, demo_voter, notifications, on_voter_file, press


async def reveal_reason(pilot: Pilot[Any], deps: Deps) -> Input:
    await on_voter_file(pilot, demo_voter(deps, mobile=True), login="superviseur")
    await press(pilot, "ctrl+r")
    assert isinstance(pilot.app.screen, RevealScreen)
    field = pilot.app.screen.query_one("#reveal-reason", Input)
    field.focus()
    await pilot.pause()
    return field


async def test_a_key_past_the_reasons_limit_is_not_taken_and_the_limit_said_once(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        field = await reveal_reason(pilot, demo_deps)
        field.value = "x" * (MAX_REASON_LENGTH - 1)
        field.cursor_position = len(field.value)
        await press(pilot, "a", "b", "c")
        assert field.value == "x" * (MAX_REASON_LENGTH - 1) + "a"
        said = limit_reached("Motif", MAX_REASON_LENGTH)
        assert said == "Motif : 300 caractères au plus, la suite n'est pas prise."
        assert notifications(app).count(said) == 1


async def test_a_paste_past_the_reasons_limit_is_refused_whole(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        field = await reveal_reason(pilot, demo_deps)
        field.post_message(events.Paste("rappel " * 50))
        await pilot.pause()
        assert field.value == ""
        refused = [n.message for n in app._notifications if n.title == REFUSED_TITLE]
        assert refused == [
            "Motif : trop long, 350 caractères collés (300 au plus). Rien n'a été collé."
        ]


async def test_a_pasted_reason_with_a_control_character_is_refused_naming_it(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        field = await reveal_reason(pilot, demo_deps)
        field.post_message(events.Paste("rappel\x1b[2J de l'électeur"))
        await pilot.pause()
        assert field.value == ""
        assert any("Motif : " in n and "U+001B" in n for n in notifications(app))
