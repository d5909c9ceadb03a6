"""F7 (S5) through the real app: a request the rules would refuse is asked about
before it is recorded (newcomer run: the pieces received left unticked and the name
typed « Chauvain » for the roll's « Chauvin », Entrée in « Adresse retapée » journalled
a refusal of the voter's request at once, and the retry started from an empty form).

The window « Enregistrer comme refusée ? » lists each anomaly as the service would
record it (the pieces missing by name, the name that differs from the roll), with
« Revenir corriger » focused (Escape too): back to the form as typed, the cursor on the
first field at fault. « Enregistrer comme refusée » records the refusal as before. A
form with no anomaly goes without a question.
"""

from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, Static

from csu.app import CsuApp
from csu.screens.dialogs import ConfirmDialog
from csu.screens.substitution import SubstitutionRequestScreen
from csu.services.context import Deps
from tests.screens import test_substitution_screens
from tests.screens.conftest import (
    LATER,
    SIZE,
    DemoVoter,
    click,
    code,
    fill,
    in_call,
    journal_actions,
    press,
    screen_text,
)
from tests.screens.test_substitution_screens import (
    ADDRESS,
    identity_as_on_the_roll,
    requests,
    result_text,
    type_identity,
    verify_caller,
)

QUESTION = "Enregistrer comme refusée ?"
NAME_DIFFERS = "Le nom de la demande signée diffère de la liste électorale."


# The fixtures: the CCI demo's app, and a voter of its roll.
cci_app = test_substitution_screens.cci_app
voter = test_substitution_screens.voter


def typo(name: str) -> str:
    """The roll's name with one letter more (« Chauvin » typed « Chauvain »)."""
    return f"{name[:-1]}a{name[-1]}"


async def f7_verified(pilot: Pilot[Any], voter: DemoVoter) -> SubstitutionRequestScreen:
    """F7 on the voter file, in an intervention whose caller is verified."""
    await in_call(pilot, voter, channel="email", otp=code("agent", LATER))
    await verify_caller(pilot, voter)
    await press(pilot, "f7")
    modal = pilot.app.screen
    assert isinstance(modal, SubstitutionRequestScreen), screen_text(pilot.app)  # type: ignore[arg-type]
    assert modal.allowed
    return modal


async def enter_in_retyped_address(pilot: Pilot[Any], modal: SubstitutionRequestScreen) -> None:
    """The address typed twice, then Entrée in « Adresse retapée », the last field."""
    fill(pilot, substitution_email=ADDRESS, substitution_email_again=ADDRESS)
    modal.query_one("#substitution-email-again", Input).focus()
    await pilot.pause()
    await press(pilot, "enter")


async def the_finding(pilot: Pilot[Any], voter: DemoVoter) -> SubstitutionRequestScreen:
    """The newcomer's form: no piece ticked, the name mistyped, the rest right, Entrée
    in the last field."""
    modal = await f7_verified(pilot, voter)
    type_identity(pilot, typo(voter.row["nom"]), voter.row["prenom"], voter.birth_text)
    await enter_in_retyped_address(pilot, modal)
    return modal


def pieces(modal: SubstitutionRequestScreen) -> list[Checkbox]:
    return list(modal.query(".substitution-item").results(Checkbox))


def asked(app: CsuApp) -> str:
    return str(app.screen.query_one("#confirm-message", Static).content)


async def test_a_form_with_an_anomaly_asks_before_recording_and_records_nothing_meanwhile(
    cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
) -> None:
    async with cci_app.run_test(size=SIZE) as pilot:
        modal = await the_finding(pilot, voter)
        question = cci_app.screen
        assert isinstance(question, ConfirmDialog)
        assert QUESTION in screen_text(cci_app)
        said = asked(cci_app)
        for item in modal.definition.substitution.checklist:  # each piece, by name
            assert f"« {item} »" in said
        assert NAME_DIFFERS in said
        assert question.focused is question.query_one("#confirm-no", Button)
        assert str(question.query_one("#confirm-no", Button).label) == "Revenir corriger"
        assert requests(cci_deps) == []
        assert not any(action == "substitution_request" for action, _ in journal_actions(cci_deps))


async def test_back_to_correct_keeps_every_box_and_field_as_typed(
    cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
) -> None:
    async with cci_app.run_test(size=SIZE) as pilot:
        modal = await f7_verified(pilot, voter)
        type_identity(pilot, typo(voter.row["nom"]), voter.row["prenom"], voter.birth_text)
        fill(pilot, substitution_notes="Notice jamais reçue", substitution_declared="02/12/2022")
        pieces(modal)[0].value = True
        fill(pilot, substitution_email=ADDRESS, substitution_email_again=ADDRESS)
        typed = modal.entered()
        await click(pilot, "#substitution-submit")
        assert isinstance(cci_app.screen, ConfirmDialog)
        await press(pilot, "enter")  # « Revenir corriger », focused
        assert cci_app.screen is modal
        assert modal.entered() == typed
        assert not modal.query_one("#substitution-form").disabled
        assert modal.query_one("#substitution-submit", Button).display
    assert requests(cci_deps) == []


async def test_escape_on_the_question_goes_back_to_correct(
    cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
) -> None:
    async with cci_app.run_test(size=SIZE) as pilot:
        modal = await the_finding(pilot, voter)
        typed = modal.entered()
        await press(pilot, "escape")
        assert cci_app.screen is modal and modal.entered() == typed
    assert requests(cci_deps) == []


async def test_back_to_correct_puts_the_cursor_on_the_first_piece_not_ticked(
    cci_app: CsuApp, voter: DemoVoter
) -> None:
    async with cci_app.run_test(size=SIZE) as pilot:
        modal = await the_finding(pilot, voter)
        await press(pilot, "enter")  # « Revenir corriger »
        assert modal.focused is pieces(modal)[0]
        assert "serait refusée" in result_text(cci_app)  # the anomalies stay in view


@pytest.mark.parametrize(
    ("field", "wrong"),
    [("last-name", "nom"), ("first-name", "prenom"), ("birth-date", "birth")],
)
async def test_back_to_correct_puts_the_cursor_on_the_identity_field_that_differs(
    cci_app: CsuApp, voter: DemoVoter, field: str, wrong: str
) -> None:
    typed = {"nom": voter.row["nom"], "prenom": voter.row["prenom"], "birth": voter.birth_text}
    day_after = f"{voter.birth_date + timedelta(days=1):%d/%m/%Y}"
    typed[wrong] = day_after if wrong == "birth" else typo(typed[wrong])
    async with cci_app.run_test(size=SIZE) as pilot:
        modal = await f7_verified(pilot, voter)
        for box in pieces(modal):
            box.value = True
        type_identity(pilot, typed["nom"], typed["prenom"], typed["birth"])
        await enter_in_retyped_address(pilot, modal)
        assert isinstance(cci_app.screen, ConfirmDialog)
        await press(pilot, "enter")  # « Revenir corriger »
        assert modal.focused is modal.query_one(f"#substitution-{field}", Input)


async def test_confirming_records_the_refusal_with_its_reason_in_the_journal(
    cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
) -> None:
    async with cci_app.run_test(size=SIZE) as pilot:
        modal = await the_finding(pilot, voter)
        await click(pilot, "#confirm-yes")  # « Enregistrer comme refusée »
        assert cci_app.screen is modal
        shown = result_text(cci_app)
        assert "refusée" in shown and NAME_DIFFERS in shown
        assert "enregistrés au journal" in shown
        assert modal.query_one("#substitution-form").disabled
    [stored] = requests(cci_deps)
    assert stored.state == "refused" and NAME_DIFFERS in (stored.reason or "")
    assert ("substitution_request", "refusée") in journal_actions(cci_deps)


async def test_a_complete_form_records_without_a_question(
    cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
) -> None:
    async with cci_app.run_test(size=SIZE) as pilot:
        modal = await f7_verified(pilot, voter)
        for box in pieces(modal):
            box.value = True
        identity_as_on_the_roll(pilot, voter)
        await enter_in_retyped_address(pilot, modal)
        assert cci_app.screen is modal
        assert "en attente d'approbation" in result_text(cci_app)
    [stored] = requests(cci_deps)
    assert stored.state == "pending"
    assert ("substitution_request", "en attente") in journal_actions(cci_deps)


async def test_a_form_corrected_after_the_question_records_without_another(
    cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
) -> None:
    async with cci_app.run_test(size=SIZE) as pilot:
        modal = await the_finding(pilot, voter)
        await press(pilot, "enter")  # « Revenir corriger »
        for box in pieces(modal):
            box.value = True
        fill(pilot, substitution_last_name=voter.row["nom"])
        await enter_in_retyped_address(pilot, modal)
        assert cci_app.screen is modal
        assert "en attente d'approbation" in result_text(cci_app)
    [stored] = requests(cci_deps)
    assert stored.state == "pending"
    assert ("substitution_request", "refusée") not in journal_actions(cci_deps)
