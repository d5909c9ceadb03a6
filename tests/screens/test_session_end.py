"""Every end of a session takes the logout path, once: the quit textual-serve sends
when a browser's page goes (what its web driver turns into Textual's ExitApp), a
signal, the idle logout followed by the page going. A credential still on screen
closes first as « Fermer sans confirmer » closes it, and a read-out being journalled
is written before the logout."""

import threading
from types import SimpleNamespace
from typing import Any

import pytest
from textual import messages
from textual.drivers.web_driver import WebDriver
from textual.pilot import Pilot

from csu.app import CsuApp
from csu.screens.credential import CredentialShownScreen
from csu.screens.login import LoginScreen
from csu.services import auth
from csu.services.context import Deps, OperatorContext
from csu.services.interventions import current_intervention, open_intervention
from csu.services.voters import search_voters
from tests.screens.conftest import (
    SIZE,
    call_verified,
    click,
    demo_voter,
    journal_actions,
    journal_of,
    last_intervention,
    log_in,
    press,
    settle,
)

ABANDONED_AND_LOGGED_OUT = [("intervention_close", "abandonné"), ("logout", "ok")]


async def agent_in_a_call(pilot: Pilot[Any], deps: Deps) -> OperatorContext:
    """The agent logged in, an intervention open on a voter."""
    await log_in(pilot, "agent")
    who = pilot.app.operator  # type: ignore[attr-defined]
    assert who is not None
    hit = search_voters(deps, who, "MI")[0]
    open_intervention(deps, who, hit.voter_id, "phone")
    return who


def page_gone(app: CsuApp) -> None:
    """What textual-serve sends a session when its page goes (AppService.stop): the
    quit meta, which the web driver hands to the app."""
    WebDriver.on_meta(SimpleNamespace(_app=app), "quit", {})  # type: ignore[arg-type]


async def until_ended(pilot: Pilot[Any]) -> None:
    for _ in range(100):
        if not pilot.app.is_running:
            return
        await pilot.pause(0.05)
    raise AssertionError("the app is still running")


async def key_shown(pilot: Pilot[Any], deps: Deps) -> CredentialShownScreen:
    """A verified call, a new security key issued and shown once."""
    await call_verified(pilot, demo_voter(deps))
    await press(pilot, "ctrl+k")
    await click(pilot, "#issue-ok")
    shown = pilot.app.screen
    assert isinstance(shown, CredentialShownScreen)
    return shown


async def test_the_page_going_logs_out_and_abandons_the_open_intervention(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        who = await agent_in_a_call(pilot, demo_deps)
        page_gone(app)
        await until_ended(pilot)
    assert current_intervention(demo_deps, who) is None
    assert journal_actions(demo_deps)[-2:] == ABANDONED_AND_LOGGED_OUT


async def test_a_signal_to_a_browser_session_logs_out_as_the_page_going_does(
    app: CsuApp, demo_deps: Deps
) -> None:
    # SIGTERM or SIGINT (ctrl+c on csu serve reaches its sessions too): the web driver
    # posts the same ExitApp.
    async with app.run_test(size=SIZE) as pilot:
        await agent_in_a_call(pilot, demo_deps)
        app.post_message(messages.ExitApp())
        await until_ended(pilot)
    assert journal_actions(demo_deps)[-2:] == ABANDONED_AND_LOGGED_OUT


async def test_quitting_then_the_page_going_journals_one_logout(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await agent_in_a_call(pilot, demo_deps)
        await press(pilot, "ctrl+q")  # an intervention open: asked first
        await click(pilot, "#quit-anyway")
        page_gone(app)  # textual-serve's quit follows the app's own exit
        await until_ended(pilot)
    assert [entry for entry in journal_actions(demo_deps) if entry[0] == "logout"] == [
        ("logout", "ok")
    ]


async def test_an_idle_logout_then_the_page_going_journals_one_logout(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await agent_in_a_call(pilot, demo_deps)
        app.idle_seconds = 0
        app._check_idle()  # the idle logout: a worker journals it
        page_gone(app)  # at once, while that worker may still be writing
        await until_ended(pilot)
    assert journal_actions(demo_deps)[-2:] == ABANDONED_AND_LOGGED_OUT
    assert [entry for entry in journal_actions(demo_deps) if entry[0] == "logout"] == [
        ("logout", "ok")
    ]


async def test_the_page_going_at_the_login_screen_journals_no_logout(
    app: CsuApp, demo_deps: Deps
) -> None:
    before = journal_actions(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        page_gone(app)
        await until_ended(pilot)
    assert journal_actions(demo_deps) == before


async def test_a_credential_on_screen_as_the_page_goes_closes_unconfirmed_before_the_logout(
    app: CsuApp, demo_deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen_at_logout: list[tuple[bool, bool]] = []
    log_out = auth.log_out

    def observed(deps: Deps, who: OperatorContext) -> None:
        # As the logout starts: is the value still on screen, the window still open?
        seen_at_logout.append((shown.hidden, shown in app.screen_stack))
        log_out(deps, who)

    monkeypatch.setattr(auth, "log_out", observed)
    async with app.run_test(size=SIZE) as pilot:
        shown = await key_shown(pilot, demo_deps)
        assert not shown.hidden
        page_gone(app)
        await until_ended(pilot)
    # As « Fermer sans confirmer »: the value masked and the window closed, first.
    assert seen_at_logout == [(True, False)]
    # Nothing journalled as communicated: the key issued stays active.
    steps = journal_of(demo_deps, last_intervention(demo_deps))
    assert ("credential_issue", "ok") in steps
    assert "credential_read_out" not in {action for action, _ in steps}
    assert journal_actions(demo_deps)[-2:] == ABANDONED_AND_LOGGED_OUT


async def test_a_read_out_being_journalled_as_the_page_goes_is_written_before_the_logout(
    app: CsuApp, demo_deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csu.screens.credential as credential_screen

    pressed = threading.Event()
    confirm = credential_screen.confirm_read_out

    def slow_confirm(*args: Any, **kwargs: Any) -> None:
        pressed.set()
        threading.Event().wait(0.5)  # the store is slow: the page goes meanwhile
        confirm(*args, **kwargs)

    monkeypatch.setattr(credential_screen, "confirm_read_out", slow_confirm)
    async with app.run_test(size=SIZE) as pilot:
        await key_shown(pilot, demo_deps)
        await pilot.click("#read-out")
        while not pressed.is_set():
            await pilot.pause(0.01)
        page_gone(app)
        await until_ended(pilot)
    assert journal_of(demo_deps, last_intervention(demo_deps))[-2:] == [
        ("credential_read_out", "ok"),
        ("intervention_close", "abandonné"),
    ]
    assert journal_actions(demo_deps)[-1] == ("logout", "ok")


async def test_an_idle_logout_while_closing_is_asked_closes_the_credential_unconfirmed(
    app: CsuApp, demo_deps: Deps
) -> None:
    # « Fermer sans confirmer ? » open above the value as the session ends: both go.
    async with app.run_test(size=SIZE) as pilot:
        shown = await key_shown(pilot, demo_deps)
        await click(pilot, "#close-unconfirmed")
        assert shown.question is app.screen
        app.idle_seconds = 0
        app._check_idle()
        assert shown.hidden
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
    steps = journal_of(demo_deps, last_intervention(demo_deps))
    assert "credential_read_out" not in {action for action, _ in steps}
    assert journal_actions(demo_deps)[-2:] == ABANDONED_AND_LOGGED_OUT


async def test_an_idle_logout_with_a_credential_on_screen_closes_it_unconfirmed(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        shown = await key_shown(pilot, demo_deps)
        app.idle_seconds = 0
        app._check_idle()
        assert shown.hidden
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        # The file, reloaded as the window closed, found nobody logged in: said nothing.
        assert not [shown for shown in app._notifications if shown.severity == "error"]
    assert journal_actions(demo_deps)[-2:] == ABANDONED_AND_LOGGED_OUT
