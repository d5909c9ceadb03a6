"""A refusal of a window's action stays said in the window until the field at fault is
edited (newcomer run): the app's notice goes after seconds, and then nothing in
« Nouvelle intervention », « Clore l'intervention » or the ctrl+l link window said what
was wrong, nor marked the field. The notice is cleared here in place of waiting for it
to go: what remains is the window's own line."""

from typing import Any

from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Select, Static, TextArea

from csu.app import CsuApp
from csu.domain.escalation import ESCALATED
from csu.domain.interventions import UNCONFIRMED_RESOLVED
from csu.screens.base import CsuModal
from csu.screens.intervention import InterventionCloseScreen, InterventionOpenScreen
from csu.screens.vote_codes import VoteCodeLinkScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    call_verified,
    click,
    demo_voter,
    in_call,
    last_intervention,
    notifications,
    on_voter_file,
    press,
    settle,
)

SMALL = (80, 24)
MISSING_DIGITS = "Téléphone : des chiffres manquent (7 ici"
NOTE_REFUSED = "Note : dites au superviseur pourquoi le dossier est escaladé"
PROFESSIONAL = "L'adresse saisie est l'adresse professionnelle enregistrée"


def line_of(window: CsuModal[Any]) -> str:
    """What the window's refusal line says now ("" when it is hidden)."""
    line = window.query_one(window.REFUSAL_LINE, Static)
    return str(line.content) if line.display else ""


async def notice_gone(pilot: Pilot[Any]) -> None:
    """As the notice is after its seconds: gone."""
    pilot.app.clear_notifications()
    await pilot.pause()


async def open_refused(pilot: Pilot[Any], deps: Deps) -> InterventionOpenScreen:
    """ctrl+n on a voter file, Tab, « 06 12 34 5 », Entrée: the number is refused."""
    await on_voter_file(pilot, demo_voter(deps))
    await press(pilot, "ctrl+n")
    window = pilot.app.screen
    assert isinstance(window, InterventionOpenScreen)
    assert window.query_one("#open-channel", Select).value == "phone"
    await press(pilot, "tab", *"06 12 34 5", "enter")
    assert pilot.app.screen is window
    assert any(MISSING_DIGITS in notice for notice in notifications(pilot.app))
    return window


async def close_refused(pilot: Pilot[Any], deps: Deps) -> InterventionCloseScreen:
    """ctrl+w in a call, « Escaladé » without a note, « Clore »: the note is refused."""
    await in_call(pilot, demo_voter(deps))
    await press(pilot, "ctrl+w")
    window = pilot.app.screen
    assert isinstance(window, InterventionCloseScreen)
    window.query_one("#close-outcome", Select).value = ESCALATED
    await settle(pilot)
    await click(pilot, "#close-ok")
    assert pilot.app.screen is window
    return window


async def link_refused(pilot: Pilot[Any], deps: Deps) -> VoteCodeLinkScreen:
    """ctrl+l in a verified call, « Courriel », the voter's professional address,
    « Envoyer le lien »: refused."""
    voter = demo_voter(deps, "men-2022")
    await call_verified(pilot, voter)
    await press(pilot, "ctrl+l")
    window = pilot.app.screen
    assert isinstance(window, VoteCodeLinkScreen)
    window.query_one("#link-channel", Select).value = "email"
    await settle(pilot)
    window.query_one("#link-recipient", Input).focus()
    await press(pilot, *voter.row["email_pro"])
    await click(pilot, "#link-ok")
    assert pilot.app.screen is window
    return window


def marked_with_cursor(window: CsuModal[Any], field: Widget) -> bool:
    return field.has_class("-at-fault") and window.focused is field


# ------------------------------------------------------- « Nouvelle intervention »


async def test_a_refused_number_stays_said_in_the_open_window(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        window = await open_refused(pilot, demo_deps)
        await notice_gone(pilot)
        said = line_of(window)
        assert said.startswith("Intervention non ouverte — ") and MISSING_DIGITS in said
        assert window.can_view_entire(window.query_one("#open-message"))


async def test_a_refused_number_is_marked_with_the_cursor_in_it(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        window = await open_refused(pilot, demo_deps)
        assert marked_with_cursor(window, window.query_one("#open-caller", Input))


async def test_editing_the_refused_number_takes_the_refusal_back(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        window = await open_refused(pilot, demo_deps)
        field = window.query_one("#open-caller", Input)
        await press(pilot, "end", "6")
        assert field.value == "06 12 34 56"
        assert line_of(window) == ""
        assert not field.has_class("-at-fault")


async def test_a_number_corrected_then_opens_the_call(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SMALL) as pilot:
        window = await open_refused(pilot, demo_deps)
        await press(pilot, "end", *"6 78", "enter")
        assert app.screen is not window


# ------------------------------------------------------- « Clore l'intervention »


async def test_a_refused_note_stays_said_in_the_close_window(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        window = await close_refused(pilot, demo_deps)
        await notice_gone(pilot)
        said = line_of(window)
        assert said == f"Intervention non close — {NOTE_REFUSED}"
        assert window.can_view_entire(window.query_one("#close-message"))


async def test_a_refused_note_is_marked_with_the_cursor_in_it(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        window = await close_refused(pilot, demo_deps)
        assert marked_with_cursor(window, window.query_one("#close-note", TextArea))


async def test_writing_the_note_takes_the_refusal_back(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SMALL) as pilot:
        window = await close_refused(pilot, demo_deps)
        await press(pilot, *"Perdu")
        assert window.query_one("#close-note", TextArea).text == "Perdu"
        assert line_of(window) == ""
        assert not window.query_one("#close-note", TextArea).has_class("-at-fault")


async def test_another_outcome_chosen_takes_the_refusal_back(
    app: CsuApp, demo_deps: Deps
) -> None:
    """« Escaladé » asked for the note: another outcome does not."""
    async with app.run_test(size=SMALL) as pilot:
        window = await close_refused(pilot, demo_deps)
        window.query_one("#close-outcome", Select).value = "abandonné"
        await settle(pilot)
        assert line_of(window) == ""


async def test_resolved_without_the_note_asked_for_stays_said_in_the_window(
    app: CsuApp, demo_deps: Deps
) -> None:
    """The window's own check (a key issued, its hand-over never confirmed) says it in
    the window as the service's refusal would."""
    async with app.run_test(size=SMALL) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        window = InterventionCloseScreen(last_intervention(demo_deps), unconfirmed="password")
        await app.push_screen(window)
        await settle(pilot)
        await click(pilot, "#close-ok")
        await notice_gone(pilot)
        assert line_of(window) == f"Intervention non close — Note : {UNCONFIRMED_RESOLVED}"
        assert marked_with_cursor(window, window.query_one("#close-note", TextArea))


# ------------------------------------------------------- ctrl+l, the link window


async def test_a_refused_address_stays_said_in_the_link_window(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        window = await link_refused(pilot, demo_deps)
        await notice_gone(pilot)
        said = line_of(window)
        assert said.startswith("Lien non envoyé — ") and PROFESSIONAL in said
        assert window.can_view_entire(window.query_one("#link-problem"))


async def test_a_refused_address_is_marked_with_the_cursor_in_it(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        window = await link_refused(pilot, demo_deps)
        assert marked_with_cursor(window, window.query_one("#link-recipient", Input))


async def test_editing_the_refused_address_takes_the_refusal_back(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SMALL) as pilot:
        window = await link_refused(pilot, demo_deps)
        field = window.query_one("#link-recipient", Input)
        await press(pilot, "backspace")  # the address, selected, goes
        assert field.value == ""
        assert line_of(window) == ""
        assert not field.has_class("-at-fault")


async def test_editing_another_field_keeps_the_refusal(app: CsuApp, demo_deps: Deps) -> None:
    """The refusal is about the address: typing its confirmation corrects nothing."""
    async with app.run_test(size=SMALL) as pilot:
        window = await link_refused(pilot, demo_deps)
        window.query_one("#link-recipient-confirm", Input).focus()
        await press(pilot, *"x@exemple.fr")
        assert PROFESSIONAL in line_of(window)
        assert window.query_one("#link-recipient", Input).has_class("-at-fault")
