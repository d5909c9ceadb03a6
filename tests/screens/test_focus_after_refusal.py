"""When a form refuses what was typed, the cursor goes to the field at fault: the
operator reads the French message and corrects the value at once, without hunting for
the field with Tab."""

import pytest
from textual.widgets import Input

from csu.app import CsuApp
from csu.domain.logins import SHAPE
from csu.screens.operators import CreateOperatorScreen
from csu.screens.verification import VerifyScreen
from csu.services.context import Deps
from tests.screens.conftest import (
    card_and_iban,
    click,
    demo_voter,
    fill,
    in_call,
    notifications,
    press,
    screen_text,
)
from tests.screens.test_operators_screen import PASSWORD, open_operators


async def test_two_different_passwords_put_the_cursor_on_the_confirmation(app: CsuApp) -> None:
    async with app.run_test() as pilot:
        await open_operators(pilot)
        await press(pilot, "n")
        fill(pilot, create_login="c.martin", create_password=PASSWORD)
        fill(pilot, create_password_again="Pluie-sur-Brest-43")
        await click(pilot, "#create-ok")
        assert isinstance(app.screen, CreateOperatorScreen)
        assert "Les deux mots de passe saisis diffèrent." in screen_text(app)
        assert app.focused is app.screen.query_one("#create-password-again", Input)


@pytest.mark.parametrize(
    ("login", "said"),
    [
        ("c martin", f"Identifiant : {SHAPE}"),
        ("agent", "Identifiant : l'opérateur « agent » existe déjà"),  # taken: the service's
    ],
    ids=["malformed", "taken"],
)
async def test_a_login_refused_puts_the_cursor_on_the_login(
    app: CsuApp, login: str, said: str
) -> None:
    async with app.run_test() as pilot:
        await open_operators(pilot)
        await press(pilot, "n")
        fill(pilot, create_login=login, create_password=PASSWORD)
        fill(pilot, create_password_again=PASSWORD)
        await click(pilot, "#create-ok")
        assert said in screen_text(app)
        assert app.focused is app.screen.query_one("#create-login", Input)


async def test_an_answer_in_a_wrong_format_gets_the_cursor(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test() as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        assert isinstance(app.screen, VerifyScreen)
        fill(pilot, **{**card_and_iban(voter), "verify_birth_date": "31/02/19"})
        await click(pilot, "#verify-ok")
        assert "Format incorrect" in screen_text(app)
        assert app.focused is app.screen.query_one("#verify-birth_date", Input)


async def test_wrong_answers_put_the_cursor_back_on_the_first_answer(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test() as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        wrong_iban = card_and_iban(voter)["verify_iban"][::-1]
        fill(pilot, **{**card_and_iban(voter), "verify_iban": wrong_iban})
        await click(pilot, "#verify-ok")
        assert isinstance(app.screen, VerifyScreen)
        assert app.focused is app.screen.query(Input).first()


async def test_a_missing_answer_puts_the_cursor_on_it(app: CsuApp, demo_deps: Deps) -> None:
    """Left on « Vérifier » after « Réponse manquante », a newcomer's Tab then Entrée
    pressed « Fermer »: the window went without a word."""
    voter = demo_voter(demo_deps, "men-2022")
    async with app.run_test() as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        fill(pilot, verify_challenge_answer="Rennes")
        await click(pilot, "#verify-ok")
        assert isinstance(app.screen, VerifyScreen)
        assert "Réponse manquante" in " ".join(notifications(app))
        # The set nearest completion, in the file's order: the NUMEN's.
        assert app.focused is app.screen.query_one("#verify-numen", Input)
