"""What voters read: the number each message names (issues M5, L8), SMS kept to GSM-7 and
short with one number (M3, L6), the notice of a requested link (L1), the notice of a key
by post (L2), and a typed personal address kept to ASCII before the @ (L5)."""

import dataclasses
import json
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session

from csu.domain.errors import InvalidValue
from csu.domain.messages import MAX_SMS_SEGMENTS, SMS_SAMPLES, render
from csu.domain.notice_wording import LETTER as LETTER_NOTICE
from csu.domain.sms import is_gsm7, measure
from csu.services.context import Deps
from csu.services.elections import get_definition, store_definition
from csu.services.identifier_delivery import send_identifier
from csu.services.notices import notify_link_requested
from csu.services.one_time_codes import send_one_time_code
from csu.services.outbox import deliver
from csu.services.support import with_support
from csu.services.verification import verify_identity
from csu.services.vote_codes import redeem_link, send_vote_code_link
from csu.store.tables import OutboundMessage, Voter
from tests.conftest import ADMIN, AGENT, NOW
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    MEN_2011_OPEN,
    Caller,
    Desk,
    call_with_key,
    desk_fixture,
    open_call,
)
from tests.services.test_letters import sent_key

CELL_PHONE = "01 40 00 00 01"  # a csu_phone the shipped men files do not have
TYPED_MOBILE = "06 12 34 56 78"
PERSONAL = "ines.perso@exemple.fr"
INTERIOR_CSU = "01 80 15 43 21"
INTERIOR_PLATFORM = ("0 800 808 900", "05 56 42 72 47")


def text_of(path: Path) -> str:
    """What the voter reads: an SMS's text or an e-mail's decoded body."""
    if path.suffix == ".json":
        return str(json.loads(path.read_text(encoding="utf-8"))["text"])
    return str(email_of(path).get_content())


def email_of(path: Path) -> EmailMessage:
    mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(mail, EmailMessage)
    return mail


def with_cell_phone(deps: Deps, election: str) -> None:
    """The election as stored, with a number of the cell's own (``csu_phone``)."""
    with deps.reading() as session:
        definition = get_definition(session, election)
    changed = dataclasses.replace(definition, csu_phone=CELL_PHONE)
    store_definition(deps, ADMIN, changed, "variante de test")


def verified_teacher(desk: Desk) -> str:
    """An intervention on the men-2022 teacher, verified by challenge answer + NUMEN."""
    call = open_call(desk, desk.teacher)
    result = verify_identity(desk.deps, AGENT, call.id, desk.teacher.education_answers())
    assert result.verified, result.message
    return call.id


def verified_without_notice(desk: Desk) -> str:
    """An intervention on the men-2011 voter, verified by NUMEN + département of birth."""
    desk.clock.now = MEN_2011_OPEN
    call = open_call(desk, desk.without_notice)
    answers = desk.without_notice.without_notice_answers()
    assert verify_identity(desk.deps, AGENT, call.id, answers).verified
    return call.id


def voter_of(session: Session, caller: Caller) -> Voter:
    voter = session.get(Voter, caller.voter_id)
    assert voter is not None
    return voter


def notices(desk: Desk) -> list[EmailMessage]:
    """The notices sent by e-mail, oldest first."""
    with desk.deps.reading() as session:
        rows = session.execute(
            select(OutboundMessage.subject).where(OutboundMessage.purpose == "notice")
        ).scalars().all()
    mails = [email_of(path) for path in desk.outbox.sent if path.suffix == ".eml"]
    found = [mail for mail in mails if str(mail["Subject"]) in rows]
    assert len(found) == len(rows), rows
    return found


# ------------------------------------------------------------ whom the voter calls


def test_the_link_names_the_cells_own_number_when_the_election_has_one(desk: Desk) -> None:
    with_cell_phone(desk.deps, desk.teacher.election)
    call_id = verified_teacher(desk)
    send_vote_code_link(
        desk.deps, AGENT, call_id, desk.teacher.material_id, "email", PERSONAL,
        confirm=PERSONAL,
    )
    [link] = [text_of(p) for p in desk.outbox.sent if "jeton=" in text_of(p)]
    assert f"Si vous n'avez rien demandé, appelez le {CELL_PHONE}." in link


def test_the_identifier_names_the_cells_own_number_when_the_election_has_one(
    desk: Desk,
) -> None:
    call_id = verified_without_notice(desk)
    with_cell_phone(desk.deps, desk.without_notice.election)
    send_identifier(desk.deps, AGENT, call_id, desk.without_notice.material_id, to="pro")
    text = text_of(desk.outbox.sent[0])
    assert f"Si vous n'avez rien demandé, appelez le {CELL_PHONE}." in text


def test_an_interior_notice_names_the_csu_not_the_platforms_helpline(desk: Desk) -> None:
    call_with_key(desk)
    [notice] = notices(desk)
    text = str(notice.get_content())
    assert f"appelez sans tarder le {INTERIOR_CSU}." in text
    for number in INTERIOR_PLATFORM:
        assert f"appelez sans tarder le {number}" not in text
        assert number in text  # the e-mail's footer still lists every number


# ------------------------------------------------------------------ SMS text


def otp_body(desk: Desk, election: str) -> str:
    with desk.deps.reading() as session:
        definition = get_definition(session, election)
    return render(
        definition.messages, "otp", sender=definition.sender_name, code="123456",
        validity="2 minutes",
    )[1]  # fmt: skip


def test_an_interior_code_by_sms_is_gsm7_short_and_names_the_csu_once(desk: Desk) -> None:
    body = otp_body(desk, desk.caller.election)
    with desk.deps.reading() as session:
        text = with_support(
            session, voter_of(session, desk.caller), desk.caller.election, body, "sms"
        )
    assert is_gsm7(text)
    assert measure(text).segments <= MAX_SMS_SEGMENTS
    assert text.endswith(f"\nCSU électeurs : {INTERIOR_CSU}")
    assert text.count(INTERIOR_CSU) == 1
    assert not any(number in text for number in INTERIOR_PLATFORM)
    assert "tous les jours" not in text


def test_an_sms_that_gives_the_number_does_not_repeat_it_in_a_footer(desk: Desk) -> None:
    with desk.deps.reading() as session:
        definition = get_definition(session, desk.teacher.election)
        _, body = render(
            definition.messages, "vote_code_link", sender=definition.sender_name,
            link="https://vote.exemple.fr/reassort?jeton=abc", validity="30 minutes",
            support_phone=definition.support_phone,
        )  # fmt: skip
        text = with_support(
            session, voter_of(session, desk.teacher), definition.id, body, "sms"
        )
    assert text.count("01 99 00 12 34") == 1
    assert "Assistance" not in text
    assert is_gsm7(text)


def test_an_email_still_ends_with_every_number_and_its_hours(desk: Desk) -> None:
    body = otp_body(desk, desk.caller.election)
    with desk.deps.reading() as session:
        text = with_support(
            session, voter_of(session, desk.caller), desk.caller.election, body, "email"
        )
    assert "N° vert" in text and "tous les jours" in text
    for number in (INTERIOR_CSU, *INTERIOR_PLATFORM):
        assert number in text


def test_an_email_of_an_election_listing_no_number_gives_its_number_and_the_cells_hours(
    desk: Desk,
) -> None:
    # men-2022 lists no [[support_numbers]]: its support_phone, with the hours the cell
    # answers (its [[support.windows]]), and whose line it is.
    with desk.deps.reading() as session:
        text = with_support(
            session, voter_of(session, desk.teacher), desk.teacher.election, "Corps.", "email"
        )
    assert text.endswith(
        "- Assistance aux électeurs : 01 99 00 12 34 (pendant le vote : tous les jours, "
        "09:00–18:00)"
    )


def test_a_code_sent_by_sms_is_gsm7_in_three_segments_at_most(desk: Desk) -> None:
    send_one_time_code(desk.deps, AGENT, open_call(desk, desk.caller).id, "otp_mobile")
    text = desk.outbox.last_sms()["text"]
    assert is_gsm7(text)
    assert measure(text).segments <= MAX_SMS_SEGMENTS
    assert text.endswith(f"\nCSU électeurs : {INTERIOR_CSU}")


def test_a_link_sent_by_sms_gives_its_number_once(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    send_vote_code_link(desk.deps, AGENT, call_id, desk.teacher.material_id, "sms",
                        TYPED_MOBILE)  # fmt: skip
    [sms] = [p for p in desk.outbox.sent if p.suffix == ".json"]
    text = text_of(sms)
    assert is_gsm7(text) and measure(text).segments <= MAX_SMS_SEGMENTS
    assert text.count("01 99 00 12 34") == 1


# ---------------------------------------------------------------------- notices


def test_a_requested_link_is_told_as_requested_not_as_a_change(desk: Desk) -> None:
    with desk.deps.writing() as session:
        voter = voter_of(session, desk.teacher)
        notice = notify_link_requested(
            session, desk.deps, AGENT, voter, get_definition(session, desk.teacher.election),
            kind="vote_code", recipient_masked="+33 6 ** ** ** 78", avoid="+33612345678",
            intervention_id=None, now=NOW,
        )  # fmt: skip
        assert notice is not None and notice.purpose == "notice"
        notice_id = notice.id or 0
    deliver(desk.deps, [notice_id])
    [mail] = notices(desk)
    text = str(mail.get_content())
    assert str(mail["Subject"]) == "Demande de lien à usage unique"
    assert (
        "un lien de réassort de votre code de vote a été demandé ; il vous est envoyé à "
        "+33 6 ** ** ** 78. Rien ne change tant que ce lien n'est pas ouvert." in text
    )
    assert "a été envoyé" not in text


def test_sending_a_link_gives_no_notice_of_a_change(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    send_vote_code_link(
        desk.deps, AGENT, call_id, desk.teacher.material_id, "email", PERSONAL,
        confirm=PERSONAL,
    )
    subjects = [str(mail["Subject"]) for mail in notices(desk)]
    assert "Modification de vos identifiants de vote" not in subjects
    token = text_of(desk.outbox.sent[0]).split("jeton=")[1].split()[0]
    redeem_link(desk.deps, token)
    subjects = [str(mail["Subject"]) for mail in notices(desk)]
    assert subjects.count("Modification de vos identifiants de vote") == 1


def test_a_key_by_post_is_told_as_coming_and_the_old_key_as_dead(desk: Desk) -> None:
    sent_key(desk)
    [notice] = notices(desk)
    text = str(notice.get_content())
    assert "vous sera envoyée par courrier à votre domicile" in text
    assert "votre clé précédente ne fonctionne plus" in text
    assert "vous a été délivrée" not in text


def test_the_load_time_sample_notice_is_the_key_by_post_notice() -> None:
    assert SMS_SAMPLES["what"] == LETTER_NOTICE.format(identifier="MI12161814")


# -------------------------------------------------------------- typed addresses


def test_a_personal_address_with_an_accent_before_the_at_is_refused(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    typed = "laurence.ménard@exemple.fr"
    with pytest.raises(InvalidValue, match="avant le @"):
        send_identifier(desk.deps, AGENT, call_id, desk.without_notice.material_id,
                        to="personal", address=typed, confirm=typed)  # fmt: skip
    assert desk.outbox.sent == []
