"""A desk key pressed by a role it is not for says whose screen it opens, as F6 and
ctrl+u say it, instead of doing nothing: the footer hides it from that role, and a
newcomer who read « F2 Journal » over a colleague's shoulder was left guessing."""

import pytest

from csu.app import CsuApp
from csu.screens.journal import JournalScreen
from csu.screens.lookup import LookupScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    demo_voter,
    log_in,
    notice_ids,
    notifications,
    notified_since,
    on_voter_file,
    press,
)

SUPERVISION = "Écran réservé aux superviseurs et aux administrateurs."


@pytest.mark.parametrize(
    ("login", "key", "told"),
    [
        ("agent", "f2", SUPERVISION),
        ("agent", "f3", SUPERVISION),
        ("agent", "f4", SUPERVISION),
        ("agent", "f8", SUPERVISION),
        ("agent", "f9", "Écran réservé aux administrateurs."),
        ("agent", "f10", "Écran réservé aux superviseurs."),
        ("agent", "ctrl+g", "Écran réservé aux présidents de bureau."),
        ("president", "f2", SUPERVISION),
        ("superviseur", "f9", "Écran réservé aux administrateurs."),
        ("superviseur", "ctrl+g", "Écran réservé aux présidents de bureau."),
        ("admin", "f10", "Écran réservé aux superviseurs."),
    ],
)
async def test_a_desk_key_of_another_role_says_whose_screen_it_is(
    app: CsuApp, login: str, key: str, told: str
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, login)
        await press(pilot, key)
        assert isinstance(app.screen, LookupScreen)
        assert notifications(app)[-1:] == [told]


async def test_a_desk_key_of_the_role_opens_its_screen_without_a_word(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        before = notice_ids(app)
        await press(pilot, "f2")
        assert isinstance(app.screen, JournalScreen)
        assert notified_since(app, before) == []


async def test_a_desk_key_at_the_login_screen_says_nothing(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "f2")
        assert notifications(app) == []


async def test_a_desk_key_moved_by_the_keymap_is_told_at_its_new_key(demo_deps: Deps) -> None:
    app = CsuApp(demo_deps, "poste-test", keymap={"desk-journal": "f12"})
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await press(pilot, "f2")
        assert SUPERVISION not in notifications(app)
        await press(pilot, "f12")
        assert notifications(app)[-1:] == [SUPERVISION]


async def test_a_desk_key_in_a_window_says_nothing_to_any_role(
    app: CsuApp, demo_deps: Deps
) -> None:
    """In a window the app's keys are off for everyone: no « réservé » for some."""
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+n")
        assert app.screen.is_modal
        before = notice_ids(app)
        await press(pilot, "f2")
        assert notified_since(app, before) == []
