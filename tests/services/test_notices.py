"""Notices of changes: after a vote-code link or its redemption, the voter is told on a
channel of record other than the one the change used; none when there is no such channel."""

import json
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy import select

from csu.domain import masking
from csu.domain.identifiers import parse_mobile
from csu.services.elections import get_definition
from csu.services.notices import USED_PRO_EMAIL, USED_SMS, notify_change
from csu.services.verification import verify_identity
from csu.services.vote_codes import redeem_link, send_vote_code_link
from csu.store.tables import OutboundMessage, Voter
from tests.conftest import AGENT, NOW
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    entries,
    open_call,
)

PERSONAL = "ines.perso@exemple.fr"


def verified_teacher(desk: Desk) -> str:
    call = open_call(desk, desk.teacher)
    assert verify_identity(desk.deps, AGENT, call.id, desk.teacher.education_answers()).verified
    return call.id


def email_link(desk: Desk, call_id: str) -> None:
    send_vote_code_link(
        desk.deps, AGENT, call_id, desk.teacher.material_id, "email", PERSONAL,
        confirm=PERSONAL,
    )


def forget_contacts(desk: Desk, *, email_pro: bool = False, mobile: bool = False) -> None:
    """The roll loses the teacher's professional address and/or mobile."""
    with desk.deps.writing() as session:
        voter = session.get(Voter, desk.teacher.voter_id)
        assert voter is not None
        if email_pro:
            voter.email_pro = None
        if mobile:
            voter.phone_mobile = None
        session.add(voter)


def notices(desk: Desk) -> list[OutboundMessage]:
    with desk.deps.reading() as session:
        return list(
            session.execute(
                select(OutboundMessage)
                .where(OutboundMessage.purpose == "notice")
                .order_by(OutboundMessage.id)  # type: ignore[arg-type]
            ).scalars()
        )


def read(path: Path) -> tuple[str, str]:
    """(recipient, text) of an outbox file, SMS or e-mail."""
    if path.suffix == ".json":
        sms = json.loads(path.read_text(encoding="utf-8"))
        return sms["to"], sms["text"]
    mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(mail, EmailMessage)
    return str(mail["To"]), str(mail.get_content())


def test_after_an_email_link_the_notice_goes_to_the_professional_address(desk: Desk) -> None:
    email_link(desk, verified_teacher(desk))
    link, notice = (read(path) for path in desk.outbox.sent)
    assert link[0] == PERSONAL and "jeton=" in link[1]
    assert notice[0] == desk.teacher.row["email_pro"]
    assert "jeton=" not in notice[1]
    [row] = notices(desk)
    assert (row.channel, row.state, row.typed_recipient) == ("email", "sent", False)
    assert row.recipient_masked == masking.mask_email(desk.teacher.row["email_pro"])


def test_a_notice_says_what_was_done_when_and_whom_to_call(desk: Desk) -> None:
    email_link(desk, verified_teacher(desk))
    _, text = read(desk.outbox.sent[-1])
    assert "le 02/12/2022 à 11:30" in text  # NOW in Paris
    what = "un lien de réassort de votre code de vote a été demandé ; il vous est envoyé à "
    assert what + masking.mask_email(PERSONAL) in text
    assert "appelez sans tarder le 01 99 00 12 34" in text
    assert PERSONAL not in text


def test_a_notice_is_journalled_with_its_masked_recipient(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    email_link(desk, call_id)
    queued = [e for e in entries(desk.deps, "message_queue") if e["details"]["purpose"] == "notice"]
    [entry] = queued
    assert (entry["operator"], entry["intervention"]) == (AGENT.login, call_id)
    assert entry["details"]["recipient"] == masking.mask_email(desk.teacher.row["email_pro"])
    assert entry["details"]["typed_recipient"] is False


def test_a_voter_with_only_a_mobile_is_noticed_by_sms_after_an_email_link(desk: Desk) -> None:
    forget_contacts(desk, email_pro=True)
    email_link(desk, verified_teacher(desk))
    mobile = parse_mobile(desk.teacher.row["telephone_mobile"]).e164
    recipient, text = read(desk.outbox.sent[-1])
    assert desk.outbox.sent[-1].suffix == ".json" and recipient == mobile
    assert "réassort de votre code de vote" in text
    [row] = notices(desk)
    assert (row.channel, row.recipient_masked) == ("sms", masking.mask_phone(mobile))


def test_a_voter_with_only_a_mobile_is_noticed_by_sms_after_redeeming(desk: Desk) -> None:
    forget_contacts(desk, email_pro=True)
    email_link(desk, verified_teacher(desk))
    _, text = read(desk.outbox.sent[0])
    token = text.split("jeton=")[1].split()[0]
    redeem_link(desk.deps, token)
    assert [row.channel for row in notices(desk)] == ["sms", "sms"]
    assert "nouveau code de vote" in read(desk.outbox.sent[-1])[1]


def test_a_voter_with_neither_professional_address_nor_mobile_gets_no_notice(
    desk: Desk,
) -> None:
    forget_contacts(desk, email_pro=True, mobile=True)
    email_link(desk, verified_teacher(desk))
    assert notices(desk) == []
    [link] = desk.outbox.sent  # the link, and nothing else
    assert read(link)[0] == PERSONAL


def test_notify_change_returns_none_for_a_voter_without_contacts(desk: Desk) -> None:
    with desk.deps.writing() as session:
        voter = session.get(Voter, desk.unreachable.voter_id)
        assert voter is not None and not voter.email_pro and not voter.phone_mobile
        definition = get_definition(session, desk.unreachable.election)
        for used in (None, USED_SMS, USED_PRO_EMAIL):
            notice = notify_change(
                session, desk.deps, AGENT, voter, definition, what="essai", used=used,
                intervention_id=None, now=NOW,
            )
            assert notice is None, used
    assert notices(desk) == [] and entries(desk.deps, "message_queue") == []


def test_a_notice_avoids_the_channel_the_change_used(desk: Desk) -> None:
    with desk.deps.writing() as session:
        voter = session.get(Voter, desk.teacher.voter_id)
        assert voter is not None
        definition = get_definition(session, desk.teacher.election)
        channels = [
            notify_change(
                session, desk.deps, AGENT, voter, definition, what="essai", used=used,
                intervention_id=None, now=NOW,
            )
            for used in (USED_PRO_EMAIL, USED_SMS)
        ]
        assert [row.channel if row else None for row in channels] == ["sms", "email"]
