"""The president's side of S2 in the app: the queue of in-person checks, reached by
ctrl+g and the palette for presidents only, a notification per new request, and the
attestation window (the whole call, agent and president together, is in
test_scenarios.TestS2ThroughThePresident)."""

from csu.app import CsuApp
from csu.screens.presence_requests import AttestScreen, PresenceRequestsScreen
from csu.services.context import Deps, OperatorContext
from csu.services.interventions import open_intervention
from csu.services.presence import request_presence_check
from tests.screens.conftest import (
    SIZE,
    click,
    demo_voter,
    fill,
    log_in,
    notifications,
    president_bureau,
    press,
    screen_text,
    settle,
)
from tests.screens.test_desk import palette_labels

AGENT = OperatorContext("agent", "agent", "poste-agent")
QUEUE = "Vérifications en personne"


def agent_asks_the_president(deps: Deps) -> str:
    """The agent, on another workstation, takes the president's call and asks."""
    voter = demo_voter(deps, bureau=president_bureau(deps))
    call = open_intervention(deps, AGENT, voter.voter_id, "president", president_login="president")
    request_presence_check(deps, AGENT, call.id)
    return voter.matricule


async def test_only_a_president_is_offered_the_in_person_checks(app: CsuApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        assert QUEUE not in await palette_labels(app)
        before = app.screen
        await press(pilot, "ctrl+g")
        assert app.screen is before
        await press(pilot, "ctrl+o")
        await log_in(pilot, "president")
        assert QUEUE in await palette_labels(app)
        await press(pilot, "ctrl+g")
        assert isinstance(app.screen, PresenceRequestsScreen)
        assert "Aucune demande en attente" in screen_text(app)


async def test_the_president_is_notified_once_of_a_new_request_naming_no_voter(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "president")
        matricule = agent_asks_the_president(demo_deps)
        for _ in range(2):  # every 5 s in use
            app._watch_presence()
            await settle(pilot)
        [told] = [n for n in notifications(app) if "vérification en personne" in n]
        assert "1 nouvelle(s) demande(s)" in told and matricule not in told


async def test_a_malformed_document_is_refused_in_the_window(
    app: CsuApp, demo_deps: Deps
) -> None:
    matricule = agent_asks_the_president(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "president")
        await press(pilot, "ctrl+g")
        assert matricule in screen_text(app)
        await press(pilot, "enter")
        assert isinstance(app.screen, AttestScreen)
        fill(pilot, attest_last4="12")
        await click(pilot, "#attest-ok")
        assert isinstance(app.screen, AttestScreen)
        assert "4 derniers caractères" in screen_text(app)
        await press(pilot, "escape")
        assert isinstance(app.screen, PresenceRequestsScreen)
        assert matricule in screen_text(app)  # still waiting
