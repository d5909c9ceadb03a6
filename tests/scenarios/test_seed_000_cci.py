"""Seed 000, the CCI Hauts-de-France 2021 press release (« communiqué du 27/10/2021 »),
walked through the app as the support line serves its callers: the CCIL of the voter's
constituency, substitution material (« matériel de substitution ») with its complete
request, refused on any anomaly or once the voter has voted, approved by a second
supervisor, and no code ever read out, since the cell issues none for this election.

The demo moves the vote so that it is open today: it opened yesterday, and declarations
of loss are accepted from that day (01/12/2022, where the seed says 29 October). The
clock is fixed on Friday 2 December 2022, 11:30 in Paris, within the CCIL hours.
"""

from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pyotp
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Checkbox

from csu.app import CsuApp
from csu.screens.approvals import ApprovalsScreen, DecisionScreen
from csu.screens.dialogs import ConfirmDialog
from csu.screens.substitution import SubstitutionRequestScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from csu.services.operators import add_operator
from csu.store.tables import Material, SubstitutionRequest
from tests.conftest import ADMIN, NOW
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    click,
    close_ui,
    demo_voter,
    fill,
    in_call,
    journal_details,
    journal_of,
    last_intervention,
    log_in,
    notifications,
    on_voter_file,
    press,
    proposed_outcome,
    screen_text,
    settle,
    verify_by_code,
)
from tests.screens.test_substitution_screens import (
    identity_as_on_the_roll,
    record_refusal,
    result_text,
    type_identity,
)

CCI = "cci-hdf-2021"
REQUEST_ADDRESS = "electeur.perso@exemple.fr"  # « une adresse mail, à laquelle sera envoyé… »
# The seed's table: the CCIL that answers for each constituency, its phone and e-mail.
CCILS = {
    "Aisne": ("03 23 06 02 02", "elections@aisne.cci.fr"),
    "Grand Lille": ("06 45 72 37 22", "elections@grand-lille.cci.fr"),
    "Grand Hainaut": ("03 27 51 31 65", "elections@grandhainaut.cci.fr"),
    "Oise": ("03 44 79 90 11", "elections@cci-oise.fr"),
    "Artois": ("03 21 23 24 24", "elections@artois.cci.fr"),
    "Littoral Hauts-de-France": ("03 21 46 00 00", "elections@littoralhautsdefrance.cci.fr"),
    "Amiens Picardie": ("03 22 73 36 42", "elections@amiens-picardie.cci.fr"),
}
CCIL_HOURS = "du lundi au vendredi de 8h30 à 12h00 et de 13h30 à 17h00"
SIGNED = "Demande signée de façon manuscrite et scannée"
# A second supervisor, for the four eyes (the demo has one).
OTHER_SUPERVISOR = "superviseur2"
OTHER_PASSWORD = "Quatre-yeux-pour-la-CCI-2021"
OTHER_SECRET = "CSUSCENARIOSUPERVISEURBAAAAAAAAA"


# ------------------------------------------------------------------- helpers


def caller(deps: Deps) -> DemoVoter:
    """A CCI voter who has not voted, with a mobile on record for the one-time code."""
    return demo_voter(deps, CCI, mobile=True)


def caller_who_voted(deps: Deps) -> DemoVoter:
    """A CCI voter whose material the platform reports as voted (mobile on record)."""
    return demo_voter(deps, CCI, voted=True, mobile=True)


async def phone_control(
    pilot: Pilot[Any], voter: DemoVoter, outbox: Path, login: str = "agent"
) -> None:
    """« Après contrôle » by phone, as the election's S5 script says: the call opened on
    the voter's file, the date of birth and a one-time code sent to the mobile on record."""
    await in_call(pilot, voter, login=login)
    await verify_by_code(pilot, outbox, verify_birth_date=voter.birth_text)


async def request_form(pilot: Pilot[Any]) -> SubstitutionRequestScreen:
    """F7 on the voter file: the request form of the election."""
    await press(pilot, "f7")
    modal = pilot.app.screen
    assert isinstance(modal, SubstitutionRequestScreen), notifications(pilot.app)  # type: ignore[arg-type]
    return modal


def tick_pieces(modal: SubstitutionRequestScreen, *, missing: str | None = None) -> None:
    """The pieces of the election's checklist received by e-mail, all but ``missing``."""
    for box in modal.query(".substitution-item").results(Checkbox):
        box.value = str(box.label) != missing


async def submit(pilot: Pilot[Any], *, refused: bool = False) -> str:
    """« Enregistrer la demande »: the service's answer, as the form shows it. A request
    the rules refuse is asked about first, and ``refused`` records it so."""
    fill(pilot, substitution_email=REQUEST_ADDRESS,
         substitution_email_again=REQUEST_ADDRESS)
    await click(pilot, "#substitution-submit")
    if refused:
        await record_refusal(pilot)
    return result_text(pilot.app)  # type: ignore[arg-type]


async def decide(pilot: Pilot[Any], reason: str, *, own: bool = False) -> None:
    """A supervisor opens the queue of requests and accords the first one, confirming
    when asked (the request's author is not asked: the service refuses it)."""
    app = pilot.app
    app.action_approvals()  # type: ignore[attr-defined]
    await settle(pilot)
    assert isinstance(app.screen, ApprovalsScreen), notifications(app)  # type: ignore[arg-type]
    await press(pilot, "enter")
    assert isinstance(app.screen, DecisionScreen)
    fill(pilot, decision_reason=reason)
    await click(pilot, "#decision-approve")
    if not own:
        assert isinstance(app.screen, ConfirmDialog)
        await click(pilot, "#confirm-yes")


def add_other_supervisor(deps: Deps) -> None:
    add_operator(
        deps,
        ADMIN,
        OTHER_SUPERVISOR,
        role="superviseur",
        password=OTHER_PASSWORD,
        display_name="Sacha Superviseur",
        totp_secret=OTHER_SECRET,
    )


def materials_of(deps: Deps, voter: DemoVoter) -> list[Material]:
    with deps.reading() as session:
        return list(
            session.exec(
                select(Material)
                .where(Material.voter_id == voter.voter_id, Material.election_id == CCI)
                .order_by(Material.id)  # type: ignore[arg-type]
            )
        )


def stored_requests(deps: Deps) -> list[SubstitutionRequest]:
    with deps.reading() as session:
        return list(session.exec(select(SubstitutionRequest)))


def mails(outbox: Path) -> dict[str, str]:
    """The e-mails in the outbox: body by recipient."""
    found: dict[str, str] = {}
    for path in sorted(outbox.glob("*.eml")):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = mail.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        assert body is not None
        found[str(mail["To"])] = f"Subject: {mail['Subject']}\n\n{body.get_content()}"
    return found


# ------------------------------------------------------- whom the voter calls


async def test_the_file_shows_the_ccil_of_the_voter_s_constituency(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = caller(demo_deps)
    constituency = voter.row["circonscription"]
    phone, email = CCILS[constituency]
    async with app.run_test(size=SIZE) as pilot:
        await on_voter_file(pilot, voter)
        await settle(pilot)
        text = screen_text(app)
    assert f"CCIL {constituency} (circonscription {constituency})" in text
    assert f"Téléphone : {phone}" in text and f"Courriel : {email}" in text
    assert f"Horaires : {CCIL_HOURS}" in text
    others = [number for name, (number, _) in CCILS.items() if number != phone]
    assert not any(number in text for number in others)


async def test_no_code_can_be_read_out_since_the_election_issues_none(
    app: CsuApp, demo_deps: Deps, outbox: Path
) -> None:
    voter = caller(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await phone_control(pilot, voter, outbox)
        assert "Identité vérifiée" in screen_text(app)
        # Ruled out by the election: not offered in the footer, and its key says why.
        assert "ctrl+k" not in app.screen.active_bindings
        await press(pilot, "ctrl+k")
        assert isinstance(app.screen, VoterScreen)
        assert (
            "Le scrutin cci-hdf-2021 ne prévoit aucun code délivré par la cellule : "
            "demandez du matériel de substitution (F7)."
        ) in notifications(app)
        await close_ui(pilot, "résolu")
    actions = {action for action, _ in journal_of(demo_deps, last_intervention(demo_deps))}
    assert "credential_issue" not in actions


# --------------------------------------------------------- substitution (S5)


async def test_a_request_missing_a_piece_is_refused_naming_it(
    app: CsuApp, demo_deps: Deps, outbox: Path
) -> None:
    voter = caller(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await phone_control(pilot, voter, outbox)
        modal = await request_form(pilot)
        tick_pieces(modal, missing=SIGNED)
        identity_as_on_the_roll(pilot, voter)
        shown = await submit(pilot, refused=True)
        assert "refusée" in shown and f"« {SIGNED} »" in shown
        assert "enregistrés au journal" in shown
        await click(pilot, "#substitution-close")
        assert await proposed_outcome(pilot) == "refusé"
        await close_ui(pilot, "refusé")
    [stored] = stored_requests(demo_deps)
    assert stored.state == "refused" and SIGNED in (stored.reason or "")
    intervention = last_intervention(demo_deps)
    assert ("substitution_request", "refusée") in journal_of(demo_deps, intervention)
    assert journal_details(demo_deps, intervention, "substitution_request")[
        "checklist_missing"
    ] == [SIGNED]
    assert [m.status for m in materials_of(demo_deps, voter)] == ["active"]


async def test_a_voter_who_has_voted_gets_no_substitution_material(
    app: CsuApp, demo_deps: Deps, outbox: Path
) -> None:
    voter = caller_who_voted(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await phone_control(pilot, voter, outbox)
        assert "voté le" in screen_text(app)  # the platform's émargement, in the file
        screen = app.screen
        assert not screen.active_bindings["f7"].enabled  # shown, greyed: no form to fill
        await press(pilot, "f7")
        assert app.screen is screen
        shown = " ".join(notifications(app))
        assert "déjà voté" in shown
        await close_ui(pilot, "refusé")
    assert stored_requests(demo_deps) == []
    assert [m.status for m in materials_of(demo_deps, voter)] == ["active"]
    assert REQUEST_ADDRESS not in mails(outbox)  # no material sent


async def test_a_loss_declared_before_the_election_s_date_is_refused(
    app: CsuApp, demo_deps: Deps, outbox: Path
) -> None:
    voter = caller(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await phone_control(pilot, voter, outbox)
        modal = await request_form(pilot)
        assert "à partir du 01/12/2022" in screen_text(app)
        tick_pieces(modal)
        identity_as_on_the_roll(pilot, voter)
        fill(pilot, substitution_declared="30/11/2022")
        shown = await submit(pilot, refused=True)
        assert "refusée" in shown and "avant le 01/12/2022" in shown
        await click(pilot, "#substitution-close")
        await close_ui(pilot, "refusé")
    [stored] = stored_requests(demo_deps)
    assert stored.state == "refused"


async def test_a_request_whose_typed_identity_matches_the_roll_waits_for_approval(
    app: CsuApp, demo_deps: Deps, outbox: Path
) -> None:
    voter = caller(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await phone_control(pilot, voter, outbox)
        modal = await request_form(pilot)
        tick_pieces(modal)
        # As written on the signed request: capitals, no accents.
        type_identity(
            pilot, voter.row["nom"].upper(), voter.row["prenom"].upper(), voter.birth_text
        )
        shown = await submit(pilot)
        assert "en attente d'approbation" in shown
    [stored] = stored_requests(demo_deps)
    assert stored.state == "pending" and stored.identity_match


async def test_a_request_whose_typed_name_differs_from_the_roll_is_refused_with_its_reason(
    app: CsuApp, demo_deps: Deps, outbox: Path
) -> None:
    voter = caller(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await phone_control(pilot, voter, outbox)
        modal = await request_form(pilot)
        tick_pieces(modal)
        type_identity(pilot, "Durand", voter.row["prenom"], voter.birth_text)
        shown = await submit(pilot, refused=True)
        assert "refusée" in shown
        assert "Le nom de la demande signée diffère de la liste électorale." in shown
    [stored] = stored_requests(demo_deps)
    assert stored.state == "refused" and not stored.identity_match
    assert "Le nom de la demande signée diffère" in (stored.reason or "")


async def test_a_request_is_granted_by_a_supervisor_other_than_its_author(
    app: CsuApp, demo_deps: Deps, outbox: Path
) -> None:
    voter = caller(demo_deps)
    add_other_supervisor(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await phone_control(pilot, voter, outbox, login="superviseur")
        modal = await request_form(pilot)
        assert "approbation d'un superviseur" in screen_text(app)
        tick_pieces(modal)
        identity_as_on_the_roll(pilot, voter)
        assert "en attente d'approbation" in await submit(pilot)
        await click(pilot, "#substitution-close")
        await close_ui(pilot, "résolu", note="Demande complète, transmise pour approbation")

        # Four eyes: its author cannot accord it.
        await decide(pilot, "Pièces contrôlées, identité conforme", own=True)
        assert isinstance(app.screen, DecisionScreen)
        assert "Vous êtes l'auteur de cette demande" in screen_text(app)
        assert any("quatre yeux" in m for m in notifications(app))
        await press(pilot, "escape")
        assert [m.status for m in materials_of(demo_deps, voter)] == ["active"]

        await press(pilot, "ctrl+o")
        await log_in(pilot, OTHER_SUPERVISOR, OTHER_PASSWORD, pyotp.TOTP(OTHER_SECRET).at(NOW))
        await decide(pilot, "Pièces contrôlées, identité conforme")
        assert isinstance(app.screen, ApprovalsScreen), notifications(app)
        assert any("accordée" in m for m in notifications(app))

    old, new = materials_of(demo_deps, voter)
    assert old.identifier == voter.identifier and old.status == "substituted"
    assert new.status == "active" and new.replaces_id == old.id
    # « ce nouveau matériel invalide le matériel initial » and goes to the request's address.
    assert new.identifier in mails(outbox)[REQUEST_ADDRESS]
    [stored] = stored_requests(demo_deps)
    assert stored.requested_by == "superviseur" and stored.decided_by == OTHER_SUPERVISOR


async def granted_by_a_supervisor(pilot: Pilot[Any], voter: DemoVoter, outbox: Path) -> None:
    """The agent's complete request, then a supervisor's approval: the material goes."""
    await phone_control(pilot, voter, outbox)
    modal = await request_form(pilot)
    tick_pieces(modal)
    identity_as_on_the_roll(pilot, voter)
    assert "en attente d'approbation" in await submit(pilot)
    await click(pilot, "#substitution-close")
    await close_ui(pilot, "résolu")
    await press(pilot, "ctrl+o")
    await log_in(pilot, "superviseur")
    await decide(pilot, "Pièces contrôlées, identité conforme")


async def test_the_notice_of_new_material_gives_the_voter_s_ccil_number(
    app: CsuApp, demo_deps: Deps, outbox: Path
) -> None:
    voter = caller(demo_deps)
    phone, _ = CCILS[voter.row["circonscription"]]
    async with app.run_test(size=SIZE) as pilot:
        await granted_by_a_supervisor(pilot, voter, outbox)
        assert any("accordée" in m for m in notifications(app))

    sent = mails(outbox)
    notice = sent[voter.row["email_pro"]]  # the address on record, not the request's
    assert "substitution" in notice and phone in notice
    assert phone in sent[REQUEST_ADDRESS]  # the new material names it too


async def test_the_substitution_material_says_where_and_how_to_vote(
    app: CsuApp, demo_deps: Deps, outbox: Path
) -> None:
    """It replaces the lost envelope: « Rendez-vous sur le site www.jevote.cci.fr et
    indiquez : votre identifiant … votre date de naissance (format jj/mm/aaaa) »."""
    voter = caller(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await granted_by_a_supervisor(pilot, voter, outbox)
    material = mails(outbox)[REQUEST_ADDRESS]
    [_, new] = materials_of(demo_deps, voter)
    assert new.identifier in material
    assert "rendez-vous sur le site www.jevote.cci.fr" in material
    assert "votre date de naissance (format jj/mm/aaaa)" in material
    assert "mot de passe à usage unique envoyé par SMS ou par courriel" in material
