"""At 80x24, every window opens on its title with the cursor in the field it starts in,
in view. Textual centred the field it focused as a window opened, before the window
was laid out, when every field seems out of view: a newcomer's « Nouvelle
intervention » (ctrl+n) and « Clore l'intervention » (ctrl+w) opened scrolled, their
title and first lines above the window's top (csu.screens.base.CsuModal).

The credential windows start on their first choice, the kind of code (ctrl+k issues,
ctrl+x invalidates), and so does « Révéler, écarter » (ctrl+r, which field): what is
issued, invalidated or revealed is chosen before a reason is typed."""

import re
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Label, Select, Static

from csu.app import CsuApp
from csu.screens.base import CsuModal
from csu.services.context import Deps
from tests.conftest import SUPERVISOR
from tests.screens.conftest import (
    call_verified,
    click,
    demo_voter,
    in_call,
    on_voter_file,
    president_bureau,
    press,
    settle,
)
from tests.screens.shown import _drawn
from tests.screens.test_escalations_screen import escalate, open_queue
from tests.screens.test_substitution_screens import log_in_later, request_as
from tests.screens.test_verification_window_scroll import shows

SIZE = (80, 24)
"""The newcomer's tmux window."""


async def opened(pilot: Pilot[Any], *keys: str) -> CsuModal[Any]:
    """The window the keys open, laid out and scrolled as it opens, the notifications
    of the way there faded (one at the top right would cover the title's end)."""
    pilot.app.clear_notifications()
    await press(pilot, *keys)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    window = pilot.app.screen
    assert isinstance(window, CsuModal), window
    return window


def opens_on_its_title(app: CsuApp, window: CsuModal[Any], start: str) -> None:
    """The window's title drawn whole in view, and the cursor in ``#start``, in view."""
    title = window.query_one(".modal-title")
    assert app.screen.region.contains_region(title.region), title.region
    assert shows(app, title), title.region
    assert app.focused is window.query_one(f"#{start}"), app.focused
    assert shows(app, app.focused), app.focused.region


# ------------------------------------------------------------- the voter file


async def test_the_new_intervention_window_opens_on_its_title_in_the_channel(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps))
        window = await opened(pilot, "ctrl+n")
        opens_on_its_title(app, window, "open-channel")


async def test_the_closing_window_opens_on_its_title_in_the_outcome(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        window = await opened(pilot, "ctrl+w")
        opens_on_its_title(app, window, "close-outcome")


async def test_escalating_brings_the_callback_number_and_buttons_into_view(
    app: CsuApp, demo_deps: Deps
) -> None:
    """They opened below an 80x24 terminal; the note, said « facultative », is required."""
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        window = await opened(pilot, "ctrl+w")
        label = window.query_one("#close-note-label", Label)
        assert "facultative" in str(label.render())
        window.query_one("#close-outcome", Select).value = "escaladé"
        await settle(pilot)
        await pilot.pause(0.2)
        assert str(label.render()).startswith("Note pour le superviseur (obligatoire")
        assert shows(app, window.query_one("#close-callback"))
        assert shows(app, window.query_one("#close-ok"))


async def test_escalating_without_a_note_puts_the_cursor_in_the_note(
    app: CsuApp, demo_deps: Deps
) -> None:
    """It stayed on « Clore », and the note typed next went nowhere."""
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        window = await opened(pilot, "ctrl+w")
        window.query_one("#close-outcome", Select).value = "escaladé"
        await settle(pilot)
        await click(pilot, "#close-ok")
        await settle(pilot)  # the refusal's worker, failed, waited for
        assert app.focused is window.query_one("#close-note")
        assert app.screen is window  # still open, nothing closed


async def test_the_reveal_window_opens_on_its_title_in_the_field_to_reveal(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, demo_voter(demo_deps), login="superviseur")
        window = await opened(pilot, "ctrl+r")
        opens_on_its_title(app, window, "reveal-field")


async def test_the_invalidation_window_opens_on_the_kind_of_code_as_the_issue_window_does(
    app: CsuApp, demo_deps: Deps
) -> None:
    # It started in the reason, below the choice of the code to invalidate.
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, demo_voter(demo_deps))
        window = await opened(pilot, "ctrl+x")
        opens_on_its_title(app, window, "credential-kind")


async def test_the_code_shown_once_opens_on_its_title_its_confirmation_in_view(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+k")
        app.clear_notifications()
        await click(pilot, "#issue-ok")
        await pilot.wait_for_scheduled_animations()
        window = app.screen
        assert isinstance(window, CsuModal)
        opens_on_its_title(app, window, "read-out")
        assert shows(app, window.query_one("#credential-hint"))  # what to do with it
        assert shows(app, window.query_one("#credential-value"))


async def test_at_80_by_24_the_button_with_the_cursor_alone_is_filled(
    app: CsuApp, demo_deps: Deps
) -> None:
    # Framed no more, the focused « Lu à l'appelant » read as reversed text and the
    # filled red « Fermer sans confirmer » as the button chosen.
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+k")
        await click(pilot, "#issue-ok")
        window = app.screen
        read_out = window.query_one("#read-out")
        unconfirmed = window.query_one("#close-unconfirmed")
        box = window.query_one(".modal-box").styles.background
        for focused, other in ((read_out, unconfirmed), (unconfirmed, read_out)):
            focused.focus()
            await pilot.pause()
            assert app.focused is focused
            assert other.styles.background.a < 0.2 or other.styles.background == box
            assert focused.styles.background.a > 0.5, focused.styles.background


async def test_a_president_s_new_password_opens_on_its_title_its_hand_over_in_view(
    app: CsuApp, demo_deps: Deps
) -> None:
    """A mixed-case password's spelling takes six lines at 80 columns: the window opened
    scrolled, its title above its top."""
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, voter, login="president")
        await press(pilot, "ctrl+k")
        app.clear_notifications()
        await click(pilot, "#issue-ok")
        await pilot.wait_for_scheduled_animations()
        window = app.screen
        assert isinstance(window, CsuModal)
        assert "mot de passe" in str(window.query_one(".modal-title").render())
        opens_on_its_title(app, window, "read-out")
        assert shows(app, window.query_one("#credential-value"))
        assert shows(app, window.query_one("#credential-countdown"))
        # Each line as drawn begins a character's phrase, never in the middle of one
        # (« n / minuscule comme Nicolas »).
        spelling = window.query_one("#credential-spelling", Static).region
        drawn = _drawn(app).splitlines()[spelling.y : spelling.bottom]
        for line in drawn:
            phrase = line[spelling.x : spelling.right].strip()
            assert re.match(r"\S+[ \u00a0](minuscule|majuscule|comme|chiffre)", phrase), line


async def test_the_vote_code_link_window_opens_on_its_title_in_the_channel(
    app: CsuApp, demo_deps: Deps
) -> None:
    # As « Nouvelle intervention » opens on « Canal »: a newcomer with that habit pressed
    # Tab, then typed the number into the button after the number's field.
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, demo_voter(demo_deps, "men-2022"))
        window = await opened(pilot, "ctrl+l")
        opens_on_its_title(app, window, "link-channel")


async def test_a_president_s_new_intervention_opens_on_its_title_on_its_button(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter, login="president")
        window = await opened(pilot, "ctrl+n")
        # In person, nothing to choose: it had the caller's number, hidden, for cursor.
        opens_on_its_title(app, window, "open-ok")


# ------------------------------------------------------------------ the desks


async def test_the_escalated_case_s_closing_opens_on_its_title_in_the_outcome(
    app: CsuApp, demo_deps: Deps
) -> None:
    escalate(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(pilot)
        await press(pilot, "t")  # the supervisor takes the case
        window = await opened(pilot, "c")
        opens_on_its_title(app, window, "escalation-close-outcome")


async def test_the_decision_on_a_substitution_opens_on_its_title_in_the_reason(
    cci_deps: Deps,
) -> None:
    request_as(cci_deps, SUPERVISOR, demo_voter(cci_deps, "cci-hdf-2021"))
    app = CsuApp(cci_deps, "poste-test")
    async with app.run_test(size=SIZE) as pilot:
        await log_in_later(pilot, "superviseur")
        app.action_approvals()
        await settle(pilot)
        window = await opened(pilot, "enter")
        opens_on_its_title(app, window, "decision-reason")
