"""Seed 003 (Éducation nationale 2011, « Électeurs sans notice (non reçue ou perdue) —
Mode d'emploi du lien à usage unique ») walked through the real app, as a caller of
men-2011 would be served by an agent of the cell.

What the seed says:

- the voter proves who they are with the NUMEN and the 6th and 7th characters of the
  NIR (« Dpt de naissance »);
- the identifier goes by e-mail, to the professional address or to another one typed
  then confirmed: « en cas d'erreur de saisie il ne sera plus possible d'en changer »;
- « le mot de passe sera affiché à l'écran »: on the voter's screen, through a link
  that serves once and only until its deadline (« jusqu'au 20 octobre »); nobody at
  the cell reads it;
- a voter who got nothing first looks in the spam folder.
"""

import dataclasses
import re
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from csu.app import CsuApp
from csu.domain.clock import to_paris
from csu.domain.masking import mask_email
from csu.screens.credential import CredentialShownScreen, IssueScreen
from csu.screens.identifier_delivery import HOLD_SECONDS, IdentifierScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps, Forbidden, OperatorContext
from csu.services.credentials import issue_credential
from csu.services.elections import list_elections
from csu.services.platform import check_login
from csu.services.vote_codes import INVALID_LINK, LinkGone, redeem_link
from csu.store.tables import JournalEntry
from tests.conftest import NOW
from tests.fakes import Clock
from tests.screens.conftest import (
    SIZE,
    by_department,
    call_verified,
    click,
    code,
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
    press,
    screen_text,
    token_in,
    verify_ui,
)
from tests.screens.shown import static_text

MEN_2011 = "men-2011"
PERSONAL = "laurence.perso@exemple.fr"
OTHER = "laurence.autre@exemple.fr"
AGENT = OperatorContext(login="agent", role="agent", workstation="poste-test")


# ------------------------------------------------------------------- helpers


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(demo_deps: Deps, clock: Clock) -> Deps:
    """The demo store, on a clock the test moves."""
    return dataclasses.replace(demo_deps, clock=clock)


@pytest.fixture
def app(deps: Deps) -> CsuApp:  # the real app, on the movable clock
    return CsuApp(deps, "poste-test")


def link_mail(outbox: Path, address: str) -> str:
    """The one e-mail to ``address`` that carries a one-time link (the outbox files of
    one second are not in sending order)."""
    [mail] = [body for body in mails_to(outbox, address) if "jeton=" in body]
    return mail


def on_the_page(voter: Any) -> dict[str, str]:
    """What the voter types on the link's page (« Étape 1 - Validation de votre
    identité »): the NUMEN and the 6th and 7th characters of the NIR."""
    return {"numen": voter.row["numen"], "birth_department": voter.row["nir"][5:7]}


def closing(deps: Deps) -> datetime:
    """When the men-2011 vote closes (the demo moves it to this week)."""
    [definition] = [d for d in list_elections(deps) if d.id == MEN_2011]
    return definition.closes_at


async def send_identifier(pilot: Pilot[Any], address: str | None = None) -> str:
    """ctrl+d, the professional address (``address`` None) or another one typed twice,
    « Envoyer l'identifiant »; returns what the window says (it stays open)."""
    await press(pilot, "ctrl+d")
    screen = pilot.app.screen
    assert isinstance(screen, IdentifierScreen), notifications(pilot.app)  # type: ignore[arg-type]
    if address is not None:
        screen.query_one("#identifier-to", Select).value = "personal"
        await pilot.pause()
        fill(pilot, identifier_address=address, identifier_confirm=address)
    await click(pilot, "#identifier-ok")
    return str(screen.query_one("#identifier-result", Static).content)


async def send_password_link(pilot: Pilot[Any]) -> str:
    """In the identifier window, once the identifier went: « Envoyer le lien du mot de
    passe »; returns what the window says."""
    await pilot.pause(HOLD_SECONDS)  # the button takes no press at once (a second Entrée)
    await click(pilot, "#identifier-password")
    assert not isinstance(pilot.app.screen, CredentialShownScreen)
    return str(pilot.app.screen.query_one("#identifier-result", Static).content)


async def identifier_and_password_link(pilot: Pilot[Any], address: str | None = None) -> str:
    """The whole S7 send: identifier, password link, window closed."""
    said = await send_identifier(pilot, address)
    assert said.startswith("Identifiant "), notifications(pilot.app)  # type: ignore[arg-type]
    said = await send_password_link(pilot)
    assert "Lien du mot de passe envoyé à " in said, notifications(pilot.app)  # type: ignore[arg-type]
    await click(pilot, "#identifier-close-button")
    assert isinstance(pilot.app.screen, VoterScreen)
    return said


# ---------------------------------------------------- who the caller is


class TestIdentityByNumenAndDepartment:
    async def test_the_identifier_goes_by_email_after_numen_and_birth_department(
        self, app: CsuApp, deps: Deps, outbox: Path
    ) -> None:
        """« Après validation de votre identité, votre identifiant de vote sera envoyé
        dans votre messagerie »."""
        voter = demo_voter(deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+e")
            sets = static_text(app.screen.query_one("#verify-sets", Static))
            assert sets == "Ensemble à vérifier :\n  • département de naissance + NUMEN"
            await press(pilot, "escape")
            # « Vous saisissez votre NUMEN et sélectionnez les 6ème et 7ème caractères de
            # votre carte Vitale (Dpt de naissance) »
            await verify_ui(pilot, **by_department(voter))
            said = await send_identifier(pilot)
            assert said.startswith(
                f"Identifiant {voter.identifier} envoyé à {mask_email(voter.row['email_pro'])}"
            )
            await click(pilot, "#identifier-close-button")
            assert "identifiant envoyé" in screen_text(app)
        [mail] = mails_to(outbox, voter.row["email_pro"])
        assert f"votre identifiant de vote est {voter.identifier}" in mail
        steps = [action for action, _ in journal_of(deps, last_intervention(deps))]
        assert steps[:4] == [
            "intervention_open",
            "verification",
            "message_queue",
            "identifier_send",
        ]
        details = journal_details(deps, last_intervention(deps), "identifier_send")
        assert details["to"] == "pro" and details["recipient"] == mask_email(voter.row["email_pro"])

    async def test_a_wrong_birth_department_sends_nothing(
        self, app: CsuApp, deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(deps, MEN_2011)
        wrong = "75" if voter.row["nir"][5:7] != "75" else "69"
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+e")
            fill(pilot, verify_numen=voter.row["numen"], verify_birth_department=wrong)
            await click(pilot, "#verify-ok")
            result = str(app.screen.query_one("#verify-result", Static).content)
            assert "non vérifié" in result.lower(), result
            await press(pilot, "escape")
            await press(pilot, "ctrl+d")
            assert isinstance(app.screen, VoterScreen)  # greyed: says why instead
            assert any("vérifiez-la d'abord (ctrl+e)" in n for n in notifications(app))
        assert not list(outbox.glob("*"))
        assert ("verification", "non vérifié") in journal_of(deps, last_intervention(deps))


# ------------------------------------------- the password: on the voter's screen


class TestThePasswordShowsOnTheVotersScreen:
    async def test_the_agent_can_neither_issue_nor_read_the_password(
        self, app: CsuApp, deps: Deps
    ) -> None:
        """« le mot de passe sera affiché à l'écran »: not read out by the cell."""
        voter = demo_voter(deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            screen = app.screen
            assert isinstance(screen, VoterScreen)
            assert screen.check_action("issue", ()) is False  # not offered
            await press(pilot, "ctrl+k")
            assert app.screen is screen
            assert not isinstance(app.screen, IssueScreen | CredentialShownScreen)
            assert any("uniquement par lien" in n for n in notifications(app)), notifications(app)
        with pytest.raises(Forbidden, match="le mot de passe se réassortit uniquement par lien"):
            issue_credential(  # nor by another door than the screen
                deps, AGENT, last_intervention(deps), material_id(deps, voter), "password"
            )
        assert "credential_issue" not in [a for a, _ in journal_of(deps, last_intervention(deps))]

    async def test_the_password_link_follows_the_identifier_and_shows_the_password_once(
        self, app: CsuApp, deps: Deps, outbox: Path
    ) -> None:
        """« Votre mot de passe apparaît à l'écran, notez le soigneusement. Votre
        identifiant vous est envoyé à l'adresse électronique précédemment mentionnée »."""
        voter = demo_voter(deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            said = await identifier_and_password_link(pilot)
            assert said.endswith(
                f"Lien du mot de passe envoyé à {mask_email(voter.row['email_pro'])}, "
                "valable jusqu'au 02/12 à 12:00 : le mot de passe s'affichera sur l'écran de "
                "l'électeur, jamais lu par la cellule."
            )
        mails = mails_to(outbox, voter.row["email_pro"])
        assert sum(f"identifiant de vote est {voter.identifier}" in mail for mail in mails) == 1

        # The voter opens the link: the platform shows the new password.
        shown = redeem_link(
            deps, token_in(link_mail(outbox, voter.row["email_pro"])), answers=on_the_page(voter)
        )

        assert shown.kind == "password" and shown.display_seconds == 120
        assert check_login(deps, MEN_2011, voter.identifier, voter.birth_date, password=shown.value)
        with deps.reading() as session:
            issued_by = session.exec(
                select(JournalEntry.operator).where(
                    JournalEntry.intervention == last_intervention(deps),
                    JournalEntry.action == "credential_issue",
                )
            ).all()
        assert issued_by == ["plateforme"]  # the platform showed it; no agent had it
        assert shown.value.encode() not in journal_text(deps)

    async def test_the_link_serves_once(self, app: CsuApp, deps: Deps, outbox: Path) -> None:
        """« ce lien ne pouvant être utilisé qu'une seule fois »."""
        voter = demo_voter(deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await identifier_and_password_link(pilot)
        token = token_in(link_mail(outbox, voter.row["email_pro"]))
        first = redeem_link(deps, token, answers=on_the_page(voter))

        with pytest.raises(LinkGone, match=re.escape(INVALID_LINK)):
            redeem_link(deps, token, answers=on_the_page(voter))

        assert check_login(deps, MEN_2011, voter.identifier, voter.birth_date, password=first.value)

    async def test_a_link_opened_after_its_validity_is_refused(
        self, app: CsuApp, deps: Deps, clock: Clock, outbox: Path
    ) -> None:
        voter = demo_voter(deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            said = await identifier_and_password_link(pilot)
            assert "valable jusqu'au 02/12 à 12:00" in said  # 30 minutes, the cell's policy
        token = token_in(link_mail(outbox, voter.row["email_pro"]))
        clock.now = NOW + timedelta(minutes=30, seconds=1)

        with pytest.raises(LinkGone, match=re.escape(INVALID_LINK)):
            redeem_link(deps, token)

    async def test_no_link_serves_after_the_last_day(
        self, app: CsuApp, deps: Deps, clock: Clock, outbox: Path
    ) -> None:
        """« cet usage unique pourra être effectué jusqu'au 20 octobre »: the demo's last
        day is the closing day of the moved vote."""
        voter = demo_voter(deps, MEN_2011)
        clock.now = closing(deps) - timedelta(minutes=20)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter, otp=code("agent", clock.now))
            await identifier_and_password_link(pilot)
        token = token_in(link_mail(outbox, voter.row["email_pro"]))
        clock.now = closing(deps) + timedelta(minutes=1)

        with pytest.raises(LinkGone):
            redeem_link(deps, token)

    async def test_the_password_link_mail_asks_for_the_numen_under_the_organisers_subject(
        self, app: CsuApp, deps: Deps, outbox: Path
    ) -> None:
        """« Vous recevez un mail … avec pour objet « [Elections professionnelles 2011]
        Réception de vos codes de vote » … Munissez-vous de votre NUMEN avant de
        cliquer »."""
        voter = demo_voter(deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await identifier_and_password_link(pilot)
        [mail] = [
            message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in outbox.glob("*.eml")
            if b"jeton=" in path.read_bytes()
        ]
        assert str(mail["Subject"]) == (
            "[Elections professionnelles 2011] Réception de vos codes de vote"
        )
        body = mail.get_body().get_content()  # type: ignore[union-attr]
        assert "Munissez-vous de votre NUMEN avant de cliquer" in body
        assert (
            "La page du lien vous demandera : NUMEN et département de naissance. Ayez-les "
            "sous la main : 3 réponses fausses l'annulent." in body
        )

    async def test_a_link_sent_on_the_last_day_is_announced_until_the_deadline(
        self, app: CsuApp, deps: Deps, clock: Clock
    ) -> None:
        voter = demo_voter(deps, MEN_2011)
        clock.now = closing(deps) - timedelta(minutes=20)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter, otp=code("agent", clock.now))
            said = await identifier_and_password_link(pilot)
        deadline = to_paris(closing(deps))  # the last day's end: 08/12 à 17:00
        assert f"valable jusqu'au {deadline:%d/%m à %H:%M}" in said

    async def test_the_identifier_mail_does_not_promise_the_password_from_the_cell(
        self, app: CsuApp, deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await send_identifier(pilot)
        [mail] = mails_to(outbox, voter.row["email_pro"])
        assert voter.identifier in mail
        assert "communiqué par la cellule" not in mail


# ------------------------------------------------ the other address, once confirmed


class TestTheOtherAddress:
    async def test_once_confirmed_the_other_address_cannot_be_changed(
        self, app: CsuApp, deps: Deps, outbox: Path
    ) -> None:
        """« Si vous souhaitez recevoir l'identifiant à une autre adresse, plus
        personnelle, veuillez saisir cette autre adresse, puis la confirmer. Attention, en
        cas d'erreur de saisie il ne sera plus possible d'en changer »."""
        voter = demo_voter(deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            said = await send_identifier(pilot, PERSONAL)
            assert said.startswith(
                f"Identifiant {voter.identifier} envoyé à {mask_email(PERSONAL)}"
            )
            await click(pilot, "#identifier-close-button")

            # The caller made a typing error and asks for another address: refused.
            said = await send_identifier(pilot, OTHER)
            assert not said.startswith("Identifiant ")
            refusal = (
                "L'électeur a déjà confirmé une autre adresse pour son identifiant : elle ne "
                "peut plus être changée. L'identifiant ne repart qu'à cette adresse, tapée de "
                "nouveau ; invitez l'électeur à regarder dans ses courriels indésirables."
            )
            assert notifications(app)[-1] == refusal
            assert app.screen.query_one("#identifier-address", Input).value == OTHER  # kept
            # Nor back to the professional one.
            app.screen.query_one("#identifier-to", Select).value = "pro"
            await pilot.pause()
            await click(pilot, "#identifier-ok")
            assert notifications(app)[-1] == refusal
            # The confirmed address, typed again: the identifier goes there again.
            app.screen.query_one("#identifier-to", Select).value = "personal"
            await pilot.pause()
            fill(pilot, identifier_address=PERSONAL, identifier_confirm=PERSONAL)
            await click(pilot, "#identifier-ok")
            said = str(app.screen.query_one("#identifier-result", Static).content)
            assert said.startswith(
                f"Identifiant {voter.identifier} envoyé à {mask_email(PERSONAL)}"
            )
        assert len(mails_to(outbox, PERSONAL)) == 2
        assert not mails_to(outbox, OTHER)
        assert not [m for m in mails_to(outbox, voter.row["email_pro"]) if voter.identifier in m]
        sent = [a for a, _ in journal_of(deps, last_intervention(deps)) if a == "identifier_send"]
        assert len(sent) == 2
        assert PERSONAL.encode() not in journal_text(deps)

    async def test_the_password_link_goes_to_the_confirmed_address(
        self, app: CsuApp, deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            said = await identifier_and_password_link(pilot, PERSONAL)
            assert f"Lien du mot de passe envoyé à {mask_email(PERSONAL)}" in said
        assert any(voter.identifier in mail for mail in mails_to(outbox, PERSONAL))
        token = token_in(link_mail(outbox, PERSONAL))
        assert redeem_link(deps, token, answers=on_the_page(voter)).kind == "password"


# ----------------------------------------------------------- before anything


class TestSpamFolderFirst:
    async def test_the_agent_is_told_to_have_the_spam_folder_checked_first(
        self, app: CsuApp, deps: Deps
    ) -> None:
        """« Si vous ne le recevez pas, vérifiez dans les mails indésirables ou dans les
        mails supprimés »."""
        voter = demo_voter(deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            text = screen_text(app)
        assert "S7 — Électeur sans notice (non reçue ou perdue)" in text
        assert "▶ 1. Faire d'abord regarder dans les courriels indésirables ou supprimés" in text
