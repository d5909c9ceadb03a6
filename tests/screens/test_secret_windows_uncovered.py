"""No notice covers a value shown once: a refusal of the issue window sat for seconds
over the new key and its spelling, and a notice over an enrolment's QR code stops its
scan. The notices on screen are cleared as such a window opens, those raised while it
is open are not drawn over it, and its own reminder is written in it."""

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Select, Static
from textual.widgets._toast import Toast

from csu.app import CsuApp
from csu.screens.credential import HANDOVER, CredentialShownScreen, IssueScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    SIZE,
    call_verified,
    click,
    demo_voter,
    notice_ids,
    notifications,
    notified_since,
    press,
)


def toasts_drawn(app: CsuApp) -> int:
    """The notices drawn over the screen on top (a toast and its holder displayed)."""
    return sum(
        1
        for toast in app.screen.query(Toast)
        if all(node.display for node in toast.ancestors_with_self if node is not app.screen)
    )


async def issue(pilot: Pilot[Any], kind: str) -> None:
    pilot.app.screen.query_one("#credential-kind", Select).value = kind
    await pilot.pause()
    await click(pilot, "#issue-ok")


async def test_an_earlier_refusal_is_not_drawn_over_the_key_but_kept(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await call_verified(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+k")
        assert isinstance(app.screen, IssueScreen)
        app.notify("Refusé : le mot de passe demande un autre ensemble.", severity="warning")
        await pilot.pause(0.1)
        assert toasts_drawn(app) == 1
        await issue(pilot, "security_key")
        await pilot.pause(0.1)
        assert isinstance(app.screen, CredentialShownScreen)
        assert toasts_drawn(app) == 0
        assert notifications(app)  # kept: not deleted


async def test_a_notice_raised_while_the_key_shows_is_not_drawn_over_it(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await call_verified(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+k")
        await issue(pilot, "security_key")
        app.notify("2 alertes en cours : F4 pour les voir.", title="Alertes")
        await pilot.pause(0.1)
        assert isinstance(app.screen, CredentialShownScreen)
        assert app.screen.query(Toast)  # given to the window, not drawn
        assert toasts_drawn(app) == 0
        await click(pilot, "#read-out")  # once closed, the notices show again
        await pilot.pause(0.1)
        assert toasts_drawn(app) >= 1


async def test_escape_reminds_in_the_window_what_to_press(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+k")
        await issue(pilot, "security_key")
        before = notice_ids(app)
        await press(pilot, "escape")
        assert isinstance(app.screen, CredentialShownScreen)
        hint = app.screen.query_one("#credential-hint", Static)
        assert str(hint.render()) == HANDOVER["phone"][2]
        assert hint.has_class("-reminder")
        assert notified_since(app, before) == []
