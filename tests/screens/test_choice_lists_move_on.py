"""An option picked in a window's list leaves the cursor on the list, and Tab goes on as
everywhere; Entrée right after the pick goes on too. Entrée, Entrée, Entrée opened the
list, picked, and opened it again (a newcomer run); a cursor that moved on by itself made
the Tab pressed next skip a field (the next one). A value set otherwise moves nothing."""

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Select

from csu.app import CsuApp
from csu.screens.intervention import InterventionOpenScreen
from csu.services.context import Deps
from tests.screens.conftest import SIZE, demo_voter, on_voter_file, press


async def channel_picked(pilot: Pilot[Any], deps: Deps) -> tuple[InterventionOpenScreen, Select]:
    """ctrl+n on a voter file, Entrée on « Canal »: its list, the channel shown picked."""
    await on_voter_file(pilot, demo_voter(deps))
    await press(pilot, "ctrl+n")
    window = pilot.app.screen
    assert isinstance(window, InterventionOpenScreen)
    channels = window.query_one("#open-channel", Select)
    channels.focus()
    await press(pilot, "enter")
    assert channels.expanded
    await press(pilot, "enter")
    await pilot.pause(0.1)
    assert not channels.expanded
    return window, channels


async def test_a_channel_picked_leaves_the_cursor_on_the_list(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        _, channels = await channel_picked(pilot, demo_deps)
        assert channels.has_focus


async def test_tab_after_the_pick_goes_to_the_next_field(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        window, _ = await channel_picked(pilot, demo_deps)
        await press(pilot, "tab", *"0612")
        assert window.focused is window.query_one("#open-caller")
        assert window.query_one("#open-caller").value == "0612"  # type: ignore[attr-defined]


async def test_entree_right_after_the_pick_goes_to_the_next_field(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        window, channels = await channel_picked(pilot, demo_deps)
        await press(pilot, "enter")
        assert window.focused is window.query_one("#open-caller")
        assert not channels.expanded


async def test_entree_on_a_list_come_back_to_opens_it(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        _, channels = await channel_picked(pilot, demo_deps)
        await press(pilot, "tab", "shift+tab")
        assert channels.has_focus
        await press(pilot, "enter")
        assert channels.expanded


async def test_a_channel_set_by_the_program_leaves_the_cursor(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+n")
        channels = app.screen.query_one("#open-channel", Select)
        channels.focus()
        await press(pilot)
        other = next(value for _, value in channels._options if value != channels.value)
        channels.value = other
        await pilot.pause(0.1)
        assert channels.has_focus
        await press(pilot, "enter")  # no pick: Entrée opens the list
        assert channels.expanded
