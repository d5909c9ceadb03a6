"""The president's notice of new in-person requests (S2) counts only the requests
still waiting that the queue (ctrl+g) has not listed: it goes once they are listed,
does not come back after the president attests or declines, and says « 1 nouvelle
demande », « 2 nouvelles demandes »."""

from typing import Any

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Select

from csu.app import CsuApp
from csu.screens.presence_requests import AttestScreen, PresenceRequestsScreen
from csu.services.context import Deps, OperatorContext
from csu.services.interventions import open_intervention
from csu.services.presence import decline_presence, request_presence_check
from csu.store.tables import Material
from tests.screens.conftest import (
    SIZE,
    fill,
    log_in,
    notifications,
    president_bureau,
    press,
    settle,
)

AGENT = OperatorContext("agent", "agent", "poste-agent")
SUPERVISOR = OperatorContext("superviseur", "superviseur", "poste-superviseur")
NOTICE = "de vérification en personne d'un agent"


def asks(deps: Deps, who: OperatorContext, nth: int = 0) -> str:
    """``who``, on another workstation, takes the president's call about the ``nth``
    voter of the president's bureau and asks; the request's id."""
    with deps.reading() as session:
        voters = session.exec(
            select(Material.voter_id)
            .where(
                Material.bureau_code == president_bureau(deps),
                Material.election_id == "minint-2022",
                Material.status == "active",
                Material.voted_at.is_(None),  # type: ignore[union-attr]
            )
            .order_by(Material.voter_id)  # type: ignore[arg-type]
        ).all()
    call = open_intervention(deps, who, voters[nth], "president", president_login="president")
    return request_presence_check(deps, who, call.id).id


def notices(app: CsuApp) -> list[str]:
    return [told for told in notifications(app) if NOTICE in told]


async def look(pilot: Pilot[Any]) -> None:
    """The president's session looks for new requests (every 5 s in use)."""
    pilot.app._watch_presence()  # type: ignore[attr-defined]
    await settle(pilot)


async def president_told_of_one(pilot: Pilot[Any], deps: Deps) -> None:
    await log_in(pilot, "president")
    asks(deps, AGENT)
    await look(pilot)
    assert notices(pilot.app) != []  # type: ignore[arg-type]


async def attest_the_first(pilot: Pilot[Any]) -> None:
    await press(pilot, "ctrl+g", "enter")
    assert isinstance(pilot.app.screen, AttestScreen)
    pilot.app.screen.query_one("#attest-document", Select).value = "carte_agent"
    fill(pilot, attest_last4="7X2Q")
    pilot.app.screen.query_one("#attest-last4").focus()
    await press(pilot, "enter")  # in the field of the last 4 characters: attests
    await settle(pilot)
    assert isinstance(pilot.app.screen, PresenceRequestsScreen)


async def test_the_notice_goes_once_the_queue_lists_the_request(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await president_told_of_one(pilot, demo_deps)
        await press(pilot, "ctrl+g")
        assert isinstance(app.screen, PresenceRequestsScreen)
        assert notices(app) == []


async def test_no_notice_shows_after_the_president_attests(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await president_told_of_one(pilot, demo_deps)
        await attest_the_first(pilot)
        await look(pilot)
        assert notices(app) == []


async def test_no_notice_shows_after_the_president_declines(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await president_told_of_one(pilot, demo_deps)
        await press(pilot, "ctrl+g", "enter")
        assert isinstance(app.screen, AttestScreen)
        fill(pilot, attest_reason="La personne présente n'est pas l'électeur.")
        app.screen.query_one("#attest-reason").focus()
        await press(pilot, "enter")
        assert isinstance(app.screen, PresenceRequestsScreen)
        await look(pilot)
        assert notices(app) == []


async def test_a_request_the_queue_listed_first_is_not_announced_after(
    app: CsuApp, demo_deps: Deps
) -> None:
    """The president opened the queue before the session's look found the request."""
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "president")
        asks(demo_deps, AGENT)
        await press(pilot, "ctrl+g")
        await look(pilot)
        assert notices(app) == []


async def test_a_look_begun_before_the_attestation_does_not_announce_it(
    app: CsuApp, demo_deps: Deps
) -> None:
    """A look that read the request as waiting just before the president attested it
    reports after the attestation: the request was listed, nothing is announced."""
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "president")
        request = asks(demo_deps, AGENT)
        await attest_the_first(pilot)
        assert app.operator is not None
        app._notify_presence(app.operator, [request])  # what the late look read
        await settle(pilot)
        assert notices(app) == []


async def test_one_request_is_said_in_the_singular(app: CsuApp, demo_deps: Deps) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await president_told_of_one(pilot, demo_deps)
        assert notices(app) == [
            "1 nouvelle demande de vérification en personne d'un agent : ctrl+g pour "
            "attester la pièce d'identité."
        ]


async def test_two_requests_are_said_in_one_notice_in_the_plural(
    app: CsuApp, demo_deps: Deps
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await president_told_of_one(pilot, demo_deps)
        asks(demo_deps, SUPERVISOR, nth=1)
        await look(pilot)
        [told] = notices(app)
        assert told.startswith("2 nouvelles demandes de vérification en personne")


async def test_the_notice_counts_only_the_requests_still_waiting(
    app: CsuApp, demo_deps: Deps
) -> None:
    """Of two announced, one is declined from another workstation of the president:
    the notice now counts the one left."""
    async with app.run_test(size=SIZE) as pilot:
        await president_told_of_one(pilot, demo_deps)
        second = asks(demo_deps, SUPERVISOR, nth=1)
        await look(pilot)
        elsewhere = OperatorContext(
            "president", "president", "autre-poste", president_bureau(demo_deps)
        )
        decline_presence(demo_deps, elsewhere, second, "La personne est repartie sans pièce.")
        await look(pilot)
        [told] = notices(app)
        assert told.startswith("1 nouvelle demande de vérification en personne")
