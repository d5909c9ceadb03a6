"""A supervisor on a voter file sets aside a contact no longer the voter's, from the
reveal window (ctrl+r, the field, « Écarter… »): a second window says what stops with
it and asks the reason; once done, the file shows no such contact and the entry is in
the journal."""

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from csu.app import CsuApp
from csu.screens.contact_set_aside import SetAsideScreen
from csu.screens.voter import RevealScreen, VoterScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    click,
    demo_voter,
    fill,
    journal_actions,
    notifications,
    on_voter_file,
    press,
)
from tests.screens.shown import shown_text

REASON = "numéro attribué à une autre personne"


@pytest.fixture
def voter(demo_deps: Deps) -> DemoVoter:
    return demo_voter(demo_deps, mobile=True)


async def set_aside_window(pilot: Pilot[Any], voter: DemoVoter, reason: str) -> SetAsideScreen:
    """The supervisor's file, ctrl+r, the mobile, ``reason``, « Écarter… »."""
    await on_voter_file(pilot, voter, login="superviseur")
    await press(pilot, "ctrl+r")
    assert isinstance(pilot.app.screen, RevealScreen)
    pilot.app.screen.query_one("#reveal-field", Select).value = "phone_mobile"
    fill(pilot, reveal_reason=reason)
    await click(pilot, "#reveal-set-aside")
    window = pilot.app.screen
    assert isinstance(window, SetAsideScreen)
    return window


async def test_the_reveal_window_lists_each_contact_with_its_masked_value(
    app: CsuApp, voter: DemoVoter
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter, login="superviseur")
        await press(pilot, "ctrl+r")
        assert isinstance(app.screen, RevealScreen)
        text = shown_text(app)
        assert "Téléphone portable (+33 " in text and "Écarter…" in text


async def test_the_set_aside_window_says_what_stops_and_keeps_the_reason_typed(
    app: CsuApp, voter: DemoVoter
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        window = await set_aside_window(pilot, voter, REASON)
        assert window.query_one("#set-aside-reason", Input).value == REASON
        text = shown_text(app)
        assert "Téléphone portable +33 " in text and "codes à usage unique" in text
        assert "nouvel import" in text


async def test_a_mobile_set_aside_leaves_the_file_without_one(
    app: CsuApp, demo_deps: Deps, voter: DemoVoter
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await set_aside_window(pilot, voter, REASON)
        await click(pilot, "#set-aside-ok")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, VoterScreen)
        said = notifications(app)
        assert any("Téléphone portable +33 " in n and "écarté" in n for n in said), said
        assert app.screen.file is not None and app.screen.file.phone_mobile is None
    assert ("contact_set_aside", "ok") in journal_actions(demo_deps)


async def test_a_reason_too_short_keeps_the_window_open_with_the_refusal(
    app: CsuApp, demo_deps: Deps, voter: DemoVoter
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        window = await set_aside_window(pilot, voter, "non")
        await click(pilot, "#set-aside-ok")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is window
        assert any("Motif trop court" in n for n in notifications(app))
    assert "contact_set_aside" not in [action for action, _ in journal_actions(demo_deps)]


async def test_cancelling_the_set_aside_window_sets_nothing_aside(
    app: CsuApp, demo_deps: Deps, voter: DemoVoter
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await set_aside_window(pilot, voter, REASON)
        await press(pilot, "escape")
        assert isinstance(app.screen, VoterScreen)
        assert any("Rien n'a été écarté" in n for n in notifications(app))
        assert app.screen.file is not None and app.screen.file.phone_mobile is not None
    assert "contact_set_aside" not in [action for action, _ in journal_actions(demo_deps)]
