"""The command palette (ctrl+p) offers CSU's own commands only, in French: none of
Textual's system commands (Screenshot, Keys, Maximize, Quit, Theme), and no way to save
an image of a voter file."""

from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.command import Command, CommandInput, CommandList, CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen

from csu.app import CsuApp
from csu.screens.commands import COMMANDS, NO_MATCH, _run_or_say_why
from csu.screens.intervention import InterventionOpenScreen
from csu.screens.login import LoginScreen
from csu.screens.lookup import LookupScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    demo_voter,
    journal_actions,
    log_in,
    notifications,
    on_voter_file,
    press,
    settle,
)

FRENCH_LABELS = {label for label, *_ in COMMANDS} | {NO_MATCH}
TEXTUAL_COMMANDS = ("Screenshot", "Keys", "Maximize", "Minimize", "Quit", "Theme")


def labels_of(screen: type[Screen[Any]]) -> set[str]:
    """The French descriptions of a screen's own keys."""
    return {binding.description for binding in screen.BINDINGS if isinstance(binding, Binding)}


async def palette(pilot: Pilot[Any], query: str = "") -> list[str]:
    """Opens the palette, types ``query`` and returns the commands it lists."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette)
    if query:
        await pilot.press(*query)
    await pilot.pause(0.6)  # the palette gathers its providers' hits in the background
    await pilot.pause()
    options = pilot.app.screen.query_one(CommandList)
    return [
        str(option.hit.text)
        for option in (options.get_option_at_index(i) for i in range(options.option_count))
        if isinstance(option, Command)
    ]


async def test_the_palette_lists_csu_commands_only_in_french(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        listed = await palette(pilot)
        assert {"Journal des interventions", "Thème clair ou sombre", "Quitter"} <= set(listed)
        assert set(listed) <= FRENCH_LABELS | labels_of(LookupScreen)
        assert not set(listed) & set(TEXTUAL_COMMANDS)


@pytest.mark.parametrize("name", TEXTUAL_COMMANDS)
async def test_a_textual_system_command_is_not_found(app: CsuApp, name: str) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        listed = await palette(pilot, name.lower())
        # « quit » finds « Quitter », CSU's own: never Textual's.
        assert listed and set(listed) <= FRENCH_LABELS


async def test_the_search_field_speaks_french(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await palette(pilot)
        assert app.screen.query_one(CommandInput).placeholder == "Rechercher une commande…"


async def test_before_login_the_palette_offers_help_theme_and_quit(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert set(await palette(pilot)) == {"Aide", "Thème clair ou sombre", "Quitter"}


async def test_quitter_closes_the_session_in_the_journal(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        assert await palette(pilot, "quitter") == ["Quitter"]
        await pilot.press("enter")
        await settle(pilot)
    assert app.return_code == 0
    assert ("logout", "ok") in journal_actions(demo_deps)


async def test_no_screenshot_of_a_voter_file_can_be_saved(
    app: CsuApp, demo_deps: Deps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where Textual saves a screenshot by default
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter, login="superviseur")
        assert isinstance(app.screen, VoterScreen)
        await press(pilot, "ctrl+s")
        await app.run_action("screenshot")
        assert app.save_screenshot(path=str(tmp_path)) == ""
        assert app.deliver_screenshot(path=str(tmp_path)) is None
        await pilot.pause()
        assert isinstance(app.screen, VoterScreen)
        assert any("Capture d'écran désactivée" in n for n in notifications(app))
    assert [path.name for path in tmp_path.rglob("*.svg")] == []


async def test_ctrl_c_outside_a_field_says_in_french_how_to_quit(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter)
        await press(pilot, "ctrl+c")
        assert isinstance(app.screen, VoterScreen)
        assert notifications(app)[-1] == "Pour quitter : ctrl+q (ou ctrl+o pour vous déconnecter)."


def helps(app: CsuApp) -> dict[str, str]:
    """Each command the open palette lists, and the help line under it."""
    options = app.screen.query_one(CommandList)
    found = (options.get_option_at_index(i) for i in range(options.option_count))
    return {
        str(option.hit.text): str(option.hit.help or "")
        for option in found
        if isinstance(option, Command)
    }


async def test_the_palette_offers_the_voter_files_actions_with_their_keys(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps))
        listed = await palette(pilot)
        assert {"Nouvelle intervention", "Vérifier", "Autre procédure"} <= set(listed)
        assert helps(app)["Nouvelle intervention"] == "Touche ctrl+n"


async def test_an_action_chosen_in_the_palette_is_done(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps))
        await palette(pilot, "Nouvelle interv")
        await press(pilot, "enter")
        assert isinstance(app.screen, InterventionOpenScreen)


async def test_a_greyed_action_is_listed_with_why_and_choosing_it_says_so(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps))
        await palette(pilot, "Vérifier")
        help_line = helps(app)["Vérifier"]
        assert help_line.startswith("Touche ctrl+e — indisponible : ")
        reason = help_line.removeprefix("Touche ctrl+e — indisponible : ")
        await press(pilot, "enter")
        assert isinstance(app.screen, VoterScreen)
        assert notifications(app)[-1] == reason


async def test_the_palette_leaves_out_what_the_role_may_never_do(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps))
        listed = await palette(pilot)
        assert "Révéler, écarter" not in listed  # a supervisor's
        assert "Déverrouiller" not in listed


async def test_the_palette_offers_no_widgets_keys_in_english(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")  # the look-up's search field focused
        listed = await palette(pilot)
        assert set(listed) <= FRENCH_LABELS | labels_of(LookupScreen)


async def test_an_action_refused_by_the_time_it_is_chosen_says_why(
    app: CsuApp, demo_deps: Deps
) -> None:
    """Listed as possible, then refused (the call closed while the palette was open)."""
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps))
        screen = app.screen
        assert isinstance(screen, VoterScreen)
        reason = screen.refusal_for("verify")  # no intervention open: refused
        assert reason
        await _run_or_say_why(screen, "verify", "Vérifier")
        await press(pilot)
        assert notifications(app)[-1] == reason
