"""The identity check's window after a failure: how many failures are left before the
lock (never which answer was wrong), and the answer in view in a short terminal."""

import pytest
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Static

from csu.app import CsuApp
from csu.domain.verification import FACTOR_LABELS
from csu.screens.verification import SAME_ANSWERS, SHORT_LABELS, VerifyScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    DemoVoter,
    demo_voter,
    fill,
    good_answers,
    in_call,
    president_bureau,
    press,
)

SHORT = (110, 32)
"""The newcomer's tmux window, where the lock message was cut mid-sentence."""


def wrong_answers(voter: DemoVoter, nth: int = 0) -> dict[str, str]:
    # The right date and card, a wrong IBAN tail (another at each try: the same answers
    # again are not sent, csu.screens.verification.SAME_ANSWERS).
    return {**good_answers(voter), "verify_iban": f"00000{nth}"}


def result(app: CsuApp) -> str:
    return str(app.screen.query_one("#verify-result", Static).content)


def in_view(box: Widget, widget: Widget) -> bool:
    """Whether the whole of ``widget`` shows in the visible part of the scrolling
    ``box`` it sits in (both on the screen)."""
    drawn = widget.region
    return bool(drawn.height) and box.scrollable_content_region.contains_region(drawn)


async def failed(app: CsuApp, pilot: object, voter: DemoVoter, times: int) -> list[str]:
    """Wrong answers submitted ``times`` with Entrée, as a person does; the window's
    answer after each."""
    answers = []
    for nth in range(times):
        fill(pilot, **wrong_answers(voter, nth))  # type: ignore[arg-type]
        await press(pilot, "enter")  # type: ignore[arg-type]
        answers.append(result(app))
    return answers


async def test_each_failure_says_how_many_tries_are_left_before_the_lock(
    app: CsuApp, demo_deps: Deps
) -> None:
    # In the bureau of the demo's president: the check in person remains (said only
    # where the voter's bureau has a president).
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SHORT) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        first, second, third = await failed(app, pilot, voter, 3)
    assert first == (
        "Identité non vérifiée (1er échec sur 3 en 24 h : encore 2 essais avant le "
        "verrouillage)."
    )
    assert second == (
        "Identité non vérifiée (2e échec sur 3 en 24 h : encore 1 essai avant le verrouillage)."
    )
    assert third.startswith(
        "Identité non vérifiée (3e échec sur 3 en 24 h) : électeur verrouillé pour la "
        "vérification à distance jusqu'au "
    )
    assert third.endswith(
        "Seul un superviseur peut le déverrouiller ; la vérification en personne par le "
        "président reste possible."
    )


async def test_entree_again_on_the_same_refused_answers_counts_no_failure(
    app: CsuApp, demo_deps: Deps
) -> None:
    # Entrée three times on unchanged answers locked the voter.
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SHORT) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        [first] = await failed(app, pilot, voter, 1)
        await press(pilot, "enter")
        again = result(app)
        await press(pilot, "enter")
        assert result(app) == again == SAME_ANSWERS
        fill(pilot, **wrong_answers(voter, 1))
        await press(pilot, "enter")
        second = result(app)
    assert first.startswith("Identité non vérifiée (1er échec sur 3")
    assert second.startswith("Identité non vérifiée (2e échec sur 3")


async def test_a_date_of_birth_typed_without_slashes_verifies(
    app: CsuApp, demo_deps: Deps
) -> None:
    # « 01041983 », as read out, was refused: « format attendu jj/mm/aaaa ».
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SHORT) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        digits = voter.birth_text.replace("/", "")
        fill(pilot, **{**good_answers(voter), "verify_birth_date": digits})
        await press(pilot, "enter")
        assert not isinstance(app.screen, VerifyScreen), result(app)


async def test_no_failure_message_names_the_wrong_answer(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SHORT) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        messages = await failed(app, pilot, voter, 3)
    for message in messages:
        for label in (*FACTOR_LABELS.values(), *SHORT_LABELS.values(), "IBAN", "iban"):
            assert label.lower() not in message.lower()


async def test_in_a_short_terminal_the_lock_message_and_the_buttons_are_in_view(
    app: CsuApp, demo_deps: Deps
) -> None:
    # At 110x32 it was cut mid-sentence; there the window no longer scrolls (its fields
    # take a row each below 36 rows), 20 rows still make it.
    voter = demo_voter(demo_deps)
    async with app.run_test(size=(110, 20)) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        await failed(app, pilot, voter, 3)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, VerifyScreen)
        box = screen.query_one("#verify-box", Vertical)
        shown = screen.query_one("#verify-result", Static)
        assert "électeur verrouillé" in result(app)
        assert box.max_scroll_y > 0  # the window does scroll at this size
        assert in_view(box, shown)
        assert shown.region.height >= 2  # the whole message, over more than one line
        assert in_view(box, screen.query_one(".modal-buttons", Horizontal))


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_every_field_and_the_buttons_show_without_scrolling(
    app: CsuApp, demo_deps: Deps, size: tuple[int, int]
) -> None:
    # Each field took three rows: at 80x24 the window showed the first of five, the
    # others below it until Tab, at 100x30 three. Below 36 rows they take one row each.
    async with app.run_test(size=size) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+e")
        screen = app.screen
        assert isinstance(screen, VerifyScreen)
        box = screen.query_one("#verify-box", Vertical)
        assert box.max_scroll_y == 0
        fields = screen.query(".verify-row Input")
        assert len(fields) == 5  # date, IBAN, card, key, code by SMS
        for field in (*fields, screen.query_one(".modal-buttons", Horizontal)):
            assert in_view(box, field), field


async def test_at_80_by_24_a_value_its_field_refuses_is_tinted(
    app: CsuApp, demo_deps: Deps
) -> None:
    # Framed red at full size; without the frame, nothing told it apart.
    async with app.run_test(size=(80, 24)) as pilot:
        await in_call(pilot, demo_voter(demo_deps))
        await press(pilot, "ctrl+e")
        field = app.screen.query_one("#verify-birth_date")
        await pilot.click(field)
        await pilot.press(*"31/02/1980", "tab")
        await pilot.pause()
        assert field.has_class("-invalid")
        assert field.styles.background_tint.a > 0


async def test_in_a_terminal_too_short_a_first_failure_and_the_buttons_stay_in_view(
    app: CsuApp, demo_deps: Deps
) -> None:
    # The first answer took the focus again, and Textual scrolled it into view: the
    # window went back to its top, the failure and « Vérifier » out of sight.
    voter = demo_voter(demo_deps)
    async with app.run_test(size=(80, 18)) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        [said] = await failed(app, pilot, voter, 1)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, VerifyScreen)
        assert said.startswith("Identité non vérifiée (1er échec")
        box = screen.query_one("#verify-box", Vertical)
        assert box.max_scroll_y > 0  # the window does scroll at this size
        assert in_view(box, screen.query_one("#verify-result", Static))
        assert in_view(box, screen.query_one(".modal-buttons", Horizontal))
        first = screen.query_one("#verify-birth_date")
        assert app.focused is first  # the caller's answers, to ask again
