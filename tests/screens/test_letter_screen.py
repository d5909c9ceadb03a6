"""The window that sends an Interior voter a new security key by post (issue 14 §3):
the address masked, a confirmation, where the letter went and its state, never the key;
and ctrl+b « Clé par courrier » on the voter file, greyed until the caller is verified,
hidden (and explained) where the election sends no key by post."""

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlmodel import col
from textual.pilot import Pilot
from textual.widgets import Button

from csu.app import CsuApp
from csu.delivery.folder import FolderDelivery
from csu.delivery.router import ChannelRouter
from csu.domain.contacts import mask_postal_address
from csu.screens.letter import LetterScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from csu.services.interventions import open_intervention
from csu.services.letters import LetterQueued
from csu.services.verification import verify_identity
from csu.store.tables import Material, Voter
from tests.conftest import AGENT
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    click,
    demo_voter,
    good_answers,
    in_call,
    journal_actions,
    journal_text,
    log_in,
    notifications,
    on_voter_file,
    open_intervention_ui,
    press,
    screen_text,
    settle,
    verify_ui,
)

ADDRESS = "Appartement 12\n18 rue de la Paix\n59000 Lille"
KEY = re.compile(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}\b")


def with_address(deps: Deps, voter: DemoVoter) -> None:
    """The roll gives the voter a home address (the demo's Interior voters have none)."""
    with deps.writing() as session:
        session.execute(
            update(Voter).where(Voter.id == voter.voter_id).values(adresse_postale=ADDRESS)  # type: ignore[arg-type]
        )


def call(deps: Deps, voter: DemoVoter, *, verified: bool = True) -> tuple[str, int]:
    """The agent's call on ``voter`` (identity verified on the phone unless told not);
    the intervention's id and the voter's material id."""
    opened = open_intervention(deps, AGENT, voter.voter_id, "phone")
    if verified:
        answers = {
            "birth_date": voter.birth_text,
            "agent_card": voter.row["carte_agent"][:6],
            "iban": voter.row["iban"][-6:],
        }
        assert verify_identity(deps, AGENT, opened.id, answers).verified
    return opened.id, material_of(deps, voter)


def material_of(deps: Deps, voter: DemoVoter) -> int:
    with deps.reading() as session:
        return session.execute(
            select(col(Material.id)).where(col(Material.identifier) == voter.identifier)
        ).scalar_one()


async def open_letter(pilot: Pilot[Any], intervention_id: str, material_id: int) -> list[Any]:
    """Logs the agent in and pushes the window; the list receives what it returns."""
    returned: list[Any] = []
    await log_in(pilot, "agent")
    await pilot.app.push_screen(LetterScreen(intervention_id, material_id), returned.append)
    await settle(pilot)
    assert isinstance(pilot.app.screen, LetterScreen)
    return returned


async def test_the_window_shows_the_address_masked_before_anything_is_sent(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    with_address(demo_deps, voter)
    intervention_id, material_id = call(demo_deps, voter)
    async with app.run_test(size=SIZE) as pilot:
        await open_letter(pilot, intervention_id, material_id)
        text = screen_text(app)
        assert mask_postal_address(ADDRESS) in text and "rue de la Paix" not in text
        assert not app.screen.query_one("#letter-ok", Button).disabled
    assert ("credential_issue", "ok") not in journal_actions(demo_deps)


async def test_confirming_sends_the_letter_and_says_where_it_went(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    with_address(demo_deps, voter)
    intervention_id, material_id = call(demo_deps, voter)
    async with app.run_test(size=SIZE) as pilot:
        returned = await open_letter(pilot, intervention_id, material_id)
        await click(pilot, "#letter-ok")
        text = screen_text(app)
        assert f"envoyée par courrier à {mask_postal_address(ADDRESS)}" in text
        assert "déposé dans le dossier d'impression" in text
        assert KEY.search(text) is None  # the key is in the letter only
        await click(pilot, "#letter-close-button")
    [queued] = returned
    assert isinstance(queued, LetterQueued) and queued.state == "sent"
    assert ("credential_issue", "ok") in journal_actions(demo_deps)
    assert b"rue de la Paix" not in journal_text(demo_deps)


async def test_without_an_address_on_the_roll_the_window_says_why(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    intervention_id, material_id = call(demo_deps, voter)
    async with app.run_test(size=SIZE) as pilot:
        returned = await open_letter(pilot, intervention_id, material_id)
        assert "Envoi impossible : Aucune adresse postale" in screen_text(app)
        assert app.screen.query_one("#letter-ok", Button).disabled
        await pilot.press("escape")
        await settle(pilot)
    assert returned == [None]
    assert ("credential_issue", "ok") not in journal_actions(demo_deps)


async def test_an_unverified_caller_gets_a_french_refusal_and_no_letter(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    with_address(demo_deps, voter)
    intervention_id, material_id = call(demo_deps, voter, verified=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_letter(pilot, intervention_id, material_id)
        await click(pilot, "#letter-ok")
        assert isinstance(app.screen, LetterScreen)
        assert "Courrier non envoyé — " in screen_text(app)
    assert ("credential_issue", "ok") not in journal_actions(demo_deps)


async def test_another_voters_material_is_refused(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps)
    other = demo_voter(demo_deps, "men-2022")
    intervention_id, _ = call(demo_deps, voter)
    async with app.run_test(size=SIZE) as pilot:
        await open_letter(pilot, intervention_id, material_of(demo_deps, other))
        assert "Ce matériel n'appartient pas à l'électeur" in screen_text(app)
        assert app.screen.query_one("#letter-ok", Button).disabled


# -------------------------------------------------------- ctrl+b on the voter file


@pytest.fixture
def print_folder(tmp_path: Path) -> Path:
    return tmp_path / "impression"


@pytest.fixture
def printing_app(demo_deps: Deps, outbox: Path, print_folder: Path) -> CsuApp:
    """The app whose letters go to a print folder (e-mail and SMS: the outbox)."""
    router = ChannelRouter(
        FolderDelivery(outbox), FolderDelivery(outbox), post=FolderDelivery(print_folder)
    )
    return CsuApp(dataclasses.replace(demo_deps, delivery=router), "poste-test")


def key_state(app: CsuApp) -> str:
    """The security key's state as the voter file shows it."""
    screen = app.screen
    assert isinstance(screen, VoterScreen) and screen.file is not None
    [key] = [c for m in screen.file.materials for c in m.credentials if c.kind == "security_key"]
    return key.status


async def test_f5_is_greyed_until_the_caller_is_verified_and_says_why(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    with_address(demo_deps, voter)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        assert not app.screen.active_bindings["ctrl+b"].enabled  # shown, greyed
        await press(pilot, "ctrl+b")
        assert isinstance(app.screen, VoterScreen)
        assert any(
            m.startswith("Identité non vérifiée") and m.endswith("(ctrl+e).")
            for m in notifications(app)
        )
    assert ("credential_issue", "ok") not in journal_actions(demo_deps)


async def test_f5_sends_a_verified_interior_voter_a_key_by_post(
    printing_app: CsuApp, demo_deps: Deps, print_folder: Path
) -> None:
    app = printing_app
    voter = demo_voter(demo_deps)
    with_address(demo_deps, voter)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter)
        assert key_state(app) == "d'origine (notice)"
        await open_intervention_ui(pilot, "phone")
        await verify_ui(pilot, **good_answers(voter))
        await press(pilot, "ctrl+b")
        assert isinstance(app.screen, LetterScreen)
        await click(pilot, "#letter-ok")
        assert "déposé dans le dossier d'impression" in screen_text(app)
        await click(pilot, "#letter-close-button")
        assert isinstance(app.screen, VoterScreen)
        # The file reloaded: the key of the notice is replaced by the one in the letter.
        assert key_state(app) == "actif"
        assert "Clé envoyée par courrier (journalisé)." in notifications(app)
    assert len(list(print_folder.glob("*.pdf"))) == 1
    assert ("credential_issue", "ok") in journal_actions(demo_deps)


async def test_f5_is_refused_in_french_where_the_election_sends_no_key_by_post(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, "men-2022")
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        assert "ctrl+b" not in app.screen.active_bindings  # ruled out by the election: hidden
        await press(pilot, "ctrl+b")
        assert isinstance(app.screen, VoterScreen)
        assert (
            "Pour cette élection, la clé de sécurité n'est pas délivrée par la cellule."
            in notifications(app)
        )


@pytest.mark.parametrize(("given", "said"), [(True, "enregistrée"), (False, "aucune")])
async def test_the_voter_file_says_whether_a_letter_can_go(
    app: CsuApp, demo_deps: Deps, given: bool, said: str
) -> None:
    """A newcomer learnt there was no address only from ctrl+b's refusal. The address
    itself is never shown."""
    voter = demo_voter(demo_deps)
    if given:
        with_address(demo_deps, voter)
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter)
        text = screen_text(app)
        assert re.search(rf"Adresse postale\s+{said}\b", text), text
        assert "rue de la Paix" not in text
