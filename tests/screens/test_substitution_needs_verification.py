"""F7 (S5) through the real app: the request form is filled only after the caller's
identity was verified in the call (seed 000: « Après contrôle, l'électeur sera invité à
formuler sa demande complète »).

On an unverified call the form opens greyed and says, before anything is typed, to
verify the identity first (ctrl+e); nothing can be sent. Verified, it opens and says
until when the verification holds; if it lapses before the request is sent, the
service refuses it and the form keeps what was typed.
"""

from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, Static

from csu.app import CsuApp
from csu.domain.verification import VERIFICATION_VALIDITY
from csu.screens.substitution import SubstitutionRequestScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from tests.fakes import Clock
from tests.screens.conftest import (
    LATER,
    SIZE,
    DemoVoter,
    click,
    code,
    demo_voter,
    fill,
    in_call,
    journal_actions,
    press,
    screen_text,
)
from tests.screens.test_substitution_screens import (
    ADDRESS,
    CCI,
    identity_as_on_the_roll,
    requests,
    result_text,
    verify_caller,
)


@pytest.fixture
def clock() -> Clock:
    return Clock(LATER)


@pytest.fixture
def deps(cci_deps: Deps, clock: Clock) -> Deps:
    """The CCI demo on a day declarations are accepted, with a clock the test moves."""
    return replace(cci_deps, clock=clock)


@pytest.fixture
def voter(deps: Deps) -> DemoVoter:
    return demo_voter(deps, CCI)


def notice(app: CsuApp) -> str:
    return str(app.screen.query_one("#substitution-verification", Static).content)


async def f7(pilot: Pilot[Any]) -> SubstitutionRequestScreen:
    """F7 on the voter file, as the agent presses it; the form once it knows the call."""
    await press(pilot, "f7")
    modal = pilot.app.screen
    assert isinstance(modal, SubstitutionRequestScreen), screen_text(pilot.app)  # type: ignore[arg-type]
    assert modal.check is not None  # the service answered
    return modal


def fill_complete(pilot: Pilot[Any], modal: SubstitutionRequestScreen, voter: DemoVoter) -> None:
    for box in modal.query(Checkbox):
        box.value = True
    identity_as_on_the_roll(pilot, voter)
    fill(pilot, substitution_email=ADDRESS, substitution_email_again=ADDRESS)


async def test_an_unverified_call_gets_a_greyed_form_saying_to_verify_first(
    deps: Deps, voter: DemoVoter
) -> None:
    app = CsuApp(deps, "poste-test")
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, channel="email", otp=code("agent", LATER))
        modal = await f7(pilot)
        said = notice(app)
        assert said.startswith("Identité non vérifiée ou vérification expirée (10 minutes)")
        assert "vérifiez-la d'abord" in said and "ctrl+e" in said
        assert "Rien n'a été envoyé." in said
        assert modal.query_one("#substitution-form").disabled
        assert modal.query_one("#substitution-submit", Button).disabled
        assert not modal.allowed
        assert not isinstance(modal.focused, Checkbox | Input)  # nothing to type into
        # Even filled in and sent by force, nothing goes.
        fill_complete(pilot, modal, voter)
        modal.query_one("#substitution-email", Input).post_message(
            Input.Submitted(modal.query_one("#substitution-email", Input), ADDRESS)
        )
        await pilot.pause()
        assert result_text(app) == ""
        await press(pilot, "escape")
        assert isinstance(app.screen, VoterScreen)
    assert requests(deps) == []
    assert not [a for a in journal_actions(deps) if a[0] == "substitution_request"]


async def test_after_the_control_the_form_opens_and_says_until_when(
    deps: Deps, voter: DemoVoter
) -> None:
    app = CsuApp(deps, "poste-test")
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, channel="email", otp=code("agent", LATER))
        await verify_caller(pilot, voter)
        modal = await f7(pilot)
        until = (LATER + VERIFICATION_VALIDITY).astimezone(modal.check.verified_until.tzinfo)  # type: ignore[union-attr]
        assert notice(app) == (
            f"Identité de l'appelant vérifiée jusqu'à {until:%H:%M} : enregistrez la demande "
            "avant."
        )
        assert not modal.query_one("#substitution-form").disabled
        assert not modal.query_one("#substitution-submit", Button).disabled
        pieces = list(modal.query(".substitution-item").results(Checkbox))
        assert modal.focused is pieces[0]  # where the agent starts
        fill_complete(pilot, modal, voter)
        await click(pilot, "#substitution-submit")
        assert "en attente d'approbation" in result_text(app)
    [stored] = requests(deps)
    assert stored.state == "pending"
    assert ("substitution_request", "en attente") in journal_actions(deps)


async def test_a_verification_lapsed_while_filling_is_refused_and_the_form_kept(
    deps: Deps, voter: DemoVoter, clock: Clock
) -> None:
    app = CsuApp(deps, "poste-test")
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, channel="email", otp=code("agent", LATER))
        await verify_caller(pilot, voter)
        modal = await f7(pilot)
        fill_complete(pilot, modal, voter)
        clock.advance(seconds=VERIFICATION_VALIDITY.total_seconds() + 60)
        await click(pilot, "#substitution-submit")
        shown = result_text(app)
        assert shown.startswith("Demande non enregistrée — Identité non vérifiée"), shown
        assert "vérifiez-la d'abord" in shown
        assert app.screen is modal and not modal.query_one("#substitution-form").disabled
        assert modal.query_one("#substitution-email", Input).value == ADDRESS  # kept
    assert requests(deps) == []
    assert ("substitution_request", "refusée") in journal_actions(deps)  # the attempt


async def test_a_new_verification_opens_the_form_again(
    deps: Deps, voter: DemoVoter, clock: Clock
) -> None:
    app = CsuApp(deps, "poste-test")
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, channel="email", otp=code("agent", LATER))
        await verify_caller(pilot, voter)
        clock.advance(minutes=30)  # the call went on: the verification lapsed
        modal = await f7(pilot)
        assert "vérification expirée" in notice(app)
        assert modal.query_one("#substitution-submit", Button).disabled
        await press(pilot, "escape")
        clock.advance(minutes=2)  # a new one-time code, a new control
        await verify_caller(pilot, voter)
        modal = await f7(pilot)
        assert modal.allowed and "vérifiée jusqu'à" in notice(app)
    assert requests(deps) == []
