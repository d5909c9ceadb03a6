"""A note typed while the cursor is still on « Issue » in « Clore l'intervention » goes
to the note: the list takes no characters, and the note vanished, unsaid (newcomer run)."""

from textual.widgets import Select, TextArea

from csu.app import CsuApp
from csu.screens.intervention import InterventionCloseScreen
from csu.services.context import Deps
from tests.screens.conftest import SIZE, demo_voter, in_call, press


async def test_a_note_typed_on_the_issue_list_goes_to_the_note(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+w")
        window = app.screen
        assert isinstance(window, InterventionCloseScreen)
        assert window.focused is window.query_one("#close-outcome", Select)
        await press(pilot, *"Rappel demain")
        note = window.query_one("#close-note", TextArea)
        assert note.text == "Rappel demain"
        assert note.has_focus


async def test_a_space_on_the_issue_list_still_opens_it(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+w")
        outcome = app.screen.query_one("#close-outcome", Select)
        await press(pilot, "space")
        assert outcome.expanded
        assert app.screen.query_one("#close-note", TextArea).text == ""
