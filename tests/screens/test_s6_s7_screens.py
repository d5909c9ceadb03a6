"""S6 (vote-code reissue by one-time link, men-2022) and S7 (voter without notice,
men-2011: identifier, then a password shown on the voter's screen, never read out)
through the real app on demo voters; which of the voter file's message bindings apply
to which election."""

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from csu.app import CsuApp
from csu.domain.masking import mask_identifier
from csu.screens.credential import CredentialShownScreen, IssueScreen
from csu.screens.dialogs import ConfirmDialog
from csu.screens.identifier_delivery import HOLD_SECONDS, IdentifierScreen
from csu.screens.outbox import OutboxScreen
from csu.screens.vote_codes import VoteCodeLinkScreen
from csu.screens.voter import VoterScreen
from csu.services.context import Deps, ServiceError
from csu.services.platform import check_login
from csu.services.vote_codes import INVALID_LINK, redeem_link
from tests.screens.bursts import type_burst
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    call_verified,
    click,
    demo_voter,
    fill,
    in_call,
    journal_details,
    journal_of,
    journal_text,
    last_intervention,
    mails_to,
    notifications,
    on_voter_file,
    open_intervention_ui,
    president_bureau,
    press,
    screen_text,
    settle,
    sms_to,
    token_in,
)

MEN = "men-2022"
MEN_2011 = "men-2011"
MOBILE = "06 12 34 56 78"
MOBILE_E164 = "+33612345678"
PERSONAL = "electeur.perso@exemple.fr"


# ------------------------------------------------------------------- helpers


def vote_code_works(deps: Deps, voter: DemoVoter, code: str) -> bool:
    return check_login(deps, voter.election, voter.identifier, voter.birth_date, vote_code=code)


async def link_window(pilot: Pilot[Any], voter: DemoVoter) -> VoteCodeLinkScreen:
    """A verified call on ``voter``, its link window (ctrl+l) open."""
    await call_verified(pilot, voter)
    await press(pilot, "ctrl+l")
    screen = pilot.app.screen
    assert isinstance(screen, VoteCodeLinkScreen)
    return screen


async def send_links(pilot: Pilot[Any], *recipients: str, channel: str = "sms") -> list[str]:
    """ctrl+l, the channel, then for each recipient « Envoyer le lien » (the modal
    stays open to send another), then « Fermer »; returns what the modal said."""
    await press(pilot, "ctrl+l")
    screen = pilot.app.screen
    assert isinstance(screen, VoteCodeLinkScreen), notifications(pilot.app)  # type: ignore[arg-type]
    screen.query_one("#link-channel", Select).value = channel
    await pilot.pause()
    said = []
    for recipient in recipients:
        fill(pilot, link_recipient=recipient)
        await click(pilot, "#link-ok")
        said.append(str(screen.query_one("#link-result", Static).content))
        assert said[-1].startswith("Lien envoyé à "), notifications(pilot.app)  # type: ignore[arg-type]
    await click(pilot, "#link-close")
    assert isinstance(pilot.app.screen, VoterScreen)
    return said


# ------------------------------------------------------------------------- S6


class TestS6VoteCodeLink:
    async def test_the_link_by_sms_reissues_the_code_and_a_newer_link_voids_it(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            [said] = await send_links(pilot, MOBILE)
            # 11:30 in Paris + 30 minutes of validity
            assert said == "Lien envoyé à +33 6 ** ** ** 78, valable jusqu'à 12:00."
            [first_sms] = sms_to(outbox, MOBILE_E164)
            assert "https://vote.education-elections2022.exemple.fr/reassort?jeton=" in first_sms
            timeline = screen_text(app)
            assert "lien de réassort envoyé" in timeline and "message envoyé" in timeline

            # The voter opens the link: the platform issues the new vote code.
            issued = redeem_link(demo_deps, token_in(first_sms))
            assert vote_code_works(demo_deps, voter, issued.value)

            # Two more links: the second voids the first.
            await send_links(pilot, "07 81 22 33 44", MOBILE)
            older, newer = sms_to(outbox, "+33781223344")[0], sms_to(outbox, MOBILE_E164)[1]

        with pytest.raises(ServiceError, match=re.escape(INVALID_LINK)):
            redeem_link(demo_deps, token_in(older))
        with pytest.raises(ServiceError, match=re.escape(INVALID_LINK)):
            redeem_link(demo_deps, token_in(first_sms))  # spent
        latest = redeem_link(demo_deps, token_in(newer))
        assert vote_code_works(demo_deps, voter, latest.value)
        assert not vote_code_works(demo_deps, voter, issued.value)

        intervention = last_intervention(demo_deps)
        steps = journal_of(demo_deps, intervention)
        assert steps[:7] == [
            ("intervention_open", "ok"),
            ("verification", "vérifié"),
            ("message_queue", "ok"),  # the link
            ("vote_code_link_send", "ok"),
            ("message_queue", "ok"),  # the notice, at the professional address
            ("message_sent", "ok"),
            ("message_sent", "ok"),
        ]
        assert journal_details(demo_deps, intervention, "vote_code_link_send")["recipient"] == (
            "+33 6 ** ** ** 78"
        )
        journal = journal_text(demo_deps)
        assert MOBILE_E164.encode() not in journal and token_in(newer).encode() not in journal

    async def test_a_professional_address_or_a_landline_is_refused_and_kept(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await press(pilot, "ctrl+l")
            screen = app.screen
            assert isinstance(screen, VoteCodeLinkScreen)
            screen.query_one("#link-channel", Select).value = "email"
            await pilot.pause()
            fill(pilot, link_recipient=voter.row["email_pro"].upper())
            await click(pilot, "#link-ok")
            assert app.screen is screen
            assert any("adresse professionnelle enregistrée" in n for n in notifications(app))
            assert screen.query_one("#link-recipient", Input).value == (
                voter.row["email_pro"].upper()
            )

            screen.query_one("#link-channel", Select).value = "sms"
            await pilot.pause()
            fill(pilot, link_recipient="01 23 45 67 89")
            await click(pilot, "#link-ok")
            assert app.screen is screen
            assert any("ce n'est pas un numéro de mobile" in n for n in notifications(app))
            assert screen.query_one("#link-recipient", Input).value == "01 23 45 67 89"

            fill(pilot, link_recipient=PERSONAL)  # a personal address, on the SMS channel
            screen.query_one("#link-channel", Select).value = "email"
            await pilot.pause()
            fill(pilot, link_recipient_confirm=PERSONAL)  # typed twice
            await click(pilot, "#link-ok")
            said = str(screen.query_one("#link-result", Static).content)
            assert said.startswith("Lien envoyé à ") and "@exemple.fr" in said
            assert screen.query_one("#link-recipient", Input).value == ""  # not kept
            assert screen.query_one("#link-recipient-confirm", Input).value == ""
            [mail] = mails_to(outbox, PERSONAL)
            assert "jeton=" in mail

    async def test_a_number_left_in_the_field_goes_when_the_link_goes_by_e_mail(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        """« 01 23 45 67 89 » stayed in the address's field once « Courriel » was chosen."""
        async with app.run_test(size=SIZE) as pilot:
            screen = await link_window(pilot, demo_voter(demo_deps, MEN))
            fill(pilot, link_recipient="06 12 34 56 78")
            screen.query_one("#link-channel", Select).value = "email"
            await pilot.pause()
            assert screen.query_one("#link-recipient", Input).value == ""

    async def test_a_link_refused_for_its_empty_number_brings_the_cursor_back_to_it(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await link_window(pilot, demo_voter(demo_deps, MEN))
            await click(pilot, "#link-ok")  # nothing typed
            assert any("Téléphone" in n for n in notifications(app))
            assert app.focused is screen.query_one("#link-recipient", Input)
            await press(pilot, *"0612345678")  # what is typed next goes to the number
            assert screen.query_one("#link-recipient", Input).value == "0612345678"

    async def test_a_link_refused_for_the_professional_address_brings_the_cursor_back(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await press(pilot, "ctrl+l")
            screen = app.screen
            assert isinstance(screen, VoteCodeLinkScreen)
            screen.query_one("#link-channel", Select).value = "email"
            await pilot.pause()
            fill(pilot, link_recipient=voter.row["email_pro"])
            await click(pilot, "#link-ok")
            assert any("adresse professionnelle enregistrée" in n for n in notifications(app))
            assert app.focused is screen.query_one("#link-recipient", Input)

    async def test_an_address_for_the_link_is_typed_again_in_a_field_that_refuses_a_paste(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await link_window(pilot, demo_voter(demo_deps, MEN))
            assert not screen.query_one("#link-confirm-box").display  # by SMS: none
            screen.query_one("#link-channel", Select).value = "email"
            await pilot.pause()
            assert screen.query_one("#link-confirm-box").display
            field = screen.query_one("#link-recipient-confirm", Input)
            field.focus()
            await pilot.pause()
            field.post_message(events.Paste(PERSONAL))
            await settle(pilot)
            assert field.value == ""
            assert any("pas à coller" in n for n in notifications(app))

    async def test_an_address_typed_twice_differently_sends_nothing_the_cursor_in_the_retyping(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await link_window(pilot, demo_voter(demo_deps, MEN))
            screen.query_one("#link-channel", Select).value = "email"
            await pilot.pause()
            fill(pilot, link_recipient="thomas.peron@gmail.com",
                 link_recipient_confirm="thomas.peron@gmial.com")  # fmt: skip
            await click(pilot, "#link-ok")
            assert any("les deux saisies diffèrent" in n for n in notifications(app))
            assert app.focused is screen.query_one("#link-recipient-confirm")
            assert not list(outbox.glob("*.eml"))

    async def test_an_address_fast_entree_then_again_fills_each_field(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await link_window(pilot, demo_voter(demo_deps, MEN))
            screen.query_one("#link-channel", Select).value = "email"
            screen.query_one("#link-recipient", Input).focus()
            await pilot.pause()
            await type_burst(pilot, *"a@b.fr", "enter", *"a@b.fr")
            assert screen.query_one("#link-recipient", Input).value == "a@b.fr"
            assert screen.query_one("#link-recipient-confirm", Input).value == "a@b.fr"

    async def test_a_link_to_a_domain_like_gmail_con_asks_first_the_correction_chosen(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        typed = "thomas.peron@gmail.con"
        async with app.run_test(size=SIZE) as pilot:
            screen = await link_window(pilot, demo_voter(demo_deps, MEN))
            screen.query_one("#link-channel", Select).value = "email"
            await pilot.pause()
            fill(pilot, link_recipient=typed, link_recipient_confirm=typed)
            await click(pilot, "#link-ok")
            question = app.screen
            assert isinstance(question, ConfirmDialog)
            said = str(question.query_one("#confirm-message", Static).content)
            assert "« gmail.con » ressemble à une faute de frappe pour « gmail.com »" in said
            assert app.focused is question.query_one("#confirm-no")  # « Corriger l'adresse »
            await press(pilot, "enter")
            assert app.screen is screen
            assert app.focused is screen.query_one("#link-recipient")
            assert screen.query_one("#link-recipient", Input).value == typed  # kept
        assert not list(outbox.glob("*.eml"))

    async def test_a_link_to_a_doubtful_domain_goes_once_the_agent_confirms_it(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        typed = "thomas.peron@gmail.con"
        async with app.run_test(size=SIZE) as pilot:
            screen = await link_window(pilot, demo_voter(demo_deps, MEN))
            screen.query_one("#link-channel", Select).value = "email"
            await pilot.pause()
            fill(pilot, link_recipient=typed, link_recipient_confirm=typed)
            await click(pilot, "#link-ok")
            await click(pilot, "#confirm-yes")  # « Envoyer quand même »
            assert app.screen is screen
            said = str(screen.query_one("#link-result", Static).content)
            assert said.startswith("Lien envoyé à ")
        [mail] = mails_to(outbox, typed)
        assert "jeton=" in mail

    async def test_a_mobile_typed_for_the_link_is_said_back_in_full_under_its_field(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await link_window(pilot, demo_voter(demo_deps, MEN))
            screen.query_one("#link-recipient", Input).focus()
            await press(pilot, *"+33612345678")
            said = screen.query_one("#link-read-back", Static)
            assert said.display
            assert str(said.content) == "À relire à l'électeur : 06 12 34 56 78"
            await press(pilot, "backspace")  # no longer a mobile number: nothing said
            assert not said.display

    async def test_after_a_link_is_sent_a_corrected_number_goes_in_the_number_field(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await link_window(pilot, demo_voter(demo_deps, MEN))
            fill(pilot, link_recipient="06 12 34 56 79")
            await click(pilot, "#link-ok")
            field = screen.query_one("#link-recipient", Input)
            assert field.value == "" and app.focused is field
            await press(pilot, *MOBILE.replace(" ", ""), "enter")
            assert app.screen is screen
            assert sms_to(outbox, MOBILE_E164)  # the corrected number got its link

    async def test_entree_in_the_emptied_field_after_a_send_sends_nothing_and_says_what_to_do(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await link_window(pilot, demo_voter(demo_deps, MEN))
            fill(pilot, link_recipient=MOBILE)
            await click(pilot, "#link-ok")
            await press(pilot, "enter")
            assert app.screen is screen
            again = screen.query_one("#link-again", Static)
            assert again.display and again.has_class("-reminder")
            assert "Échap ferme la fenêtre" in str(again.content)
            assert not any("Téléphone" in n for n in notifications(app))
        assert len(sms_to(outbox, MOBILE_E164)) == 1

    async def test_a_number_typed_while_the_cursor_is_on_the_channel_goes_to_the_number(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await link_window(pilot, demo_voter(demo_deps, MEN))
            assert app.focused is screen.query_one("#link-channel")
            await press(pilot, *"0612345678")
            assert screen.query_one("#link-recipient", Input).value == "0612345678"
            assert app.focused is screen.query_one("#link-recipient")

    async def test_tab_from_the_channel_then_the_number_lands_in_the_number_field(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await link_window(pilot, demo_voter(demo_deps, MEN))
            await press(pilot, "tab", *"0612345678")
            assert screen.query_one("#link-recipient", Input).value == "0612345678"

    async def test_a_number_typed_on_a_button_with_the_fields_full_is_said_lost(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await link_window(pilot, demo_voter(demo_deps, MEN))
            fill(pilot, link_recipient=MOBILE)
            screen.query_one("#link-close").focus()
            await press(pilot, "7")
            assert screen.query_one("#link-recipient", Input).value == MOBILE
            assert any("rien n'a été saisi" in n for n in notifications(app))

    async def test_the_code_is_never_issued_to_be_read_out(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        """Seeds 001/004: the new code shows on the voter's screen, by the link only."""
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await call_verified(pilot, voter)
            await press(pilot, "ctrl+k")
            if isinstance(app.screen, IssueScreen):
                await click(pilot, "#issue-ok")
            assert not isinstance(app.screen, CredentialShownScreen)
            assert any(
                "le code de vote se réassortit uniquement par lien" in n or "ne prévoit" in n
                for n in notifications(app)
            ), notifications(app)
        assert ("credential_issue", "ok") not in journal_of(demo_deps, last_intervention(demo_deps))


# ------------------------------------------------------------------------- S7


async def identifier_window(
    pilot: Pilot[Any], voter: DemoVoter, to: str | None = None
) -> IdentifierScreen:
    """In a verified call with ``voter``, the « Envoyer l'identifiant » window open (to
    the address ``to`` if given: « pro » or « personal »)."""
    await call_verified(pilot, voter)
    await press(pilot, "ctrl+d")
    screen = pilot.app.screen
    assert isinstance(screen, IdentifierScreen)
    if to is not None:
        screen.query_one("#identifier-to", Select).value = to
        await pilot.pause()
    return screen


async def identifier_sent_by_entree(pilot: Pilot[Any], voter: DemoVoter) -> IdentifierScreen:
    """The identifier window, Entrée on « Envoyer l'identifiant »: sent."""
    screen = await identifier_window(pilot, voter)
    screen.query_one("#identifier-ok").focus()
    await press(pilot, "enter")
    await settle(pilot)
    return screen


class TestS7VoterWithoutNotice:
    async def test_once_the_identifier_is_sent_the_cursor_is_on_the_password_link(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        """On « Fermer », Entrée closed the window: an identifier and no password."""
        voter = demo_voter(demo_deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            screen = await identifier_sent_by_entree(pilot, voter)
            assert app.focused is screen.query_one("#identifier-password")

    async def test_entree_after_the_identifier_sends_the_password_link_and_stays(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            screen = await identifier_sent_by_entree(pilot, voter)
            await pilot.pause(HOLD_SECONDS)
            await press(pilot, "enter")
            await settle(pilot)
            assert app.screen is screen
            assert "Lien du mot de passe envoyé à " in str(
                screen.query_one("#identifier-result", Static).content
            )
            assert app.focused is screen.query_one("#identifier-close-button")
            assert len(mails_to(outbox, voter.row["email_pro"])) == 2  # identifier, link

    async def test_entree_struck_twice_for_the_identifier_sends_no_link(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        # The window seemed slow: the second Entrée sent the password link, unasked.
        voter = demo_voter(demo_deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            screen = await identifier_sent_by_entree(pilot, voter)
            await press(pilot, "enter")
            await settle(pilot)
            said = str(screen.query_one("#identifier-result", Static).content)
            assert "Lien du mot de passe envoyé" not in said
            assert "Étape suivante : Entrée sur « Envoyer le lien du mot de passe »" in said
            assert app.focused is screen.query_one("#identifier-password")
            assert len(mails_to(outbox, voter.row["email_pro"])) == 1  # the identifier

    async def test_identifier_to_the_professional_address_the_password_not_read_out(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            screen = await identifier_window(pilot, voter)
            assert screen.query_one("#identifier-to", Select).value == "pro"
            assert not screen.query_one("#identifier-password").display
            await click(pilot, "#identifier-ok")
            said = str(screen.query_one("#identifier-result", Static).content)
            shown = mask_identifier(voter.identifier)  # an address: masked on screen too
            assert said.startswith(f"Identifiant {shown} envoyé à ")
            recipient = said.removeprefix(f"Identifiant {shown} envoyé à ")
            assert recipient.endswith(".") and "***@" in recipient  # masked
            [mail] = mails_to(outbox, voter.row["email_pro"])
            assert voter.identifier in mail
            assert screen.query_one("#identifier-ok").display is False  # no change now

            # Seed 003: « le mot de passe sera affiché à l'écran », never read out: the
            # window sends the one-time link where the identifier went.
            await pilot.pause(HOLD_SECONDS)
            await click(pilot, "#identifier-password")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert app.screen is screen and not isinstance(app.screen, CredentialShownScreen)
            said = str(screen.query_one("#identifier-result", Static).content)
            assert "Lien du mot de passe envoyé à " in said and "jamais lu" in said
            assert len(mails_to(outbox, voter.row["email_pro"])) == 2

        steps = journal_of(demo_deps, last_intervention(demo_deps))
        assert [action for action, _ in steps][:5] == [
            "intervention_open",
            "verification",
            "message_queue",
            "identifier_send",
            "message_sent",
        ]
        assert "credential_issue" not in [action for action, _ in steps]

    async def test_an_address_typed_fast_entree_then_again_fills_each_field(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            screen = await identifier_window(pilot, voter, to="personal")
            screen.query_one("#identifier-address", Input).focus()
            await pilot.pause()
            await type_burst(pilot, *"a@b.fr", "enter", *"a@b.fr")
            assert screen.query_one("#identifier-address", Input).value == "a@b.fr"
            assert screen.query_one("#identifier-confirm", Input).value == "a@b.fr"

    async def test_the_confirmation_of_a_personal_address_refuses_a_paste(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            screen = await identifier_window(pilot, voter, to="personal")
            field = screen.query_one("#identifier-confirm", Input)
            field.focus()
            await pilot.pause()
            field.post_message(events.Paste(PERSONAL))
            await settle(pilot)
            assert field.value == ""
            assert any("pas à coller" in n for n in notifications(app))

    async def test_a_personal_address_with_a_doubtful_domain_is_asked_about_first(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        typed = "electeur.perso@hotmial.fr"
        voter = demo_voter(demo_deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            screen = await identifier_window(pilot, voter, to="personal")
            fill(pilot, identifier_address=typed, identifier_confirm=typed)
            await click(pilot, "#identifier-ok")
            question = app.screen
            assert isinstance(question, ConfirmDialog)
            assert "pour « hotmail.fr »" in str(question.query_one("#confirm-message").content)  # type: ignore[attr-defined]
            assert app.focused is question.query_one("#confirm-no")
            await press(pilot, "enter")  # « Corriger l'adresse »
            assert app.screen is screen and screen.sent is None
            assert app.focused is screen.query_one("#identifier-address")
        assert not list(outbox.glob("*.eml"))

    async def test_a_personal_address_must_be_typed_twice_the_same(
        self, app: CsuApp, demo_deps: Deps, outbox: Path
    ) -> None:
        voter = demo_voter(demo_deps, MEN_2011)
        async with app.run_test(size=SIZE) as pilot:
            screen = await identifier_window(pilot, voter)
            assert not screen.query_one("#identifier-personal").display
            screen.query_one("#identifier-to", Select).value = "personal"
            await pilot.pause()
            assert screen.query_one("#identifier-personal").display
            other = "electeur.perso@exemple.com"
            fill(pilot, identifier_address=PERSONAL, identifier_confirm=other)
            await click(pilot, "#identifier-ok")
            assert app.screen is screen
            assert any("les deux saisies diffèrent" in n for n in notifications(app))
            assert screen.query_one("#identifier-confirm", Input).value == other
            assert not list(outbox.glob("*.eml"))

            fill(pilot, identifier_confirm=PERSONAL)
            await click(pilot, "#identifier-ok")
            said = str(screen.query_one("#identifier-result", Static).content)
            assert said.startswith(f"Identifiant {mask_identifier(voter.identifier)} envoyé à e")
            assert PERSONAL not in said
            assert screen.query_one("#identifier-address", Input).value == ""
            assert screen.query_one("#identifier-address", Input).disabled
            await click(pilot, "#identifier-close-button")
            assert isinstance(app.screen, VoterScreen)
            assert "identifiant envoyé" in screen_text(app)
        [mail] = mails_to(outbox, PERSONAL)
        assert voter.identifier in mail
        details = journal_details(demo_deps, last_intervention(demo_deps), "identifier_send")
        assert details["to"] == "personal" and PERSONAL not in details["recipient"]
        assert PERSONAL.encode() not in journal_text(demo_deps)


# ------------------------------------------------------------ which bindings


class TestBindingsOfTheElection:
    @pytest.mark.parametrize(
        ("election", "link", "identifier", "substitution"),
        [
            (MEN, True, False, False),  # the identifier is the academic webmail address
            (MEN_2011, False, True, False),
            ("minint-2022", False, False, False),  # the matricule is on the arrêté (portal)
            ("cci-hdf-2021", False, False, True),  # lost material: substitution only
        ],
    )
    async def test_what_the_election_of_the_intervention_provides(
        self,
        app: CsuApp,
        demo_deps: Deps,
        election: str,
        link: bool,
        identifier: bool,
        substitution: bool,
    ) -> None:
        voter = demo_voter(demo_deps, election)
        async with app.run_test(size=SIZE) as pilot:
            await on_voter_file(pilot, voter)
            screen = app.screen
            assert isinstance(screen, VoterScreen)
            assert screen.check_action("messages", ())
            for action in ("vote_code_link", "identifier", "substitution"):
                assert not screen.check_action(action, ())  # no intervention yet
            await open_intervention_ui(pilot, "phone")
            # Offered (shown; greyed until the caller is verified) or not at all.
            assert (screen.check_action("vote_code_link", ()) is not False) is link
            assert (screen.check_action("substitution", ()) is not False) is substitution
            assert (screen.check_action("identifier", ()) is not False) is identifier
            shown = {b.binding.id for b in screen.active_bindings.values()}
            assert ("voter-vote-code-link" in shown) is link
            assert ("voter-identifier" in shown) is identifier
            assert ("voter-substitution" in shown) is substitution

            await press(pilot, "f6")
            assert isinstance(app.screen, OutboxScreen)
            assert app.screen.voter_id == voter.voter_id
            await press(pilot, "escape")
            assert app.screen is screen

            if substitution:
                await press(pilot, "f7")
                if importlib.util.find_spec("csu.screens.substitution") is None:
                    assert "Écran indisponible." in notifications(app)
                else:
                    assert type(app.screen).__name__ == "SubstitutionRequestScreen"
                    await press(pilot, "escape")
                assert app.screen is screen

    async def test_a_president_gets_none_of_them(self, app: CsuApp, demo_deps: Deps) -> None:
        voter = demo_voter(demo_deps, bureau=president_bureau(demo_deps))
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter, login="president")
            screen = app.screen
            assert isinstance(screen, VoterScreen) and screen.intervention is not None
            for action in ("vote_code_link", "identifier", "substitution", "messages"):
                assert not screen.check_action(action, ())

    async def test_not_verified_the_agent_is_told_to_verify_first(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps, MEN)
        async with app.run_test(size=SIZE) as pilot:
            await in_call(pilot, voter)
            await press(pilot, "ctrl+l")  # shown greyed: says what to do first
            assert isinstance(app.screen, VoterScreen)
            assert sum("vérifiez-la d'abord (ctrl+e)" in n for n in notifications(app)) == 1
