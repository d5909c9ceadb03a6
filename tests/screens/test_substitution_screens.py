"""Replacement material (S5) through the real app: the agent's request modal inside an
intervention on a CCI demo voter, the supervisors' queue, four eyes, refusals with
their reason, and the new material that replaces the original and goes out by e-mail.

The demo shifts the CCI election so that it opened yesterday, and its
``substitution.from`` day with it (two days after the opening): these tests run three
days later than the other screen tests, on Monday 5 December 2022, 11:30 in Paris.
"""

import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pyotp
import pytest
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, DataTable, Input, Static

from csu.app import CsuApp
from csu.delivery.folder import FolderDelivery
from csu.domain.clock import fixed_clock
from csu.domain.errors import InvalidValue
from csu.domain.substitution import parse_declared_on
from csu.screens.approvals import ApprovalsScreen, DecisionScreen
from csu.screens.lookup import LookupScreen
from csu.screens.substitution import IDENTITY_LABEL, SubstitutionRequestScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps, OperatorContext
from csu.services.elections import list_elections
from csu.services.interventions import open_intervention
from csu.services.substitution import SubstitutionView, get_substitution, request_substitution
from csu.store.engine import make_engine
from csu.store.tables import Material, SubstitutionRequest
from tests.conftest import TEST_KEY
from tests.fakes import FAST_HASHER
from tests.screens.conftest import (
    SECRETS,
    SIZE,
    DemoVoter,
    click,
    demo_voter,
    fill,
    journal_actions,
    log_in,
    notifications,
    open_intervention_ui,
    open_voter_file,
    press,
    screen_text,
    settle,
)

CCI = "cci-hdf-2021"
LATER = datetime(2022, 12, 5, 10, 30, tzinfo=UTC)  # Monday, 11:30 in Paris
TODAY = date(2022, 12, 5)
ADDRESS = "electeur.perso@exemple.fr"
AGENT = OperatorContext("agent", "agent", "poste-test")
SUPERVISOR = OperatorContext("superviseur", "superviseur", "poste-test")
SIGNED = "Demande signée de façon manuscrite et scannée"


@pytest.fixture
def cci_deps(demo_template: Path, tmp_path: Path, outbox: Path) -> Iterator[Deps]:
    """The demo database, on a day the CCI election accepts declarations of loss."""
    path = tmp_path / "demo.sqlite"
    shutil.copy(demo_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield Deps(engine, TEST_KEY, fixed_clock(LATER), FAST_HASHER, delivery=FolderDelivery(outbox))
    engine.dispose()


@pytest.fixture
def cci_app(cci_deps: Deps) -> CsuApp:
    return CsuApp(cci_deps, "poste-test")


@pytest.fixture
def voter(cci_deps: Deps) -> DemoVoter:
    return demo_voter(cci_deps, CCI)


# ------------------------------------------------------------------- helpers


async def log_in_later(pilot: Pilot[Any], login: str) -> None:
    await log_in(pilot, login, otp=pyotp.TOTP(SECRETS[login]).at(LATER))


async def request_modal(
    pilot: Pilot[Any], voter: DemoVoter, results: list[SubstitutionView | None]
) -> SubstitutionRequestScreen:
    """As the agent, on the voter's file with an intervention by e-mail open: the
    request modal, pushed as the voter screen pushes it."""
    await log_in_later(pilot, "agent")
    await open_voter_file(pilot, voter.matricule)
    await open_intervention_ui(pilot, "email")
    return await push_request(pilot, results)


async def push_request(
    pilot: Pilot[Any], results: list[SubstitutionView | None]
) -> SubstitutionRequestScreen:
    app = pilot.app
    screen = app.screen
    assert isinstance(screen, VoterScreen)
    assert screen.file is not None and screen.intervention is not None
    materials = [
        (m.material_id, m.identifier, m.capacity)
        for m in screen.file.materials
        if m.election_id == CCI
    ]
    modal = SubstitutionRequestScreen(screen.intervention.id, materials, screen.definitions[CCI])
    await app.push_screen(modal, results.append)
    await pilot.pause()
    return modal


def tick(modal: SubstitutionRequestScreen, *, but: str | None = None) -> None:
    """Ticks every box of the form, but one (by its label)."""
    for box in modal.query(Checkbox):
        box.value = str(box.label) != but


def result_text(app: CsuApp) -> str:
    return str(app.screen.query_one("#substitution-result", Static).content)


def materials_of(deps: Deps, voter_id: int) -> list[Material]:
    with deps.reading() as session:
        return list(
            session.exec(
                select(Material)
                .where(Material.voter_id == voter_id, Material.election_id == CCI)
                .order_by(Material.id)  # type: ignore[arg-type]
            )
        )


def requests(deps: Deps) -> list[SubstitutionRequest]:
    with deps.reading() as session:
        return list(session.exec(select(SubstitutionRequest)))


def mails(outbox: Path) -> list[str]:
    """The text of each e-mail in the outbox folder."""
    texts = []
    for path in sorted(outbox.glob("*.eml")):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = mail.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        assert body is not None
        texts.append(f"To: {mail['To']}\nSubject: {mail['Subject']}\n\n{body.get_content()}")
    return texts


def request_as(deps: Deps, who: OperatorContext, voter: DemoVoter) -> SubstitutionView:
    """A complete request recorded through the services, in an intervention by phone."""
    opened = open_intervention(deps, who, voter.voter_id, "phone")
    definition = next(d for d in list_elections(deps) if d.id == CCI)
    material = materials_of(deps, voter.voter_id)[0]
    view = request_substitution(
        deps,
        who,
        opened.id,
        [material.id or 0],
        checklist=dict.fromkeys(definition.substitution.checklist, True),
        identity_match=True,
        email=ADDRESS,
        declared_on=TODAY,
        notes="Courrier jamais reçu",
    )
    assert view.pending
    return view


async def open_approvals_from_palette(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*"substi")
    await pilot.pause(0.3)
    await press(pilot, "enter")


# ----------------------------------------------------------------- scenarios


class TestS5SubstitutionEndToEnd:
    async def test_agent_requests_supervisor_approves_new_material_is_mailed(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter, outbox: Path
    ) -> None:
        app = cci_app
        results: list[SubstitutionView | None] = []
        async with app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, results)
            text = screen_text(app)
            assert "Matériel de substitution — cci-hdf-2021" in text
            assert "à partir du 01/12/2022" in text and "approbation d'un superviseur" in text
            assert app.screen.query_one("#substitution-declared", Input).value == "05/12/2022"
            tick(modal)
            fill(pilot, substitution_email=ADDRESS, substitution_notes="Notice jamais reçue")
            await click(pilot, "#substitution-submit")
            assert "en attente d'approbation" in result_text(app)
            assert not app.screen.query_one("#substitution-submit", Button).display
            await click(pilot, "#substitution-close")
            assert isinstance(app.screen, VoterScreen)
            [view] = results
            assert view is not None and view.pending and view.email.startswith("e***@")

            await press(pilot, "ctrl+o")  # log out
            await log_in_later(pilot, "superviseur")
            await open_approvals_from_palette(pilot)
            assert isinstance(app.screen, ApprovalsScreen), notifications(app)
            text = screen_text(app)
            assert voter.matricule in text and "agent" in text and "5/5, identité conforme" in text
            assert "Notice jamais reçue" in text and ADDRESS not in text
            await press(pilot, "enter")
            assert isinstance(app.screen, DecisionScreen)
            fill(pilot, decision_reason="Pièces contrôlées, identité conforme")
            await click(pilot, "#decision-approve")
            assert isinstance(app.screen, ApprovalsScreen), notifications(app)
            assert any(f"Demande n° {view.id} accordée" in m for m in notifications(app))
            assert "Aucune demande en attente" in screen_text(app)
            assert app.screen.query_one(DataTable).row_count == 0

        old, new = materials_of(cci_deps, voter.voter_id)
        assert old.identifier == voter.identifier and old.status == "substituted"
        assert new.status == "active" and new.replaces_id == old.id
        assert new.identifier != old.identifier
        [mail] = [m for m in mails(outbox) if f"To: {ADDRESS}" in m]
        assert new.identifier in mail
        [notice] = [m for m in mails(outbox) if f"To: {ADDRESS}" not in m]  # registered address
        assert "matériel de vote de substitution a remplacé le vôtre" in notice
        actions = journal_actions(cci_deps)
        assert ("substitution_request", "en attente") in actions
        assert ("substitution_list", "ok") in actions
        assert ("substitution_grant", "ok") in actions

    async def test_a_missing_piece_refuses_the_request_with_its_name(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        app = cci_app
        results: list[SubstitutionView | None] = []
        async with app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, results)
            tick(modal, but=SIGNED)
            fill(pilot, substitution_email=ADDRESS)
            await pilot.click("#substitution-submit")
            await pilot.click("#substitution-submit")  # a double click records one request
            await settle(pilot)
            shown = result_text(app)
            assert "refusée" in shown and f"« {SIGNED} »" in shown
            assert "enregistrés au journal" in shown
            assert app.screen.query_one("#substitution-form").disabled
            await press(pilot, "escape")  # after the answer, Escape closes with it
            assert isinstance(app.screen, VoterScreen)
        [view] = results
        assert view is not None and view.state == "refusée" and view.missing == (SIGNED,)
        [stored] = requests(cci_deps)
        assert stored.state == "refused" and SIGNED in (stored.reason or "")
        assert materials_of(cci_deps, voter.voter_id)[0].status == "active"
        assert ("substitution_request", "refusée") in journal_actions(cci_deps)


    @pytest.mark.parametrize(
        ("untick", "declared", "reason"),
        [
            (IDENTITY_LABEL, "", "ne correspondent pas à la liste électorale"),
            (None, "30/11/2022", "avant le 01/12/2022"),
        ],
        ids=["identity-mismatch", "declared-too-early"],
    )
    async def test_other_refusals_are_stored_and_shown_with_their_reason(
        self,
        cci_app: CsuApp,
        cci_deps: Deps,
        voter: DemoVoter,
        untick: str | None,
        declared: str,
        reason: str,
    ) -> None:
        results: list[SubstitutionView | None] = []
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, results)
            tick(modal, but=untick)
            fill(pilot, substitution_email=ADDRESS)
            if declared:
                fill(pilot, substitution_declared=declared)
            await pilot.click("#substitution-submit")
            await settle(pilot)
            shown = result_text(cci_app)
            assert "refusée" in shown and reason in shown
        [stored] = requests(cci_deps)
        assert stored.state == "refused" and reason in (stored.reason or "")
        assert materials_of(cci_deps, voter.voter_id)[0].status == "active"


class TestRequestModal:
    async def test_escape_before_submission_records_nothing(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        results: list[SubstitutionView | None] = []
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, results)
            tick(modal)
            await press(pilot, "escape")
            assert isinstance(cci_app.screen, VoterScreen)
        assert results == [None]
        assert requests(cci_deps) == []

    async def test_bad_input_and_service_refusals_keep_what_was_typed(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        app = cci_app
        results: list[SubstitutionView | None] = []
        async with app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, results)
            tick(modal)
            fill(pilot, substitution_email="electeur.perso@", substitution_declared="06/12/2022")
            await click(pilot, "#substitution-submit")
            assert result_text(app) == "Format incorrect — Courriel : rien après le signe @"
            fill(pilot, substitution_email=ADDRESS)
            await click(pilot, "#substitution-submit")  # tomorrow
            assert "Date de déclaration : le 06/12/2022 est postérieur" in result_text(app)
            assert requests(cci_deps) == []

            fill(pilot, substitution_declared="05/12/2022")
            await click(pilot, "#substitution-submit")
            assert "en attente" in result_text(app)
            await click(pilot, "#substitution-close")
            # A second request while the first waits: refused by the service, not stored.
            modal = await push_request(pilot, results)
            tick(modal)
            fill(pilot, substitution_email=ADDRESS)
            await click(pilot, "#substitution-submit")
            assert any("attend déjà la décision" in m for m in notifications(app))
            assert "Demande non enregistrée — Une demande" in result_text(app)
            assert app.screen is modal and not modal.query_one("#substitution-form").disabled
            assert modal.query_one("#substitution-email", Input).value == ADDRESS
            assert all(box.value for box in modal.query(Checkbox))
        assert len(requests(cci_deps)) == 1

    def test_declaration_dates(self) -> None:
        assert parse_declared_on(" 3/12/2022 ", TODAY) == date(2022, 12, 3)
        for wrong, fault in (
            ("", "valeur absente"),
            ("2022-12-03", "format attendu jj/mm/aaaa"),
            ("30/02/2022", "n'existe pas"),
            ("06/12/2022", "postérieur à aujourd'hui"),
        ):
            with pytest.raises(InvalidValue, match=fault):
                parse_declared_on(wrong, TODAY)


class TestApprovals:
    async def test_four_eyes_the_author_cannot_decide(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        view = request_as(cci_deps, SUPERVISOR, voter)
        app = cci_app
        async with app.run_test(size=SIZE) as pilot:
            await log_in_later(pilot, "superviseur")
            app.action_approvals()
            await settle(pilot)
            assert isinstance(app.screen, ApprovalsScreen)
            assert app.screen.query_one(DataTable).row_count == 1
            await press(pilot, "enter")
            assert isinstance(app.screen, DecisionScreen)
            assert "Vous êtes l'auteur de cette demande" in screen_text(app)
            fill(pilot, decision_reason="Je valide ma propre demande")
            await click(pilot, "#decision-approve")
            assert any("quatre yeux" in m for m in notifications(app))
            assert isinstance(app.screen, DecisionScreen)  # still open, reason kept
            assert "quatre yeux" in str(app.screen.query_one("#decision-message", Static).content)
            assert app.screen.query_one(Input).value == "Je valide ma propre demande"
            await press(pilot, "escape")
            assert isinstance(app.screen, ApprovalsScreen)
        assert get_substitution(cci_deps, SUPERVISOR, view.id).pending
        assert [m.status for m in materials_of(cci_deps, voter.voter_id)] == ["active"]

    async def test_refusal_needs_a_reason_and_keeps_the_material(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter, outbox: Path
    ) -> None:
        view = request_as(cci_deps, AGENT, voter)
        app = cci_app
        async with app.run_test(size=SIZE) as pilot:
            await log_in_later(pilot, "superviseur")
            app.action_approvals()
            await settle(pilot)
            await press(pilot, "d")
            assert isinstance(app.screen, DecisionScreen)
            fill(pilot, decision_reason="non")
            await click(pilot, "#decision-refuse")
            assert isinstance(app.screen, DecisionScreen)
            assert any("Motif trop court" in m for m in notifications(app))
            fill(pilot, decision_reason="Signature absente de la demande scannée")
            await click(pilot, "#decision-refuse")
            assert isinstance(app.screen, ApprovalsScreen)
            assert any(
                f"Demande n° {view.id} refusée : Signature absente" in m for m in notifications(app)
            )
            assert "Aucune demande en attente" in screen_text(app)
        decided = get_substitution(cci_deps, SUPERVISOR, view.id)
        assert decided.state == "refusée" and decided.decided_by == "superviseur"
        assert [m.status for m in materials_of(cci_deps, voter.voter_id)] == ["active"]
        assert mails(outbox) == []

    async def test_reload_reads_the_queue_again_only_when_asked(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        app = cci_app
        async with app.run_test(size=SIZE) as pilot:
            await log_in_later(pilot, "superviseur")
            app.action_approvals()
            await settle(pilot)
            assert "Aucune demande en attente" in screen_text(app)
            assert "d" not in app.screen.active_bindings  # nothing to decide
            request_as(cci_deps, AGENT, voter)  # meanwhile, at an agent's workstation
            await pilot.pause(0.2)
            assert app.screen.query_one(DataTable).row_count == 0
            await press(pilot, "r")
            assert app.screen.query_one(DataTable).row_count == 1
            assert "1 demande(s) en attente" in screen_text(app)
        lists = [a for a in journal_actions(cci_deps) if a[0] == "substitution_list"]
        assert len(lists) == 1  # an empty queue is not journalled


class TestAppActions:
    async def test_approvals_are_for_supervisors_only(
        self, cci_app: CsuApp, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        app = cci_app
        async with app.run_test(size=SIZE) as pilot:
            await log_in_later(pilot, "agent")
            app.action_approvals()
            await settle(pilot)
            assert isinstance(app.screen, LookupScreen)
            assert "Écran réservé aux superviseurs." in notifications(app)
            # The palette does not offer it to an agent.
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"approuver")
            await pilot.pause(0.3)
            assert "Demandes de substitution" not in screen_text(app)
            await press(pilot, "escape")
            # Without the outbox screen, the action says so instead of failing.
            monkeypatch.setitem(sys.modules, "csu.screens.outbox", None)
            app.action_outbox()
            await settle(pilot)
            assert "Écran indisponible." in notifications(app)
            assert isinstance(app.screen, LookupScreen)
