"""The verification window at 80x24, where it scrolls: the field that takes the cursor
is brought into view, and the answer to « Vérifier » and the buttons stay in view
whatever field the cursor is in (a newcomer typed into a field scrolled out of sight,
and lost the lock's explanation and the buttons to a Tab)."""

from typing import Any

from textual.errors import NoWidget
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from csu.app import CsuApp
from csu.screens.verification import VerifyScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    DemoVoter,
    click,
    demo_voter,
    fill,
    in_call,
    president_bureau,
    press,
)

SIZE = (80, 24)
"""The newcomer's tmux window."""


def shows(app: CsuApp, widget: Widget) -> bool:
    """Whether the whole of ``widget`` is on the screen, covered by nothing: what a
    person sees of it, cell by cell down both its edges."""
    region = widget.region
    if not region.height:
        return False
    for y in range(region.y, region.bottom):
        for x in (region.x, region.right - 1):
            try:
                found, _ = app.screen.get_widget_at(x, y)
            except NoWidget:
                return False
            if found is not widget and widget not in found.ancestors:
                return False
    return True


def label_of(field: Widget) -> Label:
    """The label on the field's row."""
    assert field.parent is not None
    return field.parent.query_one(Label)


def result(app: CsuApp) -> str:
    return str(app.screen.query_one("#verify-result", Static).content)


async def type_keys(pilot: Pilot[Any], *typed: str) -> None:
    """Text typed key by key, ``"tab"`` and ``"enter"`` pressed, as a person does."""
    for text in typed:
        await press(pilot, *([text] if text in ("tab", "enter") else list(text)))


async def window(pilot: Pilot[Any], voter: DemoVoter) -> VerifyScreen:
    """The verification window of a call, the notifications of the way there faded."""
    await in_call(pilot, voter)
    pilot.app.clear_notifications()
    await press(pilot, "ctrl+e")
    screen = pilot.app.screen
    assert isinstance(screen, VerifyScreen)
    return screen


async def answered(pilot: Pilot[Any], voter: DemoVoter, birth: str, iban: str) -> None:
    """The date, the IBAN and the agent card typed in turn, then Entrée."""
    card = voter.row["carte_agent"][:6]
    await type_keys(pilot, birth, "tab", iban, "tab", card, "enter")
    await pilot.wait_for_scheduled_animations()


async def test_a_malformed_date_brings_its_field_and_label_into_view(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await window(pilot, voter)
        await answered(pilot, voter, "1/4/83", voter.row["iban"][-6:])
        field = screen.query_one("#verify-birth_date")
        assert result(app) == ("Format incorrect — Date de naissance : format attendu jj/mm/aaaa")
        assert app.focused is field
        assert shows(app, field)
        assert shows(app, label_of(field))


async def test_after_a_failure_the_first_field_takes_the_cursor_in_view(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await window(pilot, voter)
        await answered(pilot, voter, voter.birth_text, "000000")
        first = screen.query_one("#verify-birth_date")
        assert result(app).startswith("Identité non vérifiée (1er échec")
        assert app.focused is first
        assert shows(app, first)
        assert shows(app, label_of(first))


async def locked(pilot: Pilot[Any], voter: DemoVoter) -> VerifyScreen:
    """A wrong IBAN tail, then two more, each with Entrée: the third failure locks the
    voter (the same answers again would not be sent)."""
    screen = await window(pilot, voter)
    await answered(pilot, voter, voter.birth_text, "000000")
    for tail in ("000001", "000002"):
        screen.query_one("#verify-iban", Input).value = tail
        await type_keys(pilot, "enter")
    await pilot.wait_for_scheduled_animations()
    assert "électeur verrouillé" in result(pilot.app)  # type: ignore[arg-type]
    return screen


async def test_after_the_lock_tab_keeps_the_explanation_and_the_buttons_in_view(
    app: CsuApp, demo_deps: Deps
) -> None:
    # Where the president's bureau is: the longest explanation, with the check in person.
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        screen = await locked(pilot, voter)
        explanation = screen.query_one("#verify-result", Static)
        buttons = [screen.query_one("#verify-ok"), screen.query_one("#verify-close")]
        stops = len(screen.focus_chain)
        reached = []
        for _ in range(stops + 1):  # round the window and back
            await press(pilot, "tab")
            await pilot.wait_for_scheduled_animations()
            reached.append(app.focused)
            assert explanation.region.height >= 2, app.focused  # not cut to one line
            assert shows(app, explanation), app.focused
            assert all(shows(app, button) for button in buttons), app.focused
        assert set(buttons) <= set(reached)  # Tab goes through the buttons
        assert result(app).endswith("la vérification en personne par le président reste possible.")


async def test_after_the_lock_each_field_tab_reaches_shows_above_the_buttons(
    app: CsuApp, demo_deps: Deps
) -> None:
    # The answer and the buttons stay at the window's bottom; Textual scrolls to a
    # focused widget only when it lies outside the window, not when they cover it.
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await locked(pilot, voter)
        for _ in range(len(screen.focus_chain) + 1):
            await press(pilot, "tab")
            await pilot.wait_for_scheduled_animations()
            focused = app.focused
            assert focused is not None
            assert shows(app, focused), focused


async def test_after_a_failed_code_the_code_received_by_sms_stays_in_view(
    app: CsuApp, demo_deps: Deps
) -> None:
    """The failure's two lines grew the dock over the last row, the code received by SMS,
    while the cursor went to the first: the agent no longer saw where to type the code."""
    voter = demo_voter(demo_deps, mobile=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await window(pilot, voter)
        await click(pilot, "#send-otp_mobile")
        birth = voter.birth_date.strftime("%d/%m/%Y")
        fill(pilot, verify_birth_date=birth, verify_otp_mobile="000000")
        await press(pilot, "enter")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert result(app).startswith("Identité non vérifiée")
        code = screen.query_one("#verify-otp_mobile", Input)
        assert shows(app, code) and shows(app, label_of(code))
        assert screen.focused is screen.query_one("#verify-birth_date")
        assert shows(app, screen.query_one("#verify-birth_date"))
