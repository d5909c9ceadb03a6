"""The agent's verification window, when the president attested a document that the
election's file no longer accepts (reloaded since with its ``identity_documents``): it
says so, and offers « Redemander », which sends a new request."""

from pathlib import Path

from csu.app import CsuApp
from csu.screens.verification import VerifyScreen
from csu.services.context import Deps, OperatorContext
from csu.services.elections import load_election
from csu.services.presence import attest_presence, presence_status
from tests.conftest import ADMIN
from tests.screens.conftest import (
    SIZE,
    click,
    demo_voter,
    in_call,
    last_intervention,
    president_bureau,
    press,
    screen_text,
    settle,
)

AGENT = OperatorContext("agent", "agent", "poste-test")
MININT = (Path(__file__).resolve().parents[2] / "data" / "elections" / "minint-2022.toml")
ONLY_CARDS = 'identity_documents = ["cni", "carte_agent"]'
# The president's check alone does not verify: the agent completes it, later.
WITH_BIRTH_DATE = MININT.read_text(encoding="utf-8").replace(
    'president = [["in_person"]]', 'president = [["in_person", "birth_date"]]'
)


async def test_the_window_says_the_document_is_no_longer_accepted_and_asks_again(
    app: CsuApp, demo_deps: Deps
) -> None:
    load_election(demo_deps, ADMIN, WITH_BIRTH_DATE.replace(ONLY_CARDS, ""), "minint-2022.toml")
    bureau = president_bureau(demo_deps)
    voter = demo_voter(demo_deps, bureau=bureau)
    president = OperatorContext("president", "president", "bureau-de-vote", bureau)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, channel="president", open_president="president")
        await press(pilot, "ctrl+e")  # the window asks the president at once
        assert isinstance(app.screen, VerifyScreen)
        await settle(pilot)
        call_id = last_intervention(demo_deps)
        asked = presence_status(demo_deps, AGENT, call_id)
        assert asked is not None
        assert not attest_presence(demo_deps, president, asked.id, "passeport", "12AB").verified
        load_election(demo_deps, ADMIN, WITH_BIRTH_DATE, "minint-2022.toml")
        await press(pilot, "f5")  # the window also looks every 2 s
        await settle(pilot)
        said = " ".join(screen_text(app).split())
        assert "a attesté une pièce (« passeport ») que cette élection n'accepte plus" in said
        assert "pièces acceptées : carte nationale d'identité" in said  # what to show instead
        assert app.screen.query_one("#verify-ask").display  # « Redemander »
        await click(pilot, "#verify-ask")
        await settle(pilot)
        assert "en attente du président" in " ".join(screen_text(app).split())
    again = presence_status(demo_deps, AGENT, call_id)
    assert again is not None and again.id != asked.id and again.state == "pending"
