"""Replacement material (S5) through the real app: the agent's request modal inside an
intervention on a CCI demo voter, the name, first name and date of birth typed from the
signed request and compared with the roll, the supervisors' queue, four eyes, refusals
with their reason, and the new material that replaces the original and goes out by
e-mail.

The demo shifts the CCI election so that it opened yesterday, and its
``substitution.from`` day with it (two days after the opening): these tests run three
days later than the other screen tests, on Monday 5 December 2022, 11:30 in Paris.
"""

import io
import re
import sys
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlmodel import select
from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Static

from csu.app import CsuApp
from csu.delivery.folder import FolderDelivery
from csu.domain.errors import InvalidValue
from csu.domain.masking import mask_identifier
from csu.domain.substitution import parse_declared_on
from csu.screens.approvals import ApprovalsScreen, DecisionScreen
from csu.screens.dialogs import ConfirmDialog
from csu.screens.lookup import LookupScreen
from csu.screens.substitution import SubstitutionRequestScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps, OperatorContext
from csu.services.elections import list_elections
from csu.services.interventions import open_intervention
from csu.services.substitution import (
    SubstitutionView,
    TypedIdentity,
    decide_substitution,
    get_substitution,
    request_substitution,
)
from csu.store.tables import Material, SubstitutionRequest, Voter
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
    log_in,
    notifications,
    open_voter_file,
    press,
    screen_text,
    settle,
)
from tests.services.test_substitution import mark_verified

CCI = "cci-hdf-2021"
TODAY = date(2022, 12, 5)
ADDRESS = "electeur.perso@exemple.fr"
AGENT = OperatorContext("agent", "agent", "poste-test")
SUPERVISOR = OperatorContext("superviseur", "superviseur", "poste-test")
SIGNED = "Demande signée de façon manuscrite et scannée"


@pytest.fixture
def cci_app(cci_deps: Deps) -> CsuApp:
    return CsuApp(cci_deps, "poste-test")


@pytest.fixture
def voter(cci_deps: Deps) -> DemoVoter:
    return demo_voter(cci_deps, CCI)


# ------------------------------------------------------------------- helpers


async def log_in_later(pilot: Pilot[Any], login: str) -> None:
    await log_in(pilot, login, otp=code(login, LATER))


async def first_request_opened(pilot: Pilot[Any]) -> None:
    """A supervisor logged in, the queue of requests open, the first one opened."""
    await log_in_later(pilot, "superviseur")
    pilot.app.action_approvals()  # type: ignore[attr-defined]
    await settle(pilot)
    await press(pilot, "enter")


async def request_modal(
    pilot: Pilot[Any], voter: DemoVoter, results: list[SubstitutionView | None]
) -> SubstitutionRequestScreen:
    """As the agent, on the voter's file with an intervention by e-mail open and the
    caller verified (the request follows the control, seed 000): the request modal,
    pushed as the voter screen pushes it."""
    await in_call(pilot, voter, channel="email", otp=code("agent", LATER))
    await verify_caller(pilot, voter)
    return await push_request(pilot, results)


async def verify_caller(pilot: Pilot[Any], voter: DemoVoter) -> None:
    """The CCI control of a call by e-mail (ctrl+e): date of birth + a one-time code sent
    to the registered address, read from the outbox folder."""
    delivery = pilot.app.deps.delivery  # type: ignore[attr-defined]
    assert isinstance(delivery, FolderDelivery)
    await press(pilot, "ctrl+e")
    fill(pilot, verify_birth_date=voter.birth_text)
    await click(pilot, "#send-otp_email")
    [code] = re.findall(r"code de vérification est (\d+)", [m for m in mails(delivery.folder)
                                                             if is_code(m)][-1])  # fmt: skip
    fill(pilot, verify_otp_email=code)
    await click(pilot, "#verify-ok")
    assert isinstance(pilot.app.screen, VoterScreen), notifications(pilot.app)  # type: ignore[arg-type]
    assert pilot.app.screen.intervention is not None
    assert pilot.app.screen.intervention.verified_until is not None


def is_code(mail: str) -> bool:
    """An e-mail of the control's one-time code, not of the request."""
    return "code de vérification" in mail


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
    await settle(pilot)  # the form asks the service whether the call is verified
    return modal


def tick(modal: SubstitutionRequestScreen, *, but: str | None = None) -> None:
    """Ticks every box of the form (voter numbers and pieces received), but one (by its
    label)."""
    for box in modal.query(Checkbox):
        box.value = str(box.label) != but


def type_identity(pilot: Pilot[Any], last_name: str, first_name: str, birth: str) -> None:
    """The name, first name and date of birth as the signed request gives them."""
    fill(
        pilot,
        substitution_last_name=last_name,
        substitution_first_name=first_name,
        substitution_birth_date=birth,
    )


def identity_as_on_the_roll(pilot: Pilot[Any], voter: DemoVoter) -> None:
    type_identity(pilot, voter.row["nom"], voter.row["prenom"], voter.birth_text)


def rename(deps: Deps, voter: DemoVoter, last_name: str, first_name: str) -> None:
    """Gives the voter, on the roll, a name with an accent to compare against."""
    with deps.writing() as session:
        row = session.get(Voter, voter.voter_id)
        assert row is not None
        row.last_name, row.first_name = last_name, first_name
        session.add(row)


async def record_refusal(pilot: Pilot[Any]) -> str:
    """« Enregistrer comme refusée ? », asked of a form the rules refuse, answered
    « Enregistrer comme refusée »: the anomalies the window listed."""
    question = pilot.app.screen
    assert isinstance(question, ConfirmDialog), notifications(pilot.app)  # type: ignore[arg-type]
    asked = str(question.query_one("#confirm-message", Static).content)
    await click(pilot, "#confirm-yes")
    return asked


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
    """A complete request recorded through the services, in an intervention by phone,
    the caller verified."""
    opened = open_intervention(deps, who, voter.voter_id, "phone")
    mark_verified(deps, who, opened.id)
    definition = next(d for d in list_elections(deps) if d.id == CCI)
    material = materials_of(deps, voter.voter_id)[0]
    view = request_substitution(
        deps,
        who,
        opened.id,
        [material.id or 0],
        checklist=dict.fromkeys(definition.substitution.checklist, True),
        identity=TypedIdentity(voter.row["nom"], voter.row["prenom"], voter.birth_text),
        email=ADDRESS,
        email_again=ADDRESS,
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
            identity_as_on_the_roll(pilot, voter)
            fill(pilot, substitution_email=ADDRESS, substitution_email_again=ADDRESS,
                 substitution_notes="Notice jamais reçue")
            await click(pilot, "#substitution-submit")
            assert "en attente d'approbation" in result_text(app)
            assert not app.screen.query_one("#substitution-submit", Button).display
            await click(pilot, "#substitution-close")
            assert isinstance(app.screen, VoterScreen)
            [view] = results
            assert view is not None and view.pending and view.email.startswith("e***@")

            await press(pilot, "ctrl+o")  # log out: asked first, the call still open
            await click(pilot, "#quit-anyway")
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
            assert isinstance(app.screen, ConfirmDialog)  # the original stops working
            await click(pilot, "#confirm-yes")
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
        [notice] = [  # to the registered address
            m for m in mails(outbox) if f"To: {ADDRESS}" not in m and not is_code(m)
        ]
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
            identity_as_on_the_roll(pilot, voter)
            fill(pilot, substitution_email=ADDRESS, substitution_email_again=ADDRESS)
            await click(pilot, "#substitution-submit")
            await record_refusal(pilot)  # asked first: a piece received, left unticked?
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

    async def test_a_loss_declared_too_early_is_refused_stored_and_shown_with_its_reason(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        reason = "avant le 01/12/2022"
        results: list[SubstitutionView | None] = []
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, results)
            tick(modal)
            identity_as_on_the_roll(pilot, voter)
            fill(pilot, substitution_email=ADDRESS, substitution_email_again=ADDRESS,
                 substitution_declared="30/11/2022")
            await click(pilot, "#substitution-submit")
            await record_refusal(pilot)
            shown = result_text(cci_app)
            assert "refusée" in shown and reason in shown
        [stored] = requests(cci_deps)
        assert stored.state == "refused" and reason in (stored.reason or "")
        assert materials_of(cci_deps, voter.voter_id)[0].status == "active"


class TestRequestModal:
    async def test_at_80_by_24_each_label_stands_on_its_field_s_row(
        self, cci_app: CsuApp, voter: DemoVoter
    ) -> None:
        # Padded for fields of three rows, each label sat a row below its one-row field.
        async with cci_app.run_test(size=(80, 24)) as pilot:
            modal = await request_modal(pilot, voter, [])
            for row in modal.query(".substitution-row"):
                label, field = row.query_one(Label), row.query_one(Input)
                assert label.content_region.y == field.content_region.y, (label, field)

    async def test_escape_before_submission_records_nothing(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        results: list[SubstitutionView | None] = []
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, results)
            tick(modal)
            await press(pilot, "escape")
            await click(pilot, "#confirm-yes")  # « Abandonner la saisie »
            assert isinstance(cci_app.screen, VoterScreen)
        assert results == [None]
        assert requests(cci_deps) == []

    @pytest.mark.parametrize(
        "filled",
        [
            {"substitution_last_name": "Dupont"},
            {"substitution_declared": "02/12/2022"},
            {"substitution_email": ADDRESS},
            {},  # a piece ticked
        ],
        ids=["name", "date", "address", "box"],
    )
    async def test_escape_on_a_half_filled_form_asks_before_discarding(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter, filled: dict[str, str]
    ) -> None:
        # It threw everything away without a word; the closing window asks.
        results: list[SubstitutionView | None] = []
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, results)
            if filled:
                fill(pilot, **filled)
            else:
                modal.query(".substitution-item").results(Checkbox).__next__().value = True
            kept = modal.entered()
            await press(pilot, "escape")
            dialog = cci_app.screen
            assert isinstance(dialog, ConfirmDialog)
            assert "Abandonner la demande ?" in screen_text(cci_app)
            assert dialog.focused is dialog.query_one("#confirm-no", Button)
            await press(pilot, "enter")  # « Reprendre la saisie »
            assert cci_app.screen is modal and modal.entered() == kept
            await press(pilot, "escape")
            await click(pilot, "#confirm-yes")  # « Abandonner la saisie »
            assert isinstance(cci_app.screen, VoterScreen)
        assert results == [None]
        assert requests(cci_deps) == []

    async def test_escape_on_a_form_as_it_opened_closes_at_once(
        self, cci_app: CsuApp, voter: DemoVoter
    ) -> None:
        # Its one voter number ticked and today's date are the form's own, not typed.
        results: list[SubstitutionView | None] = []
        async with cci_app.run_test(size=SIZE) as pilot:
            await request_modal(pilot, voter, results)
            await press(pilot, "escape")
            assert isinstance(cci_app.screen, VoterScreen)
        assert results == [None]

    async def test_bad_input_and_service_refusals_keep_what_was_typed(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        app = cci_app
        results: list[SubstitutionView | None] = []
        async with app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, results)
            tick(modal)
            identity_as_on_the_roll(pilot, voter)
            fill(pilot, substitution_email="electeur.perso@", substitution_email_again=ADDRESS,
                 substitution_declared="06/12/2022")
            await click(pilot, "#substitution-submit")
            assert result_text(app) == "Format incorrect — Courriel : rien après le signe @"
            fill(pilot, substitution_email=ADDRESS, substitution_email_again=ADDRESS)
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
            identity_as_on_the_roll(pilot, voter)
            fill(pilot, substitution_email=ADDRESS, substitution_email_again=ADDRESS)
            await click(pilot, "#substitution-submit")
            assert any("attend déjà la décision" in m for m in notifications(app))
            assert "Demande non enregistrée — Une demande" in result_text(app)
            assert app.screen is modal and not modal.query_one("#substitution-form").disabled
            assert modal.query_one("#substitution-email", Input).value == ADDRESS
            assert all(box.value for box in modal.query(Checkbox))
        assert len(requests(cci_deps)) == 1

    async def test_an_address_retyped_differently_is_refused_and_nothing_recorded(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        # Typed once, « gmial.com » was taken: the new material would have gone there.
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, [])
            tick(modal)
            identity_as_on_the_roll(pilot, voter)
            fill(pilot, substitution_email="dorothee.chauvin@gmial.com",
                 substitution_email_again="dorothee.chauvin@gmail.com")  # fmt: skip
            await click(pilot, "#substitution-submit")
            assert result_text(cci_app) == (
                "Les deux saisies de l'adresse d'envoi diffèrent : retapez-la telle qu'écrite "
                "sur la demande. Rien n'a été envoyé."
            )
            assert modal.focused is modal.query_one("#substitution-email-again", Input)
            assert modal.query_one("#substitution-email", Input).value.endswith("@gmial.com")
        assert requests(cci_deps) == []

    async def test_an_address_whose_domain_looks_like_a_typo_is_asked_about_first(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        # Typed twice the same, « gmail.con » would still send the material to a stranger.
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, [])
            tick(modal)
            identity_as_on_the_roll(pilot, voter)
            fill(pilot, substitution_email="dorothee.chauvin@gmail.con",
                 substitution_email_again="dorothee.chauvin@gmail.con")  # fmt: skip
            await click(pilot, "#substitution-submit")
            question = cci_app.screen
            assert isinstance(question, ConfirmDialog)
            assert "« gmail.con » ressemble à une faute de frappe pour « gmail.com »" in (
                screen_text(cci_app)
            )
            await press(pilot, "enter")  # « Corriger l'adresse », the safe answer
            assert cci_app.screen is modal
            assert modal.focused is modal.query_one("#substitution-email", Input)
            assert requests(cci_deps) == []
            await click(pilot, "#substitution-submit")
            await click(pilot, "#confirm-yes")  # « Envoyer quand même »: read back, right
            assert [r.email_masked for r in requests(cci_deps)] == ["d***@gmail.con"]

    async def test_the_retyped_address_refuses_a_paste(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        # Copied from the first field, a typo would have checked itself.
        async with cci_app.run_test(size=SIZE) as pilot:
            await request_modal(pilot, voter, [])
            field = cci_app.screen.query_one("#substitution-email-again", Input)
            field.focus()
            await pilot.pause()
            field.post_message(events.Paste("dorothee.chauvin@gmial.com"))
            await settle(pilot)
            assert field.value == ""
            assert any("Adresse retapée : à retaper au clavier, pas à coller" in m
                       for m in notifications(cci_app))  # fmt: skip

    def test_declaration_dates(self) -> None:
        assert parse_declared_on(" 3/12/2022 ", TODAY) == date(2022, 12, 3)
        for wrong, fault in (
            ("", "valeur absente"),
            ("3 décembre 2022", "format attendu jj/mm/aaaa"),
            ("30/02/2022", "n'existe pas"),
            ("06/12/2022", "postérieur à aujourd'hui"),
        ):
            with pytest.raises(InvalidValue, match=fault):
                parse_declared_on(wrong, TODAY)


    @pytest.mark.parametrize("typed", ["03122022", "03 12 2022", "2022-12-03", "20221203"])
    def test_a_declaration_date_is_read_as_a_date_of_birth_is(self, typed: str) -> None:
        # « 03122022 », as read out, was refused where the date of birth took it.
        assert parse_declared_on(typed, TODAY) == date(2022, 12, 3)


class TestTypedIdentity:
    """Seed 000: the name, first name and date of birth of the signed request, typed and
    compared with the roll (accents and case aside); a difference refuses the request."""

    async def test_an_identity_differing_only_in_accents_and_case_is_accepted(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        rename(cci_deps, voter, "Dupont", "Hélène")
        results: list[SubstitutionView | None] = []
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, results)
            tick(modal)
            type_identity(pilot, "DUPONT", "helene", voter.birth_text)
            fill(pilot, substitution_email=ADDRESS, substitution_email_again=ADDRESS)
            await click(pilot, "#substitution-submit")
            assert "en attente d'approbation" in result_text(cci_app)
        [stored] = requests(cci_deps)
        assert stored.state == "pending" and stored.identity_match and stored.reason is None

    async def test_a_different_name_refuses_the_request_with_its_reason(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        reason = "Le nom de la demande signée diffère de la liste électorale."
        results: list[SubstitutionView | None] = []
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, results)
            tick(modal)
            type_identity(pilot, "Durand-Lemoine", voter.row["prenom"], voter.birth_text)
            fill(pilot, substitution_email=ADDRESS, substitution_email_again=ADDRESS)
            await click(pilot, "#substitution-submit")
            assert reason in await record_refusal(pilot)
            shown = result_text(cci_app)
            assert f"refusée : {reason}" in shown and "enregistrés au journal" in shown
            assert modal.query_one("#substitution-form").disabled
        [stored] = requests(cci_deps)
        assert stored.state == "refused" and not stored.identity_match
        assert stored.reason == reason
        assert materials_of(cci_deps, voter.voter_id)[0].status == "active"
        assert ("substitution_request", "refusée") in journal_actions(cci_deps)

    async def test_a_different_birth_date_refuses_the_request(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        reason = "La date de naissance de la demande signée diffère de la liste électorale."
        day_after = voter.birth_date + timedelta(days=1)
        results: list[SubstitutionView | None] = []
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, results)
            tick(modal)
            type_identity(pilot, voter.row["nom"], voter.row["prenom"], f"{day_after:%d/%m/%Y}")
            fill(pilot, substitution_email=ADDRESS, substitution_email_again=ADDRESS)
            modal.query_one("#substitution-email", Input).focus()
            await press(pilot, "enter")  # a complete form: Entrée sends it
            assert reason in await record_refusal(pilot)
            assert reason in result_text(cci_app)
        [stored] = requests(cci_deps)
        assert stored.state == "refused" and stored.reason == reason

    async def test_focus_starts_on_the_first_piece_then_reaches_the_identity(
        self, cci_app: CsuApp, voter: DemoVoter
    ) -> None:
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, [])
            # The voter's one number is ticked already: the agent starts on the pieces.
            pieces = list(modal.query(".substitution-item").results(Checkbox))
            assert modal.focused is pieces[0]
            await press(pilot, *["tab"] * len(pieces))
            assert modal.focused is modal.query_one("#substitution-last-name", Input)
            await press(pilot, "tab")
            assert modal.focused is modal.query_one("#substitution-first-name", Input)
            await press(pilot, "tab")
            assert modal.focused is modal.query_one("#substitution-birth-date", Input)

    async def test_enter_on_an_incomplete_form_names_the_missing_field_and_sends_nothing(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, [])
            tick(modal)
            type_identity(pilot, voter.row["nom"], "", voter.birth_text)
            fill(pilot, substitution_email=ADDRESS, substitution_email_again=ADDRESS)
            modal.query_one("#substitution-last-name", Input).focus()
            await press(pilot, "enter")
            assert result_text(cci_app) == "Indiquez le prénom. Rien n'a été envoyé."
            first_name = modal.query_one("#substitution-first-name", Input)
            assert modal.focused is first_name  # where the agent types next
            assert requests(cci_deps) == []
            assert ("substitution_request", "en attente") not in journal_actions(cci_deps)

            fill(pilot, substitution_first_name=voter.row["prenom"])
            await press(pilot, "enter")
            assert "en attente d'approbation" in result_text(cci_app)
        assert len(requests(cci_deps)) == 1

    async def test_every_empty_field_is_named_in_the_order_of_the_form(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, [])
            tick(modal)
            await click(pilot, "#substitution-submit")
            # « …l'adresse d'envoi et l'adresse d'envoi retapée »: the same thing twice.
            assert result_text(cci_app) == (
                "Indiquez le nom, le prénom, la date de naissance et l'adresse d'envoi "
                "(deux fois). Rien n'a été envoyé."
            )
            assert modal.focused is modal.query_one("#substitution-last-name", Input)
        assert requests(cci_deps) == []

    async def test_the_address_typed_once_asks_for_it_a_second_time(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, [])
            tick(modal)
            identity_as_on_the_roll(pilot, voter)
            fill(pilot, substitution_email=ADDRESS)
            await click(pilot, "#substitution-submit")
            assert result_text(cci_app) == (
                "Indiquez l'adresse d'envoi une seconde fois. Rien n'a été envoyé."
            )
            assert modal.focused is modal.query_one("#substitution-email-again", Input)
        assert requests(cci_deps) == []

    @pytest.mark.parametrize(
        ("field", "typed", "said"),
        [
            ("last_name", "Du\x00pont", "Nom : caractère interdit en position 3 (caractère nul"),
            ("last_name", "\x1b[2JDupont", "Nom : caractère interdit en position 1 (caractère d'"),
            ("first_name", "Hél\u202eène", "Prénom : caractère interdit en position 4 (marque"),
            ("first_name", "é" * 10_000, "Prénom : 200 caractères au plus"),
            ("birth_date", "\u202e01/01/1980", "Date de naissance : format attendu jj/mm/aaaa"),
            ("birth_date", "9" * 10_000, "Date de naissance : format attendu jj/mm/aaaa"),
        ],
        ids=["nul", "escape", "rtl-override", "ten-thousand", "rtl-date", "long-date"],
    )
    async def test_hostile_text_gets_a_french_message_and_sends_nothing(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter, field: str, typed: str, said: str
    ) -> None:
        async with cci_app.run_test(size=SIZE) as pilot:
            modal = await request_modal(pilot, voter, [])
            tick(modal)
            identity_as_on_the_roll(pilot, voter)
            fill(pilot, substitution_email=ADDRESS, substitution_email_again=ADDRESS,
                 **{f"substitution_{field}": typed})
            await click(pilot, "#substitution-submit")
            shown = result_text(cci_app)
            assert shown.startswith(f"Format incorrect — {said}"), shown
            assert "Traceback" not in screen_text(cci_app)
            assert modal.focused is modal.query_one(f"#substitution-{field.replace('_', '-')}")
            assert not any("inattendue" in m for m in notifications(cci_app))
        assert requests(cci_deps) == []


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

    async def test_accorder_asks_first_saying_the_original_stops_and_where_the_new_goes(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter, outbox: Path
    ) -> None:
        # Tab to « Accorder », Entrée: it invalidated the material and sent the new one.
        view = request_as(cci_deps, AGENT, voter)
        async with cci_app.run_test(size=SIZE) as pilot:
            await first_request_opened(pilot)
            fill(pilot, decision_reason="Pièces contrôlées, identité conforme")
            await click(pilot, "#decision-approve")
            await cci_app.workers.wait_for_complete()
            await settle(pilot)
            dialog = cci_app.screen
            assert isinstance(dialog, ConfirmDialog)
            said = screen_text(cci_app)
            assert f"Accorder la demande n° {view.id} ?" in said
            assert f"Le matériel actuel ({mask_identifier(voter.identifier)} (" in said
            assert "ne fonctionnera plus" in said
            # In clear, to be checked against the signed request (it showed masked).
            assert f"par courriel à :\n\n    {ADDRESS}" in said
            assert dialog.focused is dialog.query_one("#confirm-no", Button)
            await press(pilot, "enter")  # the safe answer
            assert isinstance(cci_app.screen, DecisionScreen)
            reason = cci_app.screen.query_one("#decision-reason", Input).value
            assert reason == "Pièces contrôlées, identité conforme"
        assert get_substitution(cci_deps, SUPERVISOR, view.id).pending
        assert [m.status for m in materials_of(cci_deps, voter.voter_id)] == ["active"]
        assert mails(outbox) == []

    async def test_refuser_asks_first_saying_the_original_stays_and_what_the_voter_is_told(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter, outbox: Path
    ) -> None:
        # « Accorder » asked first; « Refuser » refused at once.
        view = request_as(cci_deps, AGENT, voter)
        async with cci_app.run_test(size=SIZE) as pilot:
            await first_request_opened(pilot)
            fill(pilot, decision_reason="Signature absente de la demande scannée")
            await click(pilot, "#decision-refuse")
            dialog = cci_app.screen
            assert isinstance(dialog, ConfirmDialog)
            said = " ".join(screen_text(cci_app).split())
            assert f"Refuser la demande n° {view.id} ?" in said
            assert f"matériel actuel ({mask_identifier(voter.identifier)} (" in said
            assert "reste actif" in said
            assert "L'électeur recevra un avis du refus" in said
            assert "votre motif n'y est pas écrit" in said
            assert dialog.focused is dialog.query_one("#confirm-no", Button)
            await press(pilot, "enter")  # the safe answer
            assert isinstance(cci_app.screen, DecisionScreen)
        assert get_substitution(cci_deps, SUPERVISOR, view.id).pending
        assert mails(outbox) == []

    @pytest.mark.parametrize("decision", ["#decision-approve", "#decision-refuse"])
    async def test_back_to_the_request_puts_the_cursor_in_the_reason(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter, decision: str
    ) -> None:
        # Left on « Accorder », Tab then Entrée refused the request by mistake.
        view = request_as(cci_deps, AGENT, voter)
        async with cci_app.run_test(size=SIZE) as pilot:
            await first_request_opened(pilot)
            screen = cci_app.screen
            assert isinstance(screen, DecisionScreen)
            fill(pilot, decision_reason="Pièces contrôlées, identité conforme")
            screen.query_one(decision, Button).focus()
            await press(pilot, "enter")
            assert isinstance(cci_app.screen, ConfirmDialog)
            await press(pilot, "enter")  # « Revenir à la demande »
            assert cci_app.screen is screen
            assert screen.focused is screen.query_one("#decision-reason", Input)
            said = str(screen.query_one("#decision-message", Static).render())
            undone = "accordée" if decision == "#decision-approve" else "refusée"
            assert said == f"Demande non {undone} : elle reste en attente, rien n'est enregistré."
        assert get_substitution(cci_deps, SUPERVISOR, view.id).pending

    async def test_enter_in_the_reason_takes_the_cursor_to_the_decisions_deciding_nothing(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter, outbox: Path
    ) -> None:
        view = request_as(cci_deps, AGENT, voter)
        async with cci_app.run_test(size=SIZE) as pilot:
            await first_request_opened(pilot)
            screen = cci_app.screen
            assert isinstance(screen, DecisionScreen)
            await pilot.press(*"non", "enter")
            assert "Motif trop court" in screen_text(cci_app)
            assert screen.focused is screen.query_one("#decision-reason", Input)
            fill(pilot, decision_reason="Pièces contrôlées, identité conforme")
            await press(pilot, "enter")
            assert screen.focused is screen.query_one("#decision-approve", Button)
            assert "Choisissez « Accorder » ou « Refuser »" in screen_text(cci_app)
            assert cci_app.screen is screen
        assert get_substitution(cci_deps, SUPERVISOR, view.id).pending
        assert mails(outbox) == []

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
            assert isinstance(app.screen, ConfirmDialog)  # asked first
            await click(pilot, "#confirm-yes")
            assert isinstance(app.screen, ApprovalsScreen)
            assert any(
                f"Demande n° {view.id} refusée : Signature absente" in m for m in notifications(app)
            )
            assert "Aucune demande en attente — F5 pour actualiser." in screen_text(app)
        decided = get_substitution(cci_deps, SUPERVISOR, view.id)
        assert decided.state == "refusée" and decided.decided_by == "superviseur"
        assert [m.status for m in materials_of(cci_deps, voter.voter_id)] == ["active"]
        [notice] = mails(outbox)  # the voter is told, at their registered address
        assert f"To: {ADDRESS}" not in notice and "a été refusée" in notice

    async def test_the_refusal_says_where_the_voter_was_told(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        view = request_as(cci_deps, AGENT, voter)
        async with cci_app.run_test(size=SIZE) as pilot:
            await first_request_opened(pilot)
            fill(pilot, decision_reason="Signature absente de la demande scannée")
            await click(pilot, "#decision-refuse")
            await click(pilot, "#confirm-yes")
            [said] = [m for m in notifications(cci_app) if f"Demande n° {view.id}" in m]
            assert "Avis du refus à l'électeur (" in said and ") : envoyé." in said

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
            await press(pilot, "f5")
            assert app.screen.query_one(DataTable).row_count == 1
            assert "1 demande en attente" in screen_text(app)
        lists = [a for a in journal_actions(cci_deps) if a[0] == "substitution_list"]
        assert len(lists) == 1  # an empty queue is not journalled


class TestVoterFile:
    async def test_a_refused_request_shows_on_the_voter_file_as_refused_with_its_date(
        self, cci_app: CsuApp, cci_deps: Deps, voter: DemoVoter
    ) -> None:
        # Refused after the call, the request left no trace on the file.
        view = request_as(cci_deps, AGENT, voter)
        decide_substitution(cci_deps, SUPERVISOR, view.id, False,
                            "Signature absente de la demande scannée")  # fmt: skip
        async with cci_app.run_test(size=SIZE) as pilot:
            await log_in_later(pilot, "agent")
            await open_voter_file(pilot, voter.matricule)
            assert isinstance(cci_app.screen, VoterScreen)
            shown = cci_app.screen.query_one("#voter-substitutions", Static)
            assert shown.display
            console = Console(width=120, record=True, file=io.StringIO())
            console.print(shown.content)
            text = " ".join(console.export_text().split())
            assert "Demandes de matériel de substitution" in text
            assert "refusée le 05/12/2022 11:30" in text
            assert "Signature absente de la demande scannée" in text
            assert "en attente" not in text

    async def test_a_voter_without_a_request_shows_no_request_table(
        self, cci_app: CsuApp, voter: DemoVoter
    ) -> None:
        async with cci_app.run_test(size=SIZE) as pilot:
            await log_in_later(pilot, "agent")
            await open_voter_file(pilot, voter.matricule)
            assert isinstance(cci_app.screen, VoterScreen)
            assert not cci_app.screen.query_one("#voter-substitutions", Static).display
            assert "Demandes de matériel de substitution" not in screen_text(cci_app)


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
            # Without the outbox screen, the desk's action says so instead of failing.
            monkeypatch.setitem(sys.modules, "csu.screens.outbox", None)
            app.action_desk("outbox")
            await settle(pilot)
            assert "Écran indisponible." in notifications(app)
            assert isinstance(app.screen, LookupScreen)
