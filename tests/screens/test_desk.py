"""The supervisor's desk is reached by function keys and the palette, for the roles
allowed only: an agent sees neither its keys nor its commands."""

from textual.widgets import DataTable

from csu.app import CsuApp
from csu.screens.commands import CsuCommands
from csu.screens.help import HelpScreen
from csu.screens.intervention_timeline import InterventionTimelineScreen
from csu.services.context import Deps
from csu.services.interventions import open_intervention
from tests.conftest import AGENT
from tests.screens.conftest import SIZE, demo_voter, log_in, press, settle
from tests.screens.shown import _drawn as drawn


def help_actions(app: CsuApp) -> list[str]:
    table = app.screen.query_one(DataTable)
    return [str(table.get_row_at(row)[1]) for row in range(table.row_count)]


async def palette_labels(app: CsuApp) -> list[str]:
    provider = CsuCommands(app.screen)
    return [str(hit.display) for hit in [hit async for hit in provider.discover()]]


async def test_an_agent_is_not_shown_the_supervisor_desk_keys(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "Journal" not in help_actions(app)
        assert "Opérateurs" not in help_actions(app)


async def test_a_supervisor_is_shown_the_desk_keys_but_not_the_admin_ones(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        await pilot.press("f1")
        await pilot.pause()
        actions = help_actions(app)
        assert {"Journal", "Tableau de bord", "Alertes", "Intégrité"} <= set(actions)
        assert "Opérateurs" not in actions


async def test_an_agent_pressing_a_desk_key_stays_where_he_is(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        before = app.screen
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen is before


async def test_the_palette_offers_the_agent_no_desk_screen(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        labels = await palette_labels(app)
        assert "Recherche d'électeur" in labels
        assert "Journal des interventions" not in labels


async def test_the_palette_offers_the_admin_the_operators_screen(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "admin")
        labels = await palette_labels(app)
        assert {"Journal des interventions", "Opérateurs", "Alertes"} <= set(labels)


async def test_an_agent_calling_a_desk_action_is_told_it_is_reserved(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        before = app.screen
        app.action_desk("journal")
        await pilot.pause()
        assert app.screen is before
        assert any("réservé" in n.message for n in app._notifications)


async def test_at_80x24_the_help_fits_opens_on_its_title_and_scrolls_to_the_keys(
    app: CsuApp,
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "agent")
        await pilot.press("f1")
        await pilot.pause()
        box = app.screen.query_one("#help-box")
        assert box.region.right <= 80  # 100 columns wide, its lines' ends were cut
        assert box.scroll_y == 0 and "Aide — Échap pour fermer" in drawn(app)
        table = app.screen.query_one(DataTable)
        assert app.screen.focused is table
        for _ in range(table.row_count):
            await pilot.press("down")
        await pilot.pause()
        assert "Palette de commandes" in drawn(app)  # the last key, brought into view


async def test_at_80x24_the_help_scrolls_back_to_its_title_with_the_arrows(
    app: CsuApp,
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "agent")
        await pilot.press("f1")
        await pilot.pause()
        box = app.screen.query_one("#help-box")
        table = app.screen.query_one(DataTable)
        for _ in range(table.row_count):
            await pilot.press("down")
        await pilot.pause()
        assert box.scroll_y > 0
        for _ in range(table.row_count):
            await pilot.press("up")
        await pilot.pause()
        assert box.scroll_y == 0 and "Aide — Échap pour fermer" in drawn(app)


async def test_at_80x24_home_brings_the_help_back_to_its_title(app: CsuApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "agent")
        await pilot.press("f1")
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        await pilot.press("home")
        await pilot.pause()
        assert app.screen.query_one("#help-box").scroll_y == 0


async def test_one_escape_leaves_the_desk_whatever_desk_screens_were_seen(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        entered_from = app.screen
        for key in ("f3", "f2", "f8", "f4", "f2"):
            await press(pilot, key)
        assert type(app.screen).__name__ == "JournalScreen"

        await press(pilot, "escape")

        assert app.screen is entered_from


async def test_a_desk_key_over_a_timeline_leaves_it_and_escape_still_leaves_the_desk(
    app: CsuApp, demo_deps: Deps
) -> None:
    """F2, i (an intervention's timeline), F8, F2, Escape: the Escape went back to the
    timeline, and the matricule a newcomer typed next went nowhere."""
    call = open_intervention(demo_deps, AGENT, demo_voter(demo_deps).voter_id, "phone")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        entered_from = app.screen
        await press(pilot, "f2")
        app.push_screen(InterventionTimelineScreen(call.id))
        await settle(pilot)
        for key in ("f8", "f2"):
            await press(pilot, key)
        assert type(app.screen).__name__ == "JournalScreen"
        assert not any(isinstance(s, InterventionTimelineScreen) for s in app.screen_stack)

        await press(pilot, "escape")

        assert app.screen is entered_from
