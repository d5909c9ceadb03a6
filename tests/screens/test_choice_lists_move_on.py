"""An option picked in a window's list takes the cursor on: Entrée, Entrée, Entrée opened
the list, picked, and opened it again, never reaching the window's button without Tab
(newcomer run). A value set otherwise moves nothing."""

from textual.widgets import Select

from csu.app import CsuApp
from csu.screens.credential import IssueScreen
from csu.services.context import Deps
from tests.screens.conftest import SIZE, call_verified, demo_voter, on_voter_file, press


async def test_a_kind_picked_with_entree_moves_the_cursor_on(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+k")
        window = app.screen
        assert isinstance(window, IssueScreen)
        kinds = window.query_one("#credential-kind", Select)
        kinds.focus()
        await press(pilot, "enter")  # the list opens
        assert kinds.expanded
        await press(pilot, "down", "enter")  # the next kind picked
        await pilot.pause(0.1)
        assert not kinds.expanded
        assert not kinds.has_focus and window.focused is not None


async def test_a_kind_set_by_the_program_leaves_the_cursor(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+k")
        kinds = app.screen.query_one("#credential-kind", Select)
        kinds.focus()
        await press(pilot)
        kinds.value = "password"
        await pilot.pause(0.1)
        assert kinds.has_focus


async def test_a_channel_picked_with_entree_moves_the_cursor_to_the_caller_s_number(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+n")
        window = app.screen
        channels = window.query_one("#open-channel", Select)
        channels.focus()
        await press(pilot, "enter")
        assert channels.expanded
        await press(pilot, "enter")  # the channel shown, picked again
        await pilot.pause(0.1)
        assert window.focused is window.query_one("#open-caller")
