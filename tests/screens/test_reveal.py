"""A value a supervisor reveals shows in the voter file itself, for a limited time, and
is gone when the file is left, at logout and at the idle lock: never in a notification
that the next operator could read."""

import re
import time
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Label, Select

from csu.app import REVEAL_SECONDS, CsuApp
from csu.config import Settings
from csu.screens.login import LoginScreen
from csu.screens.lookup import LookupScreen
from csu.screens.voter import RevealScreen, VoterScreen
from csu.services.context import Deps
from csu.startup import Workplace
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    click,
    demo_voter,
    fill,
    journal_actions,
    on_voter_file,
    press,
)
from tests.screens.shown import Personal, leaks, shown_text


def contacts(voter: DemoVoter) -> Personal:
    row = voter.row
    phones = tuple(row[k] for k in ("telephone_pro", "telephone_mobile") if row[k])
    return Personal((row["email_pro"],), phones)


async def reveal_ui(pilot: Pilot[Any], field: str, reason: str = "rappel de l'électeur") -> None:
    """ctrl+r, the field, the reason, « Révéler »."""
    await press(pilot, "ctrl+r")
    assert isinstance(pilot.app.screen, RevealScreen)
    pilot.app.screen.query_one("#reveal-field", Select).value = field
    fill(pilot, reveal_reason=reason)
    await click(pilot, "#reveal-ok")
    assert isinstance(pilot.app.screen, VoterScreen)


async def supervisor_on_file(pilot: Pilot[Any], voter: DemoVoter) -> VoterScreen:
    await on_voter_file(pilot, voter, login="superviseur")
    screen = pilot.app.screen
    assert isinstance(screen, VoterScreen)
    return screen


@pytest.fixture
def voter(demo_deps: Deps) -> DemoVoter:
    return demo_voter(demo_deps, mobile=True)


async def test_the_revealed_value_shows_in_the_file_with_its_countdown(
    app: CsuApp, demo_deps: Deps, voter: DemoVoter
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await supervisor_on_file(pilot, voter)
        await reveal_ui(pilot, "phone_mobile")
        text = shown_text(app)
        assert leaks(text, contacts(voter)) == [voter.row["telephone_mobile"]]
        shown_for = re.search(r"\(révélé, masqué dans (\d+) s\)", text)
        assert shown_for is not None and 0 < int(shown_for.group(1)) <= REVEAL_SECONDS
        assert not any(voter.row["telephone_mobile"][-5:] in n.message for n in app._notifications)
    assert ("révélation", "ok") in journal_actions(demo_deps)


async def test_the_reason_field_is_labelled_above_it(
    app: CsuApp, demo_deps: Deps, voter: DemoVoter
) -> None:
    # Its placeholder alone named it, and went as the first letter was typed.
    async with app.run_test(size=SIZE) as pilot:
        await supervisor_on_file(pilot, voter)
        await press(pilot, "ctrl+r")
        window = app.screen
        assert isinstance(window, RevealScreen)
        label = window.query_one("#reveal-reason-label", Label)
        assert str(label.render()) == "Motif (versé au journal)"
        assert label.region.bottom <= window.query_one("#reveal-reason").region.y


async def test_the_revealed_value_is_masked_again_when_its_time_is_up(
    demo_deps: Deps, voter: DemoVoter
) -> None:
    # Long enough that a loaded machine still draws the value before it goes.
    app = CsuApp(demo_deps, "poste-test", reveal_seconds=6)
    async with app.run_test(size=SIZE) as pilot:
        screen = await supervisor_on_file(pilot, voter)
        await reveal_ui(pilot, "email_pro")
        assert leaks(shown_text(app), contacts(voter)) == [voter.row["email_pro"]]
        for _ in range(250):  # the 6 seconds of this app run out (25 s at most)
            if not screen.revealed_fields:
                break
            await pilot.pause(0.1)
        assert screen.revealed_fields == ()
        text = shown_text(app)
        assert leaks(text, contacts(voter)) == []
        assert "***@" in text


async def test_logout_takes_the_value_away_from_the_next_operator(
    app: CsuApp, voter: DemoVoter
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await supervisor_on_file(pilot, voter)
        await reveal_ui(pilot, "phone_mobile")
        await press(pilot, "ctrl+o")
        assert isinstance(app.screen, LoginScreen)
        assert screen.revealed_fields == ()
        assert leaks(shown_text(app), contacts(voter)) == []
        await on_voter_file(pilot, voter)
        assert isinstance(app.screen, VoterScreen)
        assert leaks(shown_text(app), contacts(voter)) == []


async def test_the_idle_lock_takes_the_value_away(app: CsuApp, voter: DemoVoter) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await supervisor_on_file(pilot, voter)
        await reveal_ui(pilot, "email_pro")
        app._last_activity = time.monotonic() - app.idle_seconds - 1  # idle for too long
        app._check_idle()  # what the app's 5-second timer calls
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert screen.revealed_fields == ()
        text = shown_text(app)
        assert "inactivité" in text
        assert leaks(text, contacts(voter)) == []


async def test_leaving_the_file_takes_the_value_away(app: CsuApp, voter: DemoVoter) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await supervisor_on_file(pilot, voter)
        await reveal_ui(pilot, "email_pro")
        await press(pilot, "escape")
        assert isinstance(app.screen, LookupScreen)
        assert screen.revealed_fields == ()
        assert leaks(shown_text(app), contacts(voter)) == []
        await press(pilot, "enter")  # the same file again: masked
        assert isinstance(app.screen, VoterScreen)
        assert leaks(shown_text(app), contacts(voter)) == []


async def test_another_screen_over_the_file_takes_the_value_away(
    app: CsuApp, voter: DemoVoter
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await supervisor_on_file(pilot, voter)
        await reveal_ui(pilot, "phone_mobile")
        await press(pilot, "f2")  # the journal
        assert screen.revealed_fields == ()
        await press(pilot, "escape")
        assert app.screen is screen
        assert leaks(shown_text(app), contacts(voter)) == []


async def test_a_window_opened_from_the_file_keeps_the_value_underneath(
    app: CsuApp, voter: DemoVoter
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await supervisor_on_file(pilot, voter)
        await reveal_ui(pilot, "phone_mobile")
        await press(pilot, "ctrl+n")  # the intervention window, above the file
        assert app.screen is not screen
        assert screen.revealed_fields == ("phone_mobile",)


async def test_annuler_closes_the_reveal_window_and_reveals_nothing(
    app: CsuApp, demo_deps: Deps, voter: DemoVoter
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await supervisor_on_file(pilot, voter)
        await press(pilot, "ctrl+r")
        assert isinstance(app.screen, RevealScreen)
        assert "Annuler" in shown_text(app)
        await click(pilot, "#reveal-cancel-button")
        assert app.screen is screen
        assert screen.revealed_fields == ()
    assert "révélation" not in [action for action, _ in journal_actions(demo_deps)]


def test_the_reveal_time_is_a_setting(monkeypatch: pytest.MonkeyPatch, demo_deps: Deps) -> None:
    monkeypatch.setenv("CSU_REVEAL_SECONDS", "12")
    settings = Settings()
    workplace = Workplace(
        deps=demo_deps,
        workstation="poste-test",
        idle_minutes=settings.idle_minutes,
        keymap={},
        reveal_seconds=settings.reveal_seconds,
    )
    assert CsuApp.at(workplace).reveal_seconds == 12
