"""A notification never hides the buttons of a window: at 80×24 a window's buttons sit
at the bottom of the terminal, where Textual puts its notifications, and a newcomer
could not see « Clore » or « Annuler » while a notice showed."""

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button
from textual.widgets._toast import Toast

from csu.app import CsuApp
from csu.screens.intervention import InterventionCloseScreen, InterventionOpenScreen
from csu.screens.verification import VerifyScreen
from csu.services.context import Deps
from tests.screens.conftest import demo_voter, in_call, on_voter_file, press

NARROW = (80, 24)
NOTICE = (
    "Identité non vérifiée ou vérification expirée (10 minutes) : vérifiez-la d'abord "
    "(ctrl+e), puis recommencez."
)


async def notified(pilot: Pilot[Any]) -> list[Toast]:
    pilot.app.notify(NOTICE, title="Action impossible", severity="warning")
    await pilot.pause(0.1)
    toasts = list(pilot.app.screen.query(Toast))
    assert toasts
    return toasts


def hidden_buttons(app: CsuApp, toasts: list[Toast]) -> list[str]:
    """The window's buttons a toast overlaps."""
    return [
        str(button.label)
        for button in app.screen.query(Button)
        if button.display and any(button.region.overlaps(t.region) for t in toasts)
    ]


async def test_a_notice_hides_no_button_of_the_verification_window(demo_deps: Deps) -> None:
    # « Aucun portable enregistré » sat at the bottom right, under the notice.
    app = CsuApp(demo_deps, "poste-test")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+e")
        assert isinstance(app.screen, VerifyScreen)
        assert hidden_buttons(app, await notified(pilot)) == []


async def test_a_notice_hides_no_button_of_the_closing_window(demo_deps: Deps) -> None:
    app = CsuApp(demo_deps, "poste-test")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+w")
        assert isinstance(app.screen, InterventionCloseScreen)
        assert hidden_buttons(app, await notified(pilot)) == []


async def test_a_notice_hides_no_button_of_the_opening_window(demo_deps: Deps) -> None:
    app = CsuApp(demo_deps, "poste-test")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, InterventionOpenScreen)
        assert hidden_buttons(app, await notified(pilot)) == []
