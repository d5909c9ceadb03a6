"""The president's windows offer only the identity documents the election accepts
(``identity_documents``; minint-2022: « carte d'identité, carte agent », seed 002)."""

from textual.widgets import Select

from csu.app import CsuApp
from csu.services.context import Deps
from tests.screens.conftest import SIZE, demo_voter, in_call, president_bureau, press
from tests.screens.test_presence_screens import agent_asks_the_president, open_the_request


def offered(select: Select[str]) -> list[str]:
    """The documents the list offers, its blank prompt aside."""
    return [str(prompt) for prompt, value in select._options if value is not Select.NULL]


async def test_the_attestation_offers_the_documents_the_election_accepts(
    app: CsuApp, demo_deps: Deps
) -> None:
    agent_asks_the_president(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_request(pilot)
        documents = offered(screen.query_one("#attest-document", Select))
    assert documents == ["carte nationale d'identité", "carte agent"]


async def test_the_presidents_own_check_offers_the_documents_the_election_accepts(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, login="president")
        await press(pilot, "ctrl+e")
        documents = offered(app.screen.query_one("#verify-document", Select))
    assert documents == ["carte nationale d'identité", "carte agent"]
