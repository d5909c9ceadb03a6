"""A window closed with nothing done says so as it closes: Tab then Entrée, a habit of
another window, pressed « Annuler » (a president's ctrl+k opened on « Délivrer »), and
the window went without a word, the operator thinking the key issued or the file
written. The president's ctrl+k now opens in no field, as « Tab, Entrée » expects."""


import pytest

from csu.app import CsuApp
from csu.screens.base import STILL_RUNNING
from csu.screens.credential import CredentialShownScreen, IssueScreen, RevokeScreen
from csu.screens.intervention import InterventionCloseScreen
from csu.screens.journal import ExportScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    call_verified,
    click,
    demo_voter,
    in_call,
    log_in,
    notifications,
    president_bureau,
    press,
    settle,
)


@pytest.mark.parametrize(
    ("key", "window", "cancel", "said"),
    [
        ("ctrl+k", IssueScreen, "#issue-cancel-button", "Rien n'a été délivré."),
        ("ctrl+x", RevokeScreen, "#revoke-cancel-button", "Rien n'a été invalidé."),
        ("ctrl+w", InterventionCloseScreen, "#close-cancel", "L'intervention reste ouverte."),
    ],
    ids=["issue", "revoke", "close"],
)
async def test_annuler_says_what_was_left_undone(
    app: CsuApp, demo_deps: Deps, key: str, window: type, cancel: str, said: str
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, demo_voter(demo_deps))
        await press(pilot, key)
        assert isinstance(app.screen, window)
        await click(pilot, cancel)
        assert isinstance(app.screen, VoterScreen)
        assert notifications(app)[-1] == said


async def test_the_presidents_tab_then_entree_delivers_as_an_agent_s_does(
    app: CsuApp, demo_deps: Deps
) -> None:
    # Nothing to choose: the window opens in no field, so that « Tab, Entrée », the
    # agent's way past the choice, reaches « Délivrer » (it pressed « Annuler »).
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, voter, login="president")
        await press(pilot, "ctrl+k")
        assert isinstance(app.screen, IssueScreen)
        assert app.screen.focused is None
        await press(pilot, "tab")
        assert app.screen.focused is app.screen.query_one("#issue-ok")
        await press(pilot, "enter")
        assert isinstance(app.screen, CredentialShownScreen)


async def test_the_presidents_entree_alone_delivers_too(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, voter, login="president")
        await press(pilot, "ctrl+k")
        await press(pilot, "enter")
        assert isinstance(app.screen, CredentialShownScreen)


async def test_the_presidents_annuler_is_told(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, voter, login="president")
        await press(pilot, "ctrl+k")
        await press(pilot, "tab", "tab", "enter")
        assert isinstance(app.screen, VoterScreen)
        assert notifications(app)[-1] == "Rien n'a été délivré."


async def test_escape_on_the_export_says_no_file_was_written(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "superviseur")
        await press(pilot, "f2")
        await settle(pilot)
        await press(pilot, "f7")
        assert isinstance(app.screen, ExportScreen)
        await press(pilot, "escape")
        assert notifications(app)[-1] == "Aucun fichier n'a été écrit."


async def test_a_window_closed_after_acting_says_nothing_of_the_kind(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+w")
        await click(pilot, "#close-ok")
        assert "L'intervention reste ouverte." not in notifications(app)




async def test_annuler_while_the_action_runs_waits_for_its_result(
    app: CsuApp, demo_deps: Deps
) -> None:
    """The service may still commit (a key issued and the old one revoked): « Rien n'a
    été délivré » would be false, and the key never shown."""
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+k")
        window = app.screen
        assert isinstance(window, IssueScreen)
        window.busy = True  # as « Délivrer » leaves it until its worker ends
        await press(pilot, "escape")
        assert app.screen is window
        assert notifications(app)[-1] == STILL_RUNNING
        assert "Rien n'a été délivré." not in notifications(app)
