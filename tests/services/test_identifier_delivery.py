"""S7, a voter without notice (men-2011, seed 003): after NUMEN + département of birth,
the identifier goes to the professional address on record or to a personal address typed
twice; then a password is shown on the voter's screen by a one-time link."""

import re
import unicodedata
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parseaddr
from pathlib import Path

import pytest
from sqlalchemy import select

from csu.domain import masking
from csu.domain.errors import InvalidValue
from csu.domain.mail_domains import DoubtfulDomain
from csu.services.context import ServiceError
from csu.services.identifier_delivery import IdentifierSent, send_identifier
from csu.services.platform import check_login
from csu.services.verification import verify_identity
from csu.services.vote_codes import redeem_link, send_password_link
from csu.store.tables import OutboundMessage, Voter
from tests.conftest import AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    MEN_2011_OPEN,
    Desk,
    bodies,
    desk_fixture,
    entries,
    open_call,
)

PERSONAL = "ines.perso@exemple.fr"
SENDER = "Élections professionnelles 2011 — Éducation nationale"


@pytest.fixture(autouse=True)
def during_the_2011_vote(desk: Desk) -> None:
    desk.clock.now = MEN_2011_OPEN


def verified_without_notice(desk: Desk) -> str:
    """An intervention on a men-2011 voter, verified by NUMEN + département of birth."""
    row = desk.without_notice.row
    call = open_call(desk, desk.without_notice)
    answers = {"numen": row["numen"], "birth_department": row["nir"][5:7]}
    result = verify_identity(desk.deps, AGENT, call.id, answers)
    assert result.verified, result.message
    assert entries(desk.deps, "verification")[-1]["details"]["set"] == [
        "birth_department", "numen"
    ]
    return call.id


def send(desk: Desk, call_id: str, to: str, address: str = "", confirm: str = "") -> IdentifierSent:
    return send_identifier(
        desk.deps, AGENT, call_id, desk.without_notice.material_id, to=to, address=address,
        confirm=confirm,
    )


def mails(desk: Desk) -> list[EmailMessage]:
    found = []
    for path in desk.outbox.sent:
        assert path.suffix == ".eml", path
        mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(mail, EmailMessage)
        found.append(mail)
    return found


def sender_of(path: Path) -> str:
    """The From display name, decoded by RFC 2047 (the policy.default parser puts a space
    where a long name was folded between two encoded words)."""
    raw = BytesParser(policy=compat32).parsebytes(path.read_bytes())["From"]
    name, _ = parseaddr(str(make_header(decode_header(str(raw)))))
    return name


def messages(desk: Desk) -> list[OutboundMessage]:
    with desk.deps.reading() as session:
        return list(session.execute(select(OutboundMessage)).scalars())


def test_the_identifier_goes_to_the_professional_address_on_record(desk: Desk) -> None:
    pro = desk.without_notice.row["email_pro"]
    sent = send(desk, verified_without_notice(desk), "pro")
    assert sent == IdentifierSent(masking.mask_email(pro), desk.without_notice.identifier, "envoyé")
    [mail] = mails(desk)
    assert mail["To"] == pro
    # men-2011's own subject (its file's [messages.identifier], after seed 003)
    subject = "[Elections professionnelles 2011] Réception de vos codes de vote - 2/2"
    assert mail["Subject"] == subject
    assert "s'affichera à l'écran" in mail.get_content()
    assert sender_of(desk.outbox.sent[0]) == SENDER
    assert f"votre identifiant de vote est {desk.without_notice.identifier}." in mail.get_content()
    [row] = messages(desk)
    assert (row.purpose, row.typed_recipient, row.state) == ("identifier", False, "sent")


def test_the_identifier_goes_to_a_personal_address_typed_twice(desk: Desk) -> None:
    sent = send(desk, verified_without_notice(desk), "personal", PERSONAL, f" {PERSONAL} ")
    assert (sent.recipient, sent.delivery) == (masking.mask_email(PERSONAL), "envoyé")
    [mail] = mails(desk)
    assert mail["To"] == PERSONAL
    assert desk.without_notice.identifier in mail.get_content()
    [row] = messages(desk)
    assert row.typed_recipient is True
    assert row.recipient_sealed is None and row.body_sealed is None


def test_the_same_address_typed_in_another_case_is_accepted(desk: Desk) -> None:
    sent = send(desk, verified_without_notice(desk), "personal", PERSONAL, PERSONAL.upper())
    assert sent.delivery == "envoyé"
    assert mails(desk)[0]["To"] == PERSONAL  # the first typing


def test_another_academys_address_is_no_personal_one(desk: Desk) -> None:
    """« une autre adresse, plus personnelle » (seed 003): not another academy's."""
    call_id = verified_without_notice(desk)
    with pytest.raises(ServiceError, match=r"« ac-\*\.fr » comme domaine professionnel"):
        send(desk, call_id, "personal", "ines.perso@ac-lille.fr", "ines.perso@ac-lille.fr")
    assert messages(desk) == [] and entries(desk.deps, "identifier_send") == []


def test_two_different_typings_are_refused(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    with pytest.raises(InvalidValue) as refused:
        send(desk, call_id, "personal", PERSONAL, "ines.perso@exemple.com")
    assert refused.value.field == "Adresse personnelle"
    assert "les deux saisies diffèrent" in refused.value.fault
    assert messages(desk) == [] and desk.outbox.sent == []
    assert entries(desk.deps, "identifier_send") == []


def test_a_missing_confirmation_is_refused(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    with pytest.raises(InvalidValue, match="les deux saisies diffèrent"):
        send(desk, call_id, "personal", PERSONAL)
    assert messages(desk) == []


def test_a_malformed_personal_address_is_refused_naming_the_field(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    for typed in ("ines.perso", "ines.perso@", "ines perso@exemple.fr", ""):
        with pytest.raises(InvalidValue) as refused:
            send(desk, call_id, "personal", typed, typed)
        assert refused.value.field == "Courriel", typed
        assert str(refused.value).startswith("Courriel : ")
    assert messages(desk) == []


def test_an_unknown_destination_is_refused(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    with pytest.raises(InvalidValue, match="Destinataire"):
        send(desk, call_id, "fax")
    assert messages(desk) == []


def test_without_verification_the_identifier_is_not_sent(desk: Desk) -> None:
    call = open_call(desk, desk.without_notice)
    with pytest.raises(ServiceError, match="Identité non vérifiée"):
        send(desk, call.id, "pro")
    assert messages(desk) == [] and desk.outbox.sent == []


def test_ten_minutes_after_the_verification_the_identifier_is_not_sent(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    desk.clock.advance(minutes=10)
    with pytest.raises(ServiceError, match="vérification expirée"):
        send(desk, call_id, "pro")
    assert messages(desk) == []


def test_a_voter_without_a_professional_address_cannot_get_it_there(desk: Desk) -> None:
    with desk.deps.writing() as session:
        voter = session.get(Voter, desk.without_notice.voter_id)
        assert voter is not None
        voter.email_pro = None
        session.add(voter)
    call_id = verified_without_notice(desk)
    with pytest.raises(ServiceError, match="Aucune adresse professionnelle"):
        send(desk, call_id, "pro")
    assert send(desk, call_id, "personal", PERSONAL, PERSONAL).delivery == "envoyé"


def test_the_journal_keeps_only_the_masked_recipient(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    send(desk, call_id, "personal", PERSONAL, PERSONAL)
    [entry] = entries(desk.deps, "identifier_send")
    assert (entry["operator"], entry["intervention"], entry["outcome"]) == (
        AGENT.login, call_id, "ok"
    )
    assert entry["details"] == {
        "material": desk.without_notice.material_id,
        "to": "personal",
        "recipient": masking.mask_email(PERSONAL),
    }
    [queued] = entries(desk.deps, "message_queue")
    assert queued["details"]["recipient"] == masking.mask_email(PERSONAL)
    assert queued["details"]["typed_recipient"] is True
    assert PERSONAL not in bodies(desk.deps)
    assert "ines.perso" not in bodies(desk.deps)


def test_then_a_password_shows_on_the_voters_screen_by_a_link(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    send(desk, call_id, "pro")
    send_password_link(desk.deps, AGENT, call_id, desk.without_notice.material_id)
    [token] = re.findall(r"jeton=([A-Za-z0-9_-]+)", mails(desk)[-1].get_content())
    password = redeem_link(desk.deps, token, answers=desk.without_notice.without_notice_answers())
    assert (password.kind, password.material_identifier) == (
        "password", desk.without_notice.identifier
    )
    teacher = desk.without_notice
    assert check_login(
        desk.deps, teacher.election, teacher.identifier, teacher.birth_date,
        password=password.value,
    )
    actions = [e["action"] for e in entries(desk.deps, intervention=call_id)]
    assert actions.index("identifier_send") < actions.index("vote_code_link_send")
    assert actions.index("vote_code_link_send") < actions.index("credential_issue")


# --------------------------------------------------------------- known faults


def test_a_personal_address_whose_domain_looks_like_a_typo_waits_for_confirmation(
    desk: Desk,
) -> None:
    # Confirmed for good (address_final): a « gmial.com » could never be corrected.
    call_id = verified_without_notice(desk)
    typed = "ines.perso@gmial.com"
    with pytest.raises(DoubtfulDomain, match=r"« gmial\.com » .* pour « gmail\.com »"):
        send(desk, call_id, "personal", typed, typed)
    assert desk.outbox.sent == []
    send_identifier(desk.deps, AGENT, call_id, desk.without_notice.material_id, to="personal",
                    address=typed, confirm=typed, domain_confirmed=True)  # fmt: skip
    assert [str(mail["To"]) for mail in mails(desk)] == [typed]
    [sent] = entries(desk.deps, "identifier_send")
    assert sent["details"]["domain_doubted"] is True  # the agent's confirmation, journalled


def test_the_same_accented_address_typed_twice_in_decomposed_form_is_accepted(
    desk: Desk,
) -> None:
    # Accents after the @ only: before it they are refused (SMTPUTF8, issue L5).
    typed = unicodedata.normalize("NFD", "ines.perso@exémple.fr")
    sent = send(desk, verified_without_notice(desk), "personal", typed, typed)
    assert sent.delivery == "envoyé"


def test_sharp_s_and_double_s_are_two_different_typings(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    with pytest.raises(InvalidValue, match="les deux saisies diffèrent"):
        send(desk, call_id, "personal", "ines@straße.de", "ines@strasse.de")
