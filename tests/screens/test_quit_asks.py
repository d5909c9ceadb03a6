"""ctrl+q (and ctrl+o, logging out) with an intervention open asks first (probe B,
item 3): leaving closes it as abandonné, which may not be what happened (a password
just handed over, a key read out). The question names the intervention and what
quitting does, and offers to close it with its outcome instead. Without an intervention
ctrl+q quits and ctrl+o logs out at once, and the end of a browser's page still logs out
without a question."""

from typing import Any

from textual import messages
from textual.pilot import Pilot
from textual.widgets import Select

from csu.app import CsuApp
from csu.screens.dialogs import QuitScreen
from csu.screens.intervention import InterventionCloseScreen
from csu.screens.lookup import LookupScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    call_verified,
    click,
    demo_voter,
    in_call,
    issue_ui,
    journal_actions,
    journal_of,
    last_intervention,
    log_in,
    president_bureau,
    press,
    screen_text,
)

ABANDONED_AND_LOGGED_OUT = [("intervention_close", "abandonné"), ("logout", "ok")]


async def until_ended(pilot: Pilot[Any]) -> None:
    for _ in range(100):
        if not pilot.app.is_running:
            return
        await pilot.pause(0.05)
    raise AssertionError("the app is still running")


async def president_hands_over_a_password(pilot: Pilot[Any], voter: DemoVoter) -> None:
    """S4: the president's in-person check, a new password « Remis en main propre »."""
    await call_verified(pilot, voter, login="president")
    await issue_ui(pilot)


async def test_without_an_intervention_ctrl_q_quits_at_once(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await pilot.press("ctrl+q")
        await until_ended(pilot)
    assert app.return_code == 0
    assert journal_actions(demo_deps)[-1] == ("logout", "ok")


async def test_at_the_login_screen_ctrl_q_quits_at_once(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+q")
        await until_ended(pilot)
    assert app.return_code == 0


async def test_with_an_intervention_open_ctrl_q_asks_naming_it(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await president_hands_over_a_password(pilot, voter)
        await press(pilot, "ctrl+q")
        assert isinstance(app.screen, QuitScreen)
        text = screen_text(app)
        assert "Une intervention est en cours : présentiel via président, ouverte à 11:30" in text
        assert voter.matricule in text  # its voter, whose file is open
        assert "l'intervention en cours sera close comme abandonnée" in text
        assert app.screen.focused is not None and app.screen.focused.id == "quit-close"
        await press(pilot, "ctrl+q")  # pressed again: still the one question
        assert isinstance(app.screen, QuitScreen)
        assert [type(s) for s in app.screen_stack].count(QuitScreen) == 1
        await press(pilot, "escape")  # back to work: nothing closed, still logged in
        assert isinstance(app.screen, VoterScreen)
        assert app.is_running and app.operator is not None
    steps = journal_of(demo_deps, last_intervention(demo_deps))
    assert ("credential_read_out", "ok") in steps
    assert "intervention_close" not in {action for action, _ in steps}  # still open


async def test_quitting_anyway_closes_it_as_abandoned_and_logs_out(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+q")
        assert isinstance(app.screen, QuitScreen)
        await click(pilot, "#quit-anyway")
        await until_ended(pilot)
    assert journal_actions(demo_deps)[-2:] == ABANDONED_AND_LOGGED_OUT


async def test_closing_first_opens_the_closing_window_then_ctrl_q_quits_at_once(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await president_hands_over_a_password(pilot, voter)
        await press(pilot, "ctrl+q")
        await press(pilot, "enter")  # « Clore l'intervention d'abord », focused
        assert isinstance(app.screen, InterventionCloseScreen)
        # What happened is proposed: the password was handed over.
        assert app.screen.query_one("#close-outcome", Select).value == "résolu"
        await click(pilot, "#close-ok")
        assert isinstance(app.screen, VoterScreen)
        await pilot.press("ctrl+q")  # nothing open any more
        await until_ended(pilot)
    intervention = last_intervention(demo_deps)
    assert journal_of(demo_deps, intervention)[-1] == ("intervention_close", "résolu")
    assert journal_actions(demo_deps)[-1] == ("logout", "ok")


async def test_closing_first_from_the_look_up_reopens_the_voter_s_file(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "escape")  # back to the look-up, the intervention still open
        assert isinstance(app.screen, LookupScreen)
        await press(pilot, "ctrl+q")
        assert isinstance(app.screen, QuitScreen)
        assert "téléphone, ouverte à 11:30" in screen_text(app)
        await click(pilot, "#quit-close")
        for _ in range(40):  # the file is read again, then its closing window opens
            if isinstance(app.screen, InterventionCloseScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, InterventionCloseScreen)
        assert isinstance(app.screen_stack[-2], VoterScreen)
        assert app.screen_stack[-2].voter_id == voter.voter_id


async def test_the_browser_page_going_logs_out_without_a_question(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        app.post_message(messages.ExitApp())  # what the web driver sends when the tab closes
        await until_ended(pilot)
    assert journal_actions(demo_deps)[-2:] == ABANDONED_AND_LOGGED_OUT


async def test_with_an_intervention_open_ctrl_o_asks_before_logging_out(
    app: CsuApp, demo_deps: Deps
) -> None:
    """A newcomer logged out mid-call with ctrl+o: the call was closed as abandonné and
    they were never told."""
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+o")
        assert isinstance(app.screen, QuitScreen)
        text = screen_text(app)
        assert "Se déconnecter ?" in text and "Si vous vous déconnectez maintenant" in text
        await press(pilot, "escape")  # back to the call: still logged in, still open
        assert isinstance(app.screen, VoterScreen) and app.operator is not None
    steps = journal_of(demo_deps, last_intervention(demo_deps))
    assert "intervention_close" not in {action for action, _ in steps}


async def test_logging_out_anyway_closes_it_as_abandoned_and_shows_the_login(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+o")
        await click(pilot, "#quit-anyway")
        assert app.operator is None and app.is_running  # the login screen, not the end
    assert journal_actions(demo_deps)[-2:] == ABANDONED_AND_LOGGED_OUT


async def test_without_an_intervention_ctrl_o_logs_out_at_once(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await press(pilot, "ctrl+o")
        assert app.operator is None and not isinstance(app.screen, QuitScreen)
    assert journal_actions(demo_deps)[-1] == ("logout", "ok")
