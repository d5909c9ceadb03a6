"""Seeds 001 and 004 (Éducation nationale 2022, « Réassort du code de vote » and « Je
demande le réassort de mon code de vote ») walked through the real app, as a caller of
men-2022 would be served by an agent of the cell.

What the seeds say the cell may and may not do:

- the vote code is reissued only through a one-time link, by SMS to a mobile or by
  e-mail to a personal address different from the professional one (the portal's
  identifier); the number or address typed is not stored; opening the link shows the
  new code on the voter's own screen, for 120 seconds; nobody reads it out;
- the link is asked for with the challenge answer and the NUMEN or the first 10 digits
  of the NIR;
- the « mot de passe Élections » is the one the voter chose at activation: the cell
  does not issue it; FranceConnect and the portal's own reissue come first;
- once the voter voted, no code serves any more.
"""

import re
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from csu.app import CsuApp
from csu.screens.credential import CredentialShownScreen, IssueScreen
from csu.screens.intervention import InterventionCloseScreen
from csu.screens.verification import VerifyScreen
from csu.screens.vote_codes import VoteCodeLinkScreen
from csu.screens.voter import VoterScreen
from csu.services.call_script import redirected_count
from csu.services.context import Deps, Forbidden, OperatorContext
from csu.services.credentials import issue_credential
from csu.services.platform import check_login
from csu.services.vote_codes import INVALID_LINK, LinkGone, redeem_link
from csu.store.tables import Voter
from csu.widgets.intervention_panel import InterventionPanel
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    by_numen,
    call_verified,
    click,
    close_ui,
    demo_voter,
    fill,
    in_call,
    journal_details,
    journal_of,
    journal_text,
    last_intervention,
    mails_to,
    material_id,
    notifications,
    on_voter_file,
    open_intervention_ui,
    press,
    screen_text,
    sms_to,
    token_in,
    verify_ui,
)
from tests.screens.shown import static_text

MEN = "men-2022"
MOBILE = "06 12 34 56 78"  # the caller's own mobile, not on the roll
MOBILE_E164 = "+33612345678"
PERSONAL = "claire.jullien@yahoo.fr"  # « .....@yahoo.fr » (seed 004)
AGENT = OperatorContext(login="agent", role="agent", workstation="poste-test")
SUPERVISOR = OperatorContext(login="superviseur", role="superviseur", workstation="poste-test")


# ------------------------------------------------------------------- helpers


def by_nir(voter: DemoVoter) -> dict[str, str]:
    """The caller's answers: challenge answer + the first 10 digits of the NIR."""
    return {
        "verify_challenge_answer": voter.row["reponse_defi"],
        "verify_nir10": voter.row["nir"][:10],
    }


def vote_code_works(deps: Deps, voter: DemoVoter, code: str) -> bool:
    """What the platform checks when the voter types the code (login check API)."""
    return check_login(deps, MEN, voter.identifier, voter.birth_date, vote_code=code)


async def send_link(pilot: Pilot[Any], channel: str, recipient: str) -> str:
    """ctrl+l, the channel, the number or address the caller gives, « Envoyer le
    lien »; returns what the window says (it stays open)."""
    await press(pilot, "ctrl+l")
    screen = pilot.app.screen
    assert isinstance(screen, VoteCodeLinkScreen), notifications(pilot.app)  # type: ignore[arg-type]
    screen.query_one("#link-channel", Select).value = channel
    await pilot.pause()
    fill(pilot, link_recipient=recipient)
    if channel == "email":
        fill(pilot, link_recipient_confirm=recipient)  # an address is typed twice
    await click(pilot, "#link-ok")
    return str(screen.query_one("#link-result", Static).content)


async def link_sent(pilot: Pilot[Any], channel: str, recipient: str) -> str:
    """:func:`send_link`, which must succeed, then « Fermer »."""
    said = await send_link(pilot, channel, recipient)
    assert said.startswith("Lien envoyé à "), notifications(pilot.app)  # type: ignore[arg-type]
    await click(pilot, "#link-close")
    assert isinstance(pilot.app.screen, VoterScreen)
    return said


# ----------------------------------------------------- S6: the one-time link


class TestTheLinkReachesTheVoter:
    async def test_the_link_goes_by_sms_to_the_mobile_the_caller_gives(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        """« Envoi du lien d'activation par SMS sur votre smartphone personnel »."""
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            said = await link_sent(pilot, "sms", MOBILE)
            assert said == "Lien envoyé à +33 6 ** ** ** 78, valable jusqu'à 12:00."
            assert "lien de réassort envoyé" in screen_text(app)
        [sms] = sms_to(outbox, MOBILE_E164)
        assert "https://vote.education-elections2022.exemple.fr/reassort?jeton=" in sms
        intervention = last_intervention(demo_deps)
        assert ("vote_code_link_send", "ok") in journal_of(demo_deps, intervention)
        details = journal_details(demo_deps, intervention, "vote_code_link_send")
        assert details["channel"] == "sms" and details["recipient"] == "+33 6 ** ** ** 78"

    async def test_the_link_goes_by_email_to_a_personal_address_not_the_professional_one(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        """« cette messagerie personnelle doit être impérativement différente de celle
        qui est utilisée pour vous identifier au portail élections »."""
        voter = demo_voter(demo_deps, MEN)
        professional = voter.row["email_pro"]
        assert professional == voter.identifier  # the portal's identifier (seed 004)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            said = await send_link(pilot, "email", professional)
            assert isinstance(app.screen, VoteCodeLinkScreen)  # kept open to retype
            assert not said.startswith("Lien envoyé")
            assert any(
                "L'adresse saisie est l'adresse professionnelle enregistrée : le lien doit "
                "partir vers une adresse personnelle, différente." in n
                for n in notifications(app)
            ), notifications(app)
            assert not mails_to(outbox, professional)

            fill(pilot, link_recipient=PERSONAL, link_recipient_confirm=PERSONAL)
            await click(pilot, "#link-ok")
            said = str(app.screen.query_one("#link-result", Static).content)
            assert said == "Lien envoyé à c***@yahoo.fr, valable jusqu'à 12:00."
        [mail] = mails_to(outbox, PERSONAL)
        assert "jeton=" in mail
        # The voter is told at the professional address, without the link.
        [notice] = mails_to(outbox, professional)
        assert "c***@yahoo.fr" in notice and "jeton=" not in notice

    async def test_an_academic_address_is_not_a_personal_one(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN)
        academic = "c.mercier.perso@" + voter.row["email_pro"].split("@")[1]
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            said = await send_link(pilot, "email", academic)
            assert not said.startswith("Lien envoyé")
        assert not mails_to(outbox, academic)

    async def test_another_academys_address_is_not_a_personal_one_either(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        """« une adresse mail différente de l'adresse ac-dijon.fr »: the mailbox of any
        academy is a professional one (the file's ``professional_domains``)."""
        voter = demo_voter(demo_deps, MEN)
        own = voter.row["email_pro"].split("@")[1]
        elsewhere = "t.peron@" + ("ac-lille.fr" if own != "ac-lille.fr" else "ac-dijon.fr")
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            said = await send_link(pilot, "email", elsewhere)
            assert not said.startswith("Lien envoyé")
            assert any(
                "est une adresse professionnelle" in n and "« ac-*.fr »" in n
                for n in notifications(app)
            ), notifications(app)
        assert not mails_to(outbox, elsewhere)

    async def test_the_number_or_address_typed_is_not_stored(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        """« l'adresse e-mail ou le numéro de téléphone saisi sur cet écran n'est pas
        enregistré en base de données »."""
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await press(pilot, "ctrl+l")
            screen = app.screen
            assert isinstance(screen, VoteCodeLinkScreen)
            fill(pilot, link_recipient=MOBILE)
            await click(pilot, "#link-ok")
            assert screen.query_one("#link-recipient", Input).value == ""  # not kept on screen
            await click(pilot, "#link-close")
            assert "Téléphone portable       —" in screen_text(app)  # the file is unchanged
        assert sms_to(outbox, MOBILE_E164)  # it did go out
        with demo_deps.reading() as session:
            stored = session.get(Voter, voter.voter_id)
        assert stored is not None and stored.phone_mobile is None
        journal = journal_text(demo_deps)
        assert MOBILE_E164.encode() not in journal and b"0612345678" not in journal


class TestOpeningTheLink:
    async def test_opening_the_link_shows_a_new_vote_code_for_120_seconds(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        """« L'affichage ne sera actif que 120 secondes » ; « Ce nouveau code est celui
        qui vous permettra de voter »."""
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await link_sent(pilot, "sms", MOBILE)
        [sms] = sms_to(outbox, MOBILE_E164)

        shown = redeem_link(demo_deps, token_in(sms))  # what the platform does

        assert shown.kind == "vote_code" and shown.display_seconds == 120
        assert re.fullmatch(r"[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}",
                            shown.display)  # fmt: skip
        assert vote_code_works(demo_deps, voter, shown.value)
        steps = journal_of(demo_deps, last_intervention(demo_deps))
        assert ("vote_code_redeem", "ok") in steps
        assert ("credential_issue", "ok") not in steps  # no agent issued it
        assert shown.value.encode() not in journal_text(demo_deps)

    async def test_the_link_serves_once(self, app: CsuApp, demo_deps: Deps, outbox: Path) -> None:
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await link_sent(pilot, "email", PERSONAL)
        token = token_in(mails_to(outbox, PERSONAL)[0])
        first = redeem_link(demo_deps, token)

        with pytest.raises(LinkGone, match=re.escape(INVALID_LINK)):
            redeem_link(demo_deps, token)

        assert vote_code_works(demo_deps, voter, first.value)  # the first code still serves
        redeemed = [a for a, _ in journal_of(demo_deps, last_intervention(demo_deps))]
        assert redeemed.count("vote_code_redeem") == 1

    async def test_once_the_link_is_sent_the_agent_warns_of_the_120_seconds(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        """« Avant de cliquer sur le lien, se munir de quoi noter … L'affichage ne sera
        actif que 120 secondes »: the procedure beside the file says it next."""
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await link_sent(pilot, "sms", MOBILE)
            text = screen_text(app)
        assert "✓ 4. Envoyer le lien de réassort à usage unique (ctrl+l)." in text
        assert "▶ 5. « Avant de cliquer sur le lien, munissez-vous de quoi noter" in text
        assert "l'affichage ne sera actif que 120 secondes" in text


# ------------------------------------------- what the agent asks, and may not do


class TestVerificationForTheVoteCode:
    async def test_the_challenge_answer_with_the_nir_verifies_the_caller(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        """« la question défi … + saisie du NUMEN ou des 10 premiers chiffres du numéro
        de sécurité sociale »."""
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+e")
            assert isinstance(app.screen, VerifyScreen)
            sets = static_text(app.screen.query_one("#verify-sets", Static))
            assert sets == (
                "Un de ces ensembles suffit :\n"
                "  • NUMEN + réponse à la question défi\n"
                "  • 10 premiers chiffres du NIR + réponse à la question défi"
            )
            question = str(app.screen.query_one("#verify-question", Static).content)
            assert question == f"Question défi : {voter.row['question_defi']}"
            await press(pilot, "escape")
            await verify_ui(pilot, **by_nir(voter))
            assert app.screen.query_one(InterventionPanel).verified
        steps = journal_of(demo_deps, last_intervention(demo_deps))
        assert ("verification", "vérifié") in steps

    async def test_the_numen_without_the_challenge_answer_gets_no_link(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+e")
            fill(pilot, verify_numen=voter.row["numen"], verify_challenge_answer="Rex")
            await click(pilot, "#verify-ok")
            result = str(app.screen.query_one("#verify-result", Static).content)
            assert "non vérifié" in result.lower(), result
            await press(pilot, "escape")
            assert isinstance(app.screen, VoterScreen)
            await press(pilot, "ctrl+l")
            assert isinstance(app.screen, VoterScreen)  # greyed: says why instead
            assert any("vérifiez-la d'abord (ctrl+e)" in n for n in notifications(app))
        assert not list(outbox.glob("*"))
        steps = journal_of(demo_deps, last_intervention(demo_deps))
        assert ("verification", "non vérifié") in steps
        assert "vote_code_link_send" not in [action for action, _ in steps]


class TestWhatTheCellDoesNotDo:
    async def test_the_agent_can_neither_generate_nor_read_a_vote_code(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        """« Par mail ou par SMS, je reçois un lien sur lequel je dois cliquer puis sur
        « Générer un code » »: the code never passes through the agent."""
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            screen = app.screen
            assert isinstance(screen, VoterScreen)
            assert screen.check_action("issue", ()) is False  # not offered at all
            await press(pilot, "ctrl+k")
            assert app.screen is screen
            assert not isinstance(app.screen, IssueScreen | CredentialShownScreen)
            assert any("uniquement par lien" in n for n in notifications(app))
            # What the call path offers instead: the link.
            assert "Agissez : lien code de vote (ctrl+l)." in screen_text(app)
        with pytest.raises(Forbidden, match="le code de vote se réassortit uniquement par lien"):
            issue_credential(  # nor by another door than the screen
                demo_deps, AGENT, last_intervention(demo_deps), material_id(demo_deps, voter),
                "vote_code",
            )  # fmt: skip
        steps = journal_of(demo_deps, last_intervention(demo_deps))
        assert "credential_issue" not in [action for action, _ in steps]

    async def test_asking_for_a_code_the_agent_is_told_it_goes_by_link_only(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await press(pilot, "ctrl+k")
            said = notifications(app)[-1]
        assert said.startswith(
            "Pour cette élection, le code de vote se réassortit uniquement par lien"
        )

    async def test_the_cell_does_not_issue_the_portal_password(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        """« Je saisis le mot de passe que j'ai validé lors de la création de mon espace
        électeurs » ; « Besoin du réassort de votre mot de passe Élections ? »."""
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            text = screen_text(app)
            assert "code de vote : d'origine (notice)" in text
            assert "mot de passe" not in text.split("Matériel de vote")[1]  # none on file
            await press(pilot, "ctrl+k")
            assert isinstance(app.screen, VoterScreen)
        with pytest.raises(Forbidden) as refused:
            issue_credential(
                demo_deps, AGENT, last_intervention(demo_deps), material_id(demo_deps, voter),
                "password",
            )  # fmt: skip
        assert str(refused.value).startswith(
            "Pour cette élection, le mot de passe n'est pas délivré par la cellule. Le mot "
            "de passe Élections est celui que l'électeur a choisi à l'activation"
        )
        assert "« Besoin du réassort de votre mot de passe Élections ? »" in str(refused.value)

    async def test_asking_for_the_password_the_agent_is_told_of_the_portal_reissue(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await press(pilot, "ctrl+k")
            said = " ".join(notifications(app))
        assert "Besoin du réassort de votre mot de passe Élections ?" in said

    async def test_a_voter_who_voted_gets_no_new_code(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN, voted=True)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter)
            assert "a voté" in screen_text(app) and "voté le 01/12/2022 09:00" in screen_text(app)
            await open_intervention_ui(pilot, "phone")
            await verify_ui(pilot, **by_numen(voter))
            screen = app.screen
            assert not screen.active_bindings["ctrl+l"].enabled  # shown, greyed
            await press(pilot, "ctrl+l")
            assert app.screen is screen  # no link window opens
            assert (
                "L'électeur a déjà voté avec ce matériel : plus aucun code ne sert."
                in notifications(app)
            )
            await close_ui(pilot, "refusé")
        assert not list(outbox.glob("*"))
        steps = journal_of(demo_deps, last_intervention(demo_deps))
        assert ("vote_code_link_send", "ok") not in steps
        assert steps[-1] == ("intervention_close", "refusé")


# ------------------------------------------------------- self-service first


class TestSelfServiceFirst:
    async def test_the_agent_is_shown_franceconnect_and_the_portal_reissue_first(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        """« Cliquez ici pour obtenir un réassort de votre code de vote » : question défi
        ou FranceConnect, on the portal, before the cell does anything."""
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            text = screen_text(app)
        assert "S6 — Réassort du code de vote" in text
        assert "▶ 1. Proposer d'abord le réassort en libre-service : portail élections" in text
        assert "« Cliquez ici pour obtenir un réassort de votre code de vote »" in text
        assert "par FranceConnect (code reçu uniquement par courriel" in text
        assert "✗ Ne jamais générer, lire ni dicter un code de vote" in text

    async def test_a_caller_sent_to_self_service_is_closed_as_redirected(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)  # no verification: the voter reissues it alone
            await press(pilot, "ctrl+w")
            assert isinstance(app.screen, InterventionCloseScreen)
            outcomes = app.screen.query_one("#close-outcome", Select)
            assert ("Redirigé vers le libre-service", "redirigé") in outcomes._options
            await press(pilot, "escape")
            await close_ui(pilot, "redirigé", note="FranceConnect, réassort par le portail")
            text = screen_text(app)
            assert "intervention close (redirigé vers le libre-service)" in text
            assert "✓ 1. Proposer d'abord le réassort en libre-service" in text
        intervention = last_intervention(demo_deps)
        assert journal_of(demo_deps, intervention) == [
            ("intervention_open", "ok"),
            ("intervention_close", "redirigé"),
        ]
        assert redirected_count(demo_deps, SUPERVISOR, MEN) == 1  # for the dashboard
