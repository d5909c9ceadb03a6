"""An open list stands out of what it covers: a newcomer found the journal's list of
actions, drawn over the table without a frame of its own colour, unreadable
(« 135 entaffichage d'une coordonnée masquée »), and its current choice hard to see."""

from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from csu.app import CsuApp
from tests.screens.conftest import SIZE, log_in, settle


async def test_the_journal_s_open_list_is_framed_and_shows_its_current_choice(
    app: CsuApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        await pilot.press("f2")
        await settle(pilot)
        chosen = app.screen.query_one("#journal-action", Select)
        chosen.focus()
        await pilot.press("enter", "down")
        await settle(pilot)
        overlay = chosen.query_one(SelectOverlay)
        assert chosen.expanded and overlay.region
        edge, colour = overlay.styles.border_top
        assert edge == "tall" and colour == app.current_theme.to_color_system().primary
        assert overlay.styles.background != app.screen.styles.background
        highlighted = overlay.get_component_rich_style("option-list--option-highlighted")
        assert highlighted.bold
