"""A CSU screen is styled once as it opens: its widgets take their styles as they mount,
and its first resume does not restyle the whole screen again (Textual does, to catch up
with what changed while a screen was hidden; an opening screen was never hidden)."""

from typing import Any

from textual.app import ComposeResult
from textual.events import ScreenResume
from textual.widgets import Input, Static

from csu.app import CsuApp
from csu.screens.base import CsuScreen
from csu.screens.lookup import LookupScreen
from csu.widgets.footer import KeysFooter
from tests.screens.conftest import SIZE, log_in


class Note(CsuScreen[None]):
    def __init__(self) -> None:
        super().__init__()
        self.restyles = 0

    def compose(self) -> ComposeResult:
        yield Static("Note", id="note-title")
        yield Input(id="note-text")
        yield KeysFooter()

    def update_node_styles(self, animate: bool = True) -> None:
        self.restyles += 1
        super().update_node_styles(animate)


async def test_a_screen_opening_is_not_restyled_whole(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        note = Note()
        await app.push_screen(note)
        await pilot.pause()
        assert app.screen is note
        assert note.restyles == 0


async def test_a_screen_resumed_later_is_restyled_as_textual_does(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        note = Note()
        await app.push_screen(note)
        await pilot.pause()
        note.post_message(ScreenResume())  # as when a screen above it goes
        await pilot.pause()
        assert note.restyles == 1


async def test_the_voter_search_opens_looking_as_after_a_whole_restyle(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        screen: Any = app.screen
        assert isinstance(screen, LookupScreen)
        for field in screen.query(Input):  # a blink between the two pictures is no restyle
            field.cursor_blink = False
        await pilot.pause()
        opened = app.export_screenshot()
        screen.update_node_styles(animate=False)
        await pilot.pause()
        assert app.export_screenshot() == opened
