"""A notification never hides the buttons or the fields of a window: at 80×24 a window's
buttons sit at the bottom of the terminal, where Textual puts its notifications, and a
newcomer could not see « Clore » or « Annuler » while a notice showed. And it shows
once: the screen below a window keeps its toasts to itself until the window closes."""

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, Input
from textual.widgets._toast import Toast

from csu.app import CsuApp
from csu.screens.intervention import InterventionCloseScreen, InterventionOpenScreen
from csu.screens.verification import VerifyScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from tests.screens.conftest import demo_voter, in_call, on_voter_file, press
from tests.screens.shown import _drawn as drawn

NARROW = (80, 24)
TITLE = "Action impossible"
NOTICE = (
    "Identité non vérifiée ou vérification expirée (10 minutes) : vérifiez-la d'abord "
    "(ctrl+e), puis recommencez."
)


async def notified(pilot: Pilot[Any]) -> list[Toast]:
    pilot.app.notify(NOTICE, title=TITLE, severity="warning")
    await pilot.pause(0.1)
    toasts = list(pilot.app.screen.query(Toast))
    assert toasts
    return toasts


def hidden(app: CsuApp, kind: type[Button | Input], toasts: list[Toast]) -> list[str]:
    """The window's buttons (their labels) or fields (their ids) a toast overlaps."""
    return [
        str(widget.label) if isinstance(widget, Button) else f"#{widget.id}"
        for widget in app.screen.query(kind)
        if widget.display and any(widget.region.overlaps(t.region) for t in toasts)
    ]


async def window_notified(
    demo_deps: Deps, reach: Any, key: str, window: type[Screen[Any]], kind: type[Button | Input]
) -> list[str]:
    app = CsuApp(demo_deps, "poste-test")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await reach(pilot, demo_voter(demo_deps))
        await press(pilot, key)
        assert isinstance(app.screen, window)
        assert app.screen.query(kind)
        return hidden(app, kind, await notified(pilot))


WINDOWS = [
    # « Aucun portable enregistré » sat at the bottom right, under the notice.
    pytest.param(in_call, "ctrl+e", VerifyScreen, id="verification"),
    pytest.param(in_call, "ctrl+w", InterventionCloseScreen, id="closing"),
    pytest.param(on_voter_file, "ctrl+n", InterventionOpenScreen, id="opening"),
]


@pytest.mark.parametrize(("reach", "key", "window"), WINDOWS)
async def test_a_notice_hides_no_button_of_a_window(
    demo_deps: Deps, reach: Any, key: str, window: type[Screen[Any]]
) -> None:
    assert await window_notified(demo_deps, reach, key, window, Button) == []




@pytest.mark.parametrize(("reach", "key", "window"), WINDOWS)
async def test_a_notice_hides_no_field_of_a_window(
    demo_deps: Deps, reach: Any, key: str, window: type[Screen[Any]]
) -> None:
    assert await window_notified(demo_deps, reach, key, window, Input) == []


def visible_toasts(app: CsuApp) -> list[Toast]:
    """The toasts of the notice on every screen of the stack that are displayed now."""
    return [
        toast
        for screen in app.screen_stack
        for toast in screen.query(Toast)
        if toast._notification.title == TITLE
        and all(node.display for node in toast.ancestors_with_self if node is not screen)
    ]


async def test_a_notice_shows_once_over_a_window_and_at_the_bottom_after_it(
    demo_deps: Deps,
) -> None:
    # Shown on the file, then a window opened: the file's toast showed at the bottom,
    # through the window's translucent background, and the window's at the top.
    app = CsuApp(demo_deps, "poste-test")
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        assert isinstance(app.screen, VoterScreen)
        await notified(pilot)
        await press(pilot, "ctrl+w")
        await pilot.pause(0.1)
        assert isinstance(app.screen, InterventionCloseScreen)
        assert drawn(app).count(TITLE) == 1
        assert len(visible_toasts(app)) == 1
        [toast] = visible_toasts(app)
        assert toast.screen is app.screen and toast.region.y < NARROW[1] // 2  # at the top

        await press(pilot, "escape")
        await pilot.pause(0.1)
        assert isinstance(app.screen, VoterScreen)
        assert drawn(app).count(TITLE) == 1
        [toast] = visible_toasts(app)
        assert toast.region.bottom > NARROW[1] // 2  # at the bottom, above the footer
