"""Seed 002, the Interior 2022 notice « Comment voter ? », walked through the app as the
CSU électeurs (01 80 15 43 21) serves its callers: eVote-CS « E-Clé » offered first, the
security key read over the phone after the identity check (S1) or after the president's
in-person check (S2), the password (S3, S4), the key by post for an agent without an
agent card, the call from the workstation, and what must be refused: a voter who voted
every scrutin of the material, a voter locked after three failed verifications.

The demo moves the vote so that it is open today (it opened yesterday at 9:00); the
clock is fixed on Friday 2 December 2022, 11:30 in Paris, within the CSU's hours.
"""

import re
from email import message_from_bytes, policy
from pathlib import Path

import pypdfium2 as pdfium
from sqlalchemy import update
from textual.widgets import Select, Static

from csu.app import CsuApp
from csu.screens.credential import IssueScreen
from csu.screens.letter import LetterScreen
from csu.screens.presence_requests import AttestScreen, PresenceRequestsScreen
from csu.screens.verification import VerifyScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps
from csu.store.tables import Voter
from csu.widgets.intervention_panel import DOES_NOT_MATCH
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    call_path,
    call_verified,
    card_and_iban,
    click,
    close_ui,
    demo_voter,
    fill,
    in_call,
    issue_ui,
    journal_details,
    journal_of,
    journal_operator,
    journal_text,
    last_intervention,
    log_in,
    login_works,
    notifications,
    president_bureau,
    press,
    proposed_outcome,
    screen_text,
    session_of,
    settle,
    verify_by_code,
)
from tests.screens.test_scenarios import issue_key_via_services

INTERIOR = "minint-2022"
CSU_PHONE = "01 80 15 43 21"  # « J'appelle la CSU électeurs … 0180154321 »
PLATFORM_PHONES = ("0 800 808 900", "05 56 42 72 47")  # the platform's voters' support
SCRUTIN_TITLES = {
    "csa": "Comité social d'administration ministériel",
    "cap": "Commission administrative paritaire",
    "ccp": "Commission consultative paritaire",
}
HOME = "Appartement 3\n12 rue des Lilas\n33000 Bordeaux"
KEY = re.compile(r"\b([2-9A-Z]{4})-([2-9A-Z]{4})-([2-9A-Z]{4})-([2-9A-Z]{4})\b")


# ------------------------------------------------------------------- helpers


def without_agent_card(deps: Deps, voter: DemoVoter) -> None:
    """The roll as it is for an agent with no agent card: no card serial, and the home
    address where « un courrier … contenant ma clé de sécurité » goes."""
    with deps.writing() as session:
        session.execute(
            update(Voter)
            .where(Voter.id == voter.voter_id)  # type: ignore[arg-type]
            .values(card6_hash=None, adresse_postale=HOME)
        )


def mails(outbox: Path) -> dict[str, str]:
    """The e-mails in the outbox: body by recipient."""
    found: dict[str, str] = {}
    for mail_path in sorted(outbox.glob("*.eml")):
        mail = message_from_bytes(mail_path.read_bytes(), policy=policy.default)
        body = mail.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        assert body is not None
        found[str(mail["To"])] = body.get_content()
    return found


def letter_text(outbox: Path) -> str:
    """The text of the one letter in the print folder."""
    [pdf] = outbox.glob("*.pdf")
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


# ---------------------------------------------------------- the call's start


async def test_the_procedure_offers_evote_cs_e_cle_first(app: CsuApp, demo_deps: Deps) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await settle(pilot)
        text = screen_text(app)
    # « 1re SOLUTION — Pour les agents possédant une carte agent, via eVote-CS ».
    assert "eVote-CS" in text and "« E-Clé »" in text
    assert text.index("eVote-CS") < text.index("Vérifier l'identité")


async def test_a_caller_sent_to_e_cle_is_closed_as_redirected_to_self_service(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await close_ui(pilot, "redirigé", note="eVote-CS, écran « E-Clé » (Passage 2)")
        assert "État : intervention close (redirigé vers le libre-service)" in call_path(app)
        assert "redirigé" in screen_text(app)  # the file's interventions
    intervention = last_intervention(demo_deps)
    assert journal_of(demo_deps, intervention) == [
        ("intervention_open", "ok"),
        ("intervention_close", "redirigé"),
    ]


async def test_a_call_from_the_registered_workstation_is_a_presumption_not_a_check(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, work_phone=True)
    async with app.run_test(size=SIZE) as pilot:
        # « J'appelle la CSU électeurs de mon poste de travail »
        await in_call(pilot, voter, open_caller=voter.row["telephone_pro"])
        text = screen_text(app)
        assert "correspond au poste de travail enregistré" in text
        assert "Identité non vérifiée" in text
        # Never a factor: the identity is still to be checked before any key.
        await press(pilot, "ctrl+k")
        assert isinstance(app.screen, VoterScreen)
        assert any("vérifiez-la d'abord" in m for m in notifications(app))
        await press(pilot, "ctrl+e")
        assert isinstance(app.screen, VerifyScreen)
        assert not app.screen.query("#verify-caller_id")
    opened = journal_details(demo_deps, last_intervention(demo_deps), "intervention_open")
    assert opened["caller_matches_work_phone"] is True


async def test_a_caller_from_another_number_is_shown_as_not_the_workstation(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, work_phone=True)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter, open_caller="06 12 34 56 78")
        assert DOES_NOT_MATCH in screen_text(app)
    opened = journal_details(demo_deps, last_intervention(demo_deps), "intervention_open")
    assert opened["caller_matches_work_phone"] is False


# ------------------------------------------------------ the security key (S1)


async def test_the_new_key_is_read_to_the_caller_after_verification_and_the_old_one_fails(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    old_key = issue_key_via_services(demo_deps, voter)  # an earlier call
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, voter)
        # « le référent de la CSU me communique ma clé de sécurité par téléphone »
        new_key = await issue_ui(pilot, "security_key")
        assert any("Lecture confirmée" in m for m in notifications(app))
        await close_ui(pilot, "résolu")
    intervention = last_intervention(demo_deps)
    steps = journal_of(demo_deps, intervention)
    assert steps.index(("verification", "vérifié")) < steps.index(("credential_issue", "ok"))
    assert ("credential_read_out", "ok") in steps
    assert login_works(demo_deps, voter, security_key=new_key)
    assert not login_works(demo_deps, voter, security_key=old_key)
    assert new_key.replace("-", "").encode() not in journal_text(demo_deps)


async def test_the_notice_of_a_new_key_gives_the_csu_and_the_platform_numbers(
    app: CsuApp, demo_deps: Deps, outbox: Path
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, voter)
        await issue_ui(pilot, "security_key")
        await close_ui(pilot, "résolu")
    notice = mails(outbox)[voter.row["email_pro"]]
    assert "clé de sécurité" in notice
    assert CSU_PHONE in notice
    assert all(phone in notice for phone in PLATFORM_PHONES)


async def test_a_voter_who_voted_every_scrutin_is_refused_a_key_naming_them(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, INTERIOR, voted=True)
    scrutins = [SCRUTIN_TITLES[s] for s in voter.row["scrutins"].split("|")]
    async with app.run_test(size=SIZE) as pilot:
        await call_verified(pilot, voter)
        screen = app.screen
        assert not screen.active_bindings["ctrl+k"].enabled  # shown, greyed
        await press(pilot, "ctrl+k")
        assert app.screen is screen and not isinstance(app.screen, IssueScreen)
        refusal = " ".join(notifications(app))
        assert "L'électeur a déjà voté avec ce matériel à chacun de ses scrutins" in refusal
        assert all(f"« {title} »" in refusal for title in scrutins)
        await close_ui(pilot, "refusé", note="A déjà voté à chacun de ses scrutins")
    assert ("credential_issue", "ok") not in journal_of(demo_deps, last_intervention(demo_deps))


async def test_three_failed_verifications_lock_the_voter_and_the_close_proposes_no_resolved(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    wrong = {**card_and_iban(voter), "verify_iban": "000000"}
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        for nth in range(3):  # the caller tries other answers (the same are not sent)
            fill(pilot, **{**wrong, "verify_iban": f"00000{nth}"})
            await click(pilot, "#verify-ok")
        assert "électeur verrouillé" in str(app.screen.query_one("#verify-result", Static).content)
        await press(pilot, "escape")
        assert "verrouillé jusqu'au" in screen_text(app)
        await press(pilot, "ctrl+k")
        assert any("Électeur verrouillé" in m for m in notifications(app))
        assert await proposed_outcome(pilot) == "refusé"
        await close_ui(pilot, "refusé")
    steps = journal_of(demo_deps, last_intervention(demo_deps))
    assert steps.count(("verification", "non vérifié")) == 3
    assert steps[-1] == ("intervention_close", "refusé")


# ------------------------------------------------------- the key by post


async def test_an_agent_without_an_agent_card_gets_the_key_in_a_letter_home(
    app: CsuApp, demo_deps: Deps, outbox: Path
) -> None:
    voter = demo_voter(demo_deps, mobile=True)
    without_agent_card(demo_deps, voter)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await verify_by_code(pilot, outbox, verify_birth_date=voter.birth_text)
        await press(pilot, "ctrl+b")  # « Clé par courrier »
        assert isinstance(app.screen, LetterScreen), notifications(app)
        await settle(pilot)
        assert "12 rue des Lilas" not in screen_text(app)  # the address shows masked
        await click(pilot, "#letter-ok")
        shown = screen_text(app)
        assert "envoyée par courrier" in shown and "déposé dans le dossier d'impression" in shown
        assert KEY.search(shown) is None  # nobody sees the key
        await click(pilot, "#letter-close-button")
        assert isinstance(app.screen, VoterScreen)
        await close_ui(pilot, "résolu")
    found = KEY.search(letter_text(outbox))
    assert found is not None
    key = "".join(found.groups())
    assert login_works(demo_deps, voter, security_key=key)
    issued = journal_details(demo_deps, last_intervention(demo_deps), "credential_issue")
    assert issued["kind"] == "security_key" and issued["channel"] == "post"
    assert key.encode() not in journal_text(demo_deps)
    assert b"rue des Lilas" not in journal_text(demo_deps)


# ----------------------------------------------------------- the password (S3, S4)


async def test_a_lost_password_is_read_out_after_the_reissue_secret_and_the_iban(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        # « DONNÉE SECRÈTE DE RÉASSORT » (6 first characters of the card) + 6 last of the IBAN
        await call_verified(pilot, voter, answers=card_and_iban(voter))
        password = await issue_ui(pilot, "password")
        await close_ui(pilot, "résolu")
    issued = journal_details(demo_deps, last_intervention(demo_deps), "credential_issue")
    assert issued["kind"] == "password"
    assert login_works(demo_deps, voter, password=password)


async def test_the_president_gives_a_new_password_after_seeing_an_identity_document(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    async with app.run_test(size=SIZE) as pilot:
        # « Je prouve mon identité (carte d'identité, carte agent) »
        in_person = {"verify_in_person": "4321"}
        await call_verified(pilot, voter, login="president", document="cni", answers=in_person)
        password = await issue_ui(pilot)  # passwords only, for a president
        await close_ui(pilot, "résolu")
    intervention = last_intervention(demo_deps)
    assert journal_details(demo_deps, intervention, "credential_issue")["kind"] == "password"
    assert journal_operator(demo_deps, intervention, "credential_issue") == "president"
    assert login_works(demo_deps, voter, password=password)


# --------------------------------------------------------- through the president (S2)


async def test_the_csu_reads_the_key_once_the_president_attests_the_voter_s_identity(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
    bureau_app = CsuApp(demo_deps, "bureau-de-vote")  # the president's own session
    async with app.run_test(size=SIZE) as agent, bureau_app.run_test(size=SIZE) as president:
        with session_of(app):
            # « Le président du bureau de vote électronique appelle la CSU électeurs »
            await in_call(agent, voter, channel="president", open_president="president")
            await press(agent, "ctrl+e")
            assert isinstance(app.screen, VerifyScreen)
            assert "en attente du président « president »" in screen_text(app)
            assert not app.screen.query("#verify-in_person")  # the agent cannot attest

        await log_in(president, "president")
        president.app._watch_presence()  # type: ignore[attr-defined]  (every 5 s otherwise)
        await settle(president)
        await press(president, "ctrl+g")
        assert isinstance(bureau_app.screen, PresenceRequestsScreen)
        await press(president, "enter")
        assert isinstance(bureau_app.screen, AttestScreen)
        bureau_app.screen.query_one("#attest-document", Select).value = "carte_agent"
        fill(president, attest_last4="7X2Q")
        await click(president, "#attest-ok")

        with session_of(app):
            # The window looks every 2 s and closes once attested; F5 looks at once (on
            # the file behind, ctrl+b is « Clé par courrier »).
            if isinstance(app.screen, VerifyScreen):
                await press(agent, "f5")
            assert isinstance(app.screen, VoterScreen), screen_text(app)
            assert "Identité vérifiée" in screen_text(app)
            key = await issue_ui(agent, "security_key")
            await close_ui(agent, "résolu")

    intervention = last_intervention(demo_deps)
    steps = journal_of(demo_deps, intervention)
    assert steps.index(("presence_attest", "attesté")) < steps.index(("credential_issue", "ok"))
    assert journal_operator(demo_deps, intervention, "presence_attest") == "president"
    assert journal_operator(demo_deps, intervention, "credential_issue") == "agent"
    assert login_works(demo_deps, voter, security_key=key)
