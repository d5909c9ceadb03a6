"""Under csu serve (``App.is_web``) every place that names a key the browser keeps for
itself (ctrl+n a new window, ctrl+w closes the tab) names its twin instead: alt+n and
alt+w, in the footer, the call's path, the procedure panel, F1 and the notices."""

from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from csu.app import CsuApp
from csu.screens.base import browser_words, in_browser
from csu.screens.help import HelpScreen
from csu.screens.voter import VoterScreen
from csu.services.call_script import Checklist
from csu.services.context import Deps
from csu.widgets import call_script_panel
from csu.widgets.call_script_panel import CallScriptPanel
from tests.screens.conftest import (
    SIZE,
    call_path,
    click,
    demo_voter,
    good_answers,
    notifications,
    on_voter_file,
    press,
    verify_ui,
)
from tests.screens.shown import static_text
from tests.screens.test_footer_keys import offered

BROWSER_KEPT = {"ctrl+n", "ctrl+w"}


@pytest.fixture
def in_a_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app as csu serve runs it: Textual's web driver."""
    monkeypatch.setattr(CsuApp, "is_web", property(lambda _: True))


async def call_verified_in_a_browser(pilot: Pilot[Any], deps: Deps) -> None:
    """An agent's call opened with alt+n, the caller verified."""
    voter = demo_voter(deps)
    await on_voter_file(pilot, voter)
    await press(pilot, "alt+n")
    await click(pilot, "#open-ok")
    assert isinstance(pilot.app.screen, VoterScreen)
    await verify_ui(pilot, **good_answers(voter))


def panel_text(app: CsuApp) -> str:
    panel = app.screen.query_one(CallScriptPanel)
    return "\n".join(static_text(widget) for widget in panel.query(Static))


@pytest.mark.usefixtures("in_a_browser")
class TestInABrowser:
    async def test_the_footer_offers_alt_n_for_a_new_intervention(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, demo_voter(demo_deps))
            assert offered(app)["Nouvelle intervention"] == "alt+n"
            assert not BROWSER_KEPT & set(offered(app).values())

    async def test_the_footer_offers_alt_w_to_close_the_intervention(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await call_verified_in_a_browser(pilot, demo_deps)
            assert offered(app)["Clore"] == "alt+w"
            assert not BROWSER_KEPT & set(offered(app).values())

    async def test_the_path_and_the_procedure_say_alt_n_before_the_call(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, demo_voter(demo_deps))
            assert "Ouvrez une intervention (alt+n) pour cet appel." in call_path(app)
            assert "Ouvrez une intervention (alt+n) pour suivre la procédure." in panel_text(app)
            assert "ctrl+n" not in call_path(app) + panel_text(app)

    async def test_the_path_says_alt_w_to_close_once_verified(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await call_verified_in_a_browser(pilot, demo_deps)
            assert "Puis clôturez (alt+w)." in call_path(app)
            assert "ctrl+w" not in call_path(app)

    async def test_a_step_of_the_procedure_that_names_ctrl_w_names_alt_w(
        self, app: CsuApp, demo_deps: Deps, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # An election's file may name the keys in its steps (« … (ctrl+k) »): one that
        # names a key the browser keeps is read with its twin.
        read = call_script_panel.checklist

        def naming_keys(*args: Any) -> Checklist:
            view = read(*args)
            steps = tuple(
                replace(step, text=f"{step.text} Puis clôturez (ctrl+w).") for step in view.steps
            )
            return replace(view, steps=steps)

        monkeypatch.setattr(call_script_panel, "checklist", naming_keys)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified_in_a_browser(pilot, demo_deps)
            assert "Puis clôturez (alt+w)." in panel_text(app)
            assert "ctrl+w" not in panel_text(app)

    async def test_a_refusal_names_alt_n(self, app: CsuApp, demo_deps: Deps) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, demo_voter(demo_deps))
            await press(pilot, "ctrl+f")
            assert "Ouvrez d'abord une intervention (alt+n)." in notifications(app)

    async def test_f1_lists_alt_n_and_alt_w_and_never_the_keys_the_browser_keeps(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, demo_voter(demo_deps))
            await press(pilot, "f1")
            assert isinstance(app.screen, HelpScreen)
            table = app.screen.query_one(DataTable)
            rows = [tuple(str(c) for c in table.get_row_at(r)) for r in range(table.row_count)]
            assert ("alt+n", "Nouvelle intervention") in rows
            assert ("alt+w", "Clore") in rows
            assert not BROWSER_KEPT & {key for key, _ in rows}
            assert len({key for key, _ in rows}) == len(rows)  # each key once

    async def test_f1_tells_the_flow_of_a_call_with_alt_n_and_alt_w(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, demo_voter(demo_deps))
            await press(pilot, "f1")
            flow = static_text(app.screen.query_one("#help-flow", Static))
            assert "alt+n : ouvrez une intervention" in flow
            assert "alt+w : clôturez l'intervention" in flow
            assert not any(key in flow for key in BROWSER_KEPT)


async def test_in_the_terminal_the_footer_keeps_ctrl_n(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps))
        assert offered(app)["Nouvelle intervention"] == "ctrl+n"


def test_browser_words_leave_other_keys_alone() -> None:
    assert browser_words("ctrl+n, ctrl+e, action, ctrl+w ; ctrl+nw") == (
        "alt+n, ctrl+e, action, alt+w ; ctrl+nw"
    )


def test_a_binding_on_a_key_the_browser_keeps_takes_its_twins_key() -> None:
    bindings = VoterScreen.BINDINGS
    moved = {
        (b.key, b.description) for b in in_browser(b for b in bindings if not isinstance(b, tuple))
    }
    assert ("alt+n", "Nouvelle intervention") in moved
    assert ("alt+w", "Clore") in moved
    assert not {key for key, _ in moved} & BROWSER_KEPT
    assert "Nouvelle intervention (navigateur)" not in {description for _, description in moved}
