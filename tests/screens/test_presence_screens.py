"""The president's side of S2 in the app: the queue of in-person checks, reached by
ctrl+g and the palette for presidents only, a notification per new request, and the
attestation window (the whole call, agent and president together, is in
test_scenarios.TestS2ThroughThePresident)."""

import re
from typing import Any

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Select, Static

from csu.app import CsuApp
from csu.screens.dialogs import ConfirmDialog
from csu.screens.presence_requests import AttestScreen, PresenceRequestsScreen
from csu.services.context import Deps, OperatorContext
from csu.services.interventions import open_intervention
from csu.services.presence import request_presence_check
from csu.store.tables import JournalEntry
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
        assert "1 nouvelle demande " in told and matricule not in told


async def test_a_malformed_document_is_refused_in_the_window(app: CsuApp, demo_deps: Deps) -> None:
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


async def test_at_80_columns_the_queue_shows_each_date_of_birth_whole(
    app: CsuApp, demo_deps: Deps
) -> None:
    # « 05/01/19… »: the year, what the president checks the card against, was cut.
    agent_asks_the_president(demo_deps)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "president")
        await press(pilot, "ctrl+g")
        table = app.screen.query_one("#presence-table", DataTable)
        [row] = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert re.fullmatch(r"\d\d/\d\d/\d{4}", row[3]), row


def attestations(deps: Deps) -> list[str]:
    with deps.reading() as session:
        return list(
            session.exec(
                select(JournalEntry.action).where(JournalEntry.action == "presence_attest")
            )
        )


async def open_the_request(pilot: Pilot[Any]) -> AttestScreen:
    await log_in(pilot, "president")
    await press(pilot, "ctrl+g")
    await press(pilot, "enter")
    screen = pilot.app.screen
    assert isinstance(screen, AttestScreen)
    return screen


async def test_the_window_starts_on_the_type_of_document(app: CsuApp, demo_deps: Deps) -> None:
    agent_asks_the_president(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_request(pilot)
        assert app.focused is screen.query_one("#attest-document", Select)
        assert screen.query_one("#attest-document", Select).is_blank()


async def test_tab_then_enter_on_an_empty_form_says_what_is_missing_and_sends_nothing(
    app: CsuApp, demo_deps: Deps
) -> None:
    matricule = agent_asks_the_president(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_request(pilot)
        await press(pilot, "tab", "enter")
        assert app.screen is screen
        said = str(screen.query_one("#attest-message", Static).content)
        assert "le type de la pièce vue" in said and "4 derniers caractères" in said
        assert "Rien n'a été envoyé" in said
        assert app.focused is screen.query_one("#attest-document", Select)
        assert attestations(demo_deps) == []
        await press(pilot, "escape")
        assert matricule in screen_text(app)  # still waiting


async def test_a_document_and_its_last_characters_typed_then_enter_attest(
    app: CsuApp, demo_deps: Deps
) -> None:
    agent_asks_the_president(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_request(pilot)
        screen.query_one("#attest-document", Select).value = "cni"
        await press(pilot, "tab", "1", "2", "a", "b", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PresenceRequestsScreen)
        assert attestations(demo_deps) == ["presence_attest"]


async def test_a_decline_with_dots_for_a_reason_says_the_minimum_as_every_reason_field_does(
    app: CsuApp, demo_deps: Deps
) -> None:
    agent_asks_the_president(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_request(pilot)
        reason = screen.query_one("#attest-reason", Input)
        assert reason.placeholder == "5 lettres ou chiffres au moins"
        reason.value = "a . . . . . ."
        await pilot.click("#attest-decline")
        said = str(screen.query_one("#attest-message", Static).content)
        assert (
            said
            == "Pour refuser, indiquez le motif (5 lettres ou chiffres au moins) : l'agent le lira."
        )
        assert app.screen is screen


def declines(deps: Deps) -> list[str]:
    with deps.reading() as session:
        return list(
            session.exec(
                select(JournalEntry.action).where(JournalEntry.action == "presence_decline")
            )
        )


async def document_and_reason_typed(pilot: Pilot[Any], screen: AttestScreen) -> None:
    """The document seen and its last characters, then a note in the reason, Entrée."""
    screen.query_one("#attest-document", Select).value = "cni"
    fill(pilot, attest_last4="12AB", attest_reason="pièce vue, conforme")
    screen.query_one("#attest-reason", Input).focus()
    await press(pilot, "enter")


async def test_enter_in_the_reason_with_the_document_filled_in_asks_before_refusing(
    app: CsuApp, demo_deps: Deps
) -> None:
    # The agent read « a refusé d'attester : pièce vue, conforme », nobody asked.
    agent_asks_the_president(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_request(pilot)
        await document_and_reason_typed(pilot, screen)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "Refuser l'attestation alors que la pièce est renseignée ?" in screen_text(app)
        assert dialog.focused is dialog.query_one("#confirm-no", Button)
        await press(pilot, "enter")  # the safe answer
        assert app.screen is screen
        assert app.focused is screen.query_one("#attest-last4", Input)
    assert declines(demo_deps) == []


async def test_refusing_when_asked_declines_with_the_reason_typed(
    app: CsuApp, demo_deps: Deps
) -> None:
    agent_asks_the_president(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_request(pilot)
        await document_and_reason_typed(pilot, screen)
        await click(pilot, "#confirm-yes")
        assert isinstance(app.screen, PresenceRequestsScreen)
    assert declines(demo_deps) == ["presence_decline"]
    assert attestations(demo_deps) == []


async def test_the_reason_field_says_it_is_for_a_refusal_only(
    app: CsuApp, demo_deps: Deps
) -> None:
    agent_asks_the_president(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await open_the_request(pilot)
        assert "Pour refuser : motif" in screen_text(app)
