"""Escape in « Clore l'intervention » no longer throws a typed note away without a word
(probe B, item 8): with a note, it asks; « Reprendre la saisie » (and Escape again)
returns to the note as it was, « Abandonner la note » closes the window, the
intervention still open. Without a note, Escape closes at once as before."""

from textual.widgets import TextArea

from csu.app import CsuApp
from csu.screens.dialogs import ConfirmDialog
from csu.screens.intervention import InterventionCloseScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    click,
    demo_voter,
    in_call,
    journal_of,
    last_intervention,
    press,
    screen_text,
)

NOTE = "Rappel prévu demain matin, l'électeur cherche sa notice. " * 40


async def test_escape_with_a_note_asks_and_keeps_it(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+w")
        closing = app.screen
        assert isinstance(closing, InterventionCloseScreen)
        closing.query_one("#close-note", TextArea).text = NOTE
        await press(pilot, "escape")
        assert isinstance(app.screen, ConfirmDialog)
        text = screen_text(app)
        assert "Abandonner la note ?" in text and f"({len(NOTE)} caractères)" in text
        assert app.screen.focused is not None and app.screen.focused.id == "confirm-no"
        await press(pilot, "escape")  # back to the note
        assert app.screen is closing
        assert closing.query_one("#close-note", TextArea).text == NOTE
        assert closing.query_one("#close-note", TextArea).has_focus

        await click(pilot, "#close-cancel")  # « Annuler » asks too
        assert isinstance(app.screen, ConfirmDialog)
        await click(pilot, "#confirm-no")  # « Reprendre la saisie »
        assert app.screen is closing

        await press(pilot, "escape")
        await click(pilot, "#confirm-yes")  # « Abandonner la note »
        assert isinstance(app.screen, VoterScreen)
    steps = journal_of(demo_deps, last_intervention(demo_deps))
    assert "intervention_close" not in {action for action, _ in steps}  # still open


async def test_escape_without_a_note_closes_at_once(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+w")
        assert isinstance(app.screen, InterventionCloseScreen)
        app.screen.query_one("#close-note", TextArea).text = "  \n "  # blank: nothing to lose
        await press(pilot, "escape")
        assert isinstance(app.screen, VoterScreen)
