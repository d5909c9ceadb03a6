"""What the footer offers in the app: while a window is open, the window's keys, not
those of the screen behind it, which do nothing then; and in an 80×24 terminal two
lines at most, for every role, the keys that give way still listed by F1."""

from typing import Any

import pytest
from textual.widgets import DataTable
from textual.widgets._footer import FooterKey

from csu.app import CsuApp
from csu.screens.help import HelpScreen
from csu.screens.intervention import InterventionOpenScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from csu.widgets.footer import KeysFooter
from tests.screens.conftest import (
    SIZE,
    demo_voter,
    on_voter_file,
    president_bureau,
    press,
    settle,
)
from tests.screens.shown import _drawn

NARROW = (80, 24)
# Keys of the voter file and of the application, none of which works in a window.
BEHIND = {"Vérifier", "Nouvel appel", "Clore", "Messages", "Quitter", "Aide", "Déconnexion"}


def offered(app: CsuApp) -> dict[str, str]:
    """The keys the current screen's footer shows: description -> key."""
    return {
        str(key.description): key.key
        for key in app.screen.query_one(KeysFooter).query(FooterKey)
        if key.display and not key.has_class("-command-palette")
    }


async def on_narrow_file(pilot: Any, deps: Deps, login: str) -> None:
    """``login`` on a voter's file (a president's: of their bureau), the footer laid out."""
    bureau = president_bureau(deps) if login == "president" else None
    await on_voter_file(pilot, demo_voter(deps, bureau=bureau), login=login)
    await pilot.pause(0.1)  # the footer lays its keys out once they have their width
    await settle(pilot)


class TestWindows:
    async def test_a_window_offers_none_of_the_keys_of_the_file_behind_it(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, demo_voter(demo_deps))
            await press(pilot, "ctrl+n")
            assert isinstance(app.screen, InterventionOpenScreen)
            assert "Annuler" in offered(app)
            assert not BEHIND & set(offered(app))

    async def test_the_key_a_window_offers_works(self, app: CsuApp, demo_deps: Deps) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, demo_voter(demo_deps))
            await press(pilot, "ctrl+n")
            await press(pilot, offered(app)["Annuler"])
            assert isinstance(app.screen, VoterScreen)
            assert app.screen.intervention is None

    async def test_the_footer_of_the_file_is_not_drawn_under_a_window(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        # At 80 columns the file's footer takes two lines, the window's one: the
        # file's first line showed above the window's.
        async with app.run_test(size=NARROW) as pilot:
            await on_narrow_file(pilot, demo_deps, "agent")
            assert "^y Nouvel appel" in _drawn(app)
            await press(pilot, "ctrl+n")
            await pilot.pause(0.1)
            drawn = _drawn(app)
            assert "esc Annuler" in drawn
            assert "^y Nouvel appel" not in drawn and "esc Retour" not in drawn

    async def test_the_file_s_footer_comes_back_when_the_window_closes(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=NARROW) as pilot:
            await on_narrow_file(pilot, demo_deps, "agent")
            await press(pilot, "ctrl+n")
            await press(pilot, "escape")
            await pilot.pause(0.1)
            assert "^y Nouvel appel" in _drawn(app)


class TestAt80x24:
    @pytest.mark.parametrize("login", ["agent", "president", "superviseur", "admin"])
    async def test_the_footer_of_a_voter_file_takes_two_lines_at_most(
        self, app: CsuApp, demo_deps: Deps, login: str
    ) -> None:
        async with app.run_test(size=NARROW) as pilot:
            await on_narrow_file(pilot, demo_deps, login)
            assert isinstance(app.screen, VoterScreen)
            assert app.screen.query_one(KeysFooter).outer_size.height <= 2
            assert "Aide" in offered(app)

    async def test_a_supervisor_sees_the_voter_s_lock_state_without_scrolling(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        # The footer took 5 lines: the file stopped at « Téléphone professionnel ».
        async with app.run_test(size=NARROW) as pilot:
            await on_narrow_file(pilot, demo_deps, "superviseur")
            assert "Verrouillage" in _drawn(app)
            assert app.screen.query_one("#voter-file").scroll_y == 0

    async def test_the_keys_that_gave_way_are_listed_by_f1(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=NARROW) as pilot:
            await on_narrow_file(pilot, demo_deps, "superviseur")
            gone = {"Déconnexion", "Intégrité"} - set(offered(app))
            assert gone  # the application's keys, the last first
            await press(pilot, "f1")
            assert isinstance(app.screen, HelpScreen)
            table = app.screen.query_one(DataTable)
            listed = {str(table.get_row_at(row)[1]) for row in range(table.row_count)}
            assert gone <= listed
