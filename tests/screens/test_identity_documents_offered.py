"""The president's windows offer only the identity documents the election accepts
(``identity_documents``; minint-2022: « carte d'identité, carte agent », seed 002)."""

import re

from sqlmodel import Session, select
from textual.widgets import Select, Static

from csu.app import CsuApp
from csu.screens.verification import VerifyScreen
from csu.services.context import Deps
from csu.store.tables import JournalEntry
from tests.screens.conftest import (
    SIZE,
    click,
    demo_voter,
    in_call,
    notifications,
    president_bureau,
    press,
    settle,
)
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


async def test_the_presidents_own_check_starts_blank_and_refuses_no_document(
    app: CsuApp, demo_deps: Deps
) -> None:
    # The first document was chosen already: the journal could name a card never seen.
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, login="president")
        await press(pilot, "ctrl+e")
        assert isinstance(app.screen, VerifyScreen)
        document = app.screen.query_one("#verify-document", Select)
        assert document.is_blank()
        await click(pilot, "#verify-in_person")
        await pilot.press(*"7Q4X")
        await press(pilot, "enter")
        assert isinstance(app.screen, VerifyScreen)  # nothing checked, nothing journalled
        said = str(app.screen.query_one("#verify-result", Static).content)
        assert said == "Type de pièce : choisissez la pièce d'identité vue."
        assert app.focused is document
        assert verifications(demo_deps) == []


async def test_the_document_is_asked_for_only_with_its_last_characters(
    app: CsuApp, demo_deps: Deps
) -> None:
    # Both left blank, another set of answers could verify: the service says what lacks.
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, login="president")
        await press(pilot, "ctrl+e")
        await click(pilot, "#verify-in_person")
        await press(pilot, "enter")
        await settle(pilot)
        said = " ".join([str(app.screen.query_one("#verify-result", Static).content),
                         *notifications(app)])  # fmt: skip
        assert "choisissez la pièce" not in said
        assert re.search(r"Réponses? manquantes?", said), said


def verifications(deps: Deps) -> list[str]:
    """The journal's verification entries."""
    with Session(deps.engine) as session:
        entries = session.exec(select(JournalEntry.action)).all()
    return [action for action in entries if "verif" in action]
