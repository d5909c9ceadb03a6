"""The substitution request's fields take a paste whole or refuse it whole, saying why
(probe B, finding 12: an address pasted with a bidirectional mark showed scrambled)."""

import pytest
from textual.widgets import Input

from csu.app import CsuApp
from csu.services.context import Deps
from csu.services.substitution import SubstitutionView
from tests.screens.conftest import SIZE, DemoVoter, demo_voter, notifications
from tests.screens.test_pasted_controls import paste
from tests.screens.test_substitution_screens import ADDRESS, CCI, request_modal


@pytest.fixture
def cci_app(cci_deps: Deps) -> CsuApp:
    return CsuApp(cci_deps, "poste-test")


@pytest.fixture
def voter(cci_deps: Deps) -> DemoVoter:
    return demo_voter(cci_deps, CCI)


@pytest.mark.parametrize(
    ("selector", "text"),
    [
        ("#substitution-email", ADDRESS + "\u202e"),
        ("#substitution-email", "\u200b" + ADDRESS),
        ("#substitution-declared", "05/12\x1b[2J/2022"),
        ("#substitution-notes", "Notice\x07 jamais reçue"),
    ],
)
async def test_a_paste_with_a_hidden_or_control_character_is_refused_and_named(
    cci_app: CsuApp, voter: DemoVoter, selector: str, text: str
) -> None:
    results: list[SubstitutionView | None] = []
    async with cci_app.run_test(size=SIZE) as pilot:
        await request_modal(pilot, voter, results)
        field = cci_app.screen.query_one(selector, Input)
        before = field.value

        await paste(pilot, selector, text)

        assert field.value == before
        assert any("caractère interdit" in said for said in notifications(cci_app))


async def test_a_clean_address_pasted_is_taken(cci_app: CsuApp, voter: DemoVoter) -> None:
    results: list[SubstitutionView | None] = []
    async with cci_app.run_test(size=SIZE) as pilot:
        await request_modal(pilot, voter, results)
        await paste(pilot, "#substitution-email", ADDRESS + "\n")
        assert cci_app.screen.query_one("#substitution-email", Input).value == ADDRESS
