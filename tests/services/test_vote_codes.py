"""S6, vote-code reissue by one-time link: sent by SMS to a typed mobile or by e-mail to a
typed personal address, the token kept only as a keyed hash, voided by a newer link,
redeemed once into a vote code that the platform accepts; notices on another channel."""

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from csu.domain import masking, sealing
from csu.domain.clock import to_paris
from csu.domain.errors import InvalidValue
from csu.domain.hashing import keyed_hash
from csu.domain.mail_domains import DoubtfulDomain
from csu.services.context import Forbidden, ServiceError
from csu.services.credentials import IssuedCredential, issue_credential
from csu.services.outbox import PER_HOUR, SEAL_PURPOSE
from csu.services.platform import check_login
from csu.services.verification import verify_identity
from csu.services.vote_codes import (
    INVALID_LINK,
    TOKEN_PURPOSE,
    LinkSent,
    redeem_link,
    send_vote_code_link,
)
from csu.store.tables import Credential, LinkToken, Material, OutboundMessage, Voter
from tests.conftest import AGENT, NOW, TEST_KEY
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    PRESIDENT_NORD,
    Desk,
    bodies,
    desk_fixture,
    entries,
    open_call,
)

TYPED_MOBILE = "06 12 34 56 78"
TYPED_E164 = "+33612345678"
LANDLINE = "01 40 00 00 00"
PERSONAL = "ines.perso@exemple.fr"
LINK_PREFIX = "https://vote.education-elections2022.exemple.fr/reassort?jeton="
TOKEN = re.compile(r"jeton=([A-Za-z0-9_-]+)")
CLOSES_AT = datetime(2022, 12, 8, 16, 0, tzinfo=UTC)  # 17:00 in Paris
LINK_VALIDITY = timedelta(minutes=30)  # men-2022 link_validity_minutes


# ------------------------------------------------------------------------ helpers


def verified_teacher(desk: Desk) -> str:
    """An intervention on the men-2022 teacher, verified by challenge answer + NUMEN."""
    call = open_call(desk, desk.teacher)
    result = verify_identity(desk.deps, AGENT, call.id, desk.teacher.education_answers())
    assert result.verified, result.message
    return call.id


def send_sms(desk: Desk, call_id: str, mobile: str = TYPED_MOBILE) -> LinkSent:
    return send_vote_code_link(
        desk.deps, AGENT, call_id, desk.teacher.material_id, "sms", mobile
    )


def send_email(desk: Desk, call_id: str, address: str = PERSONAL) -> LinkSent:
    return send_vote_code_link(
        desk.deps, AGENT, call_id, desk.teacher.material_id, "email", address, confirm=address
    )


def text_of(path: Path) -> str:
    """What the voter reads: an SMS's text or an e-mail's decoded body."""
    if path.suffix == ".json":
        return str(json.loads(path.read_text(encoding="utf-8"))["text"])
    mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(mail, EmailMessage)
    return str(mail.get_content())


def link_texts(desk: Desk) -> list[str]:
    """The texts of the messages that carry a link, oldest first."""
    return [text for text in map(text_of, desk.outbox.sent) if "jeton=" in text]


def last_token(desk: Desk) -> str:
    found = TOKEN.findall(link_texts(desk)[-1])
    assert len(found) == 1, found
    return found[0]


def sent_sms(desk: Desk) -> list[dict[str, Any]]:
    return [
        json.loads(path.read_text(encoding="utf-8"))
        for path in desk.outbox.sent
        if path.suffix == ".json"
    ]


def sent_mail_recipients(desk: Desk) -> list[str]:
    return [
        str(BytesParser(policy=policy.default).parsebytes(path.read_bytes())["To"])
        for path in desk.outbox.sent
        if path.suffix == ".eml"
    ]


def vote_code_works(desk: Desk, typed: str) -> bool:
    teacher = desk.teacher
    return check_login(
        desk.deps, teacher.election, teacher.identifier, teacher.birth_date, vote_code=typed
    )


def messages(desk: Desk, purpose: str | None = None) -> list[OutboundMessage]:
    with desk.deps.reading() as session:
        query = select(OutboundMessage).order_by(OutboundMessage.id)  # type: ignore[arg-type]
        if purpose is not None:
            query = query.where(OutboundMessage.purpose == purpose)
        return list(session.execute(query).scalars())


def links(desk: Desk) -> list[LinkToken]:
    with desk.deps.reading() as session:
        return list(session.execute(select(LinkToken).order_by(LinkToken.id)).scalars())  # type: ignore[arg-type]


def stored_text(desk: Desk) -> str:
    """Every value of every row of every table, as one text."""
    parts: list[str] = []
    with desk.deps.reading() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in session.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        parts.append(bytes(value).decode("utf-8", "replace"))
                    else:
                        parts.append(str(value))
    return "\n".join(parts)


def vote_now(desk: Desk) -> None:
    """The platform records the teacher's vote."""
    with desk.deps.writing() as session:
        material = session.get(Material, desk.teacher.material_id)
        assert material is not None
        material.voted_at = desk.clock()
        session.add(material)


def redeemed(desk: Desk, token: str) -> IssuedCredential:
    return redeem_link(desk.deps, token)


# ------------------------------------------------------------------------ sending


def test_a_verified_caller_gets_a_link_by_sms_to_the_typed_mobile(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    sent = send_sms(desk, call_id)
    assert sent == LinkSent(
        channel="sms",
        recipient=masking.mask_phone(TYPED_E164),
        expires_at=to_paris(NOW + LINK_VALIDITY),
        delivery="envoyé",
    )
    [sms] = sent_sms(desk)
    assert sms["to"] == TYPED_E164
    assert LINK_PREFIX in sms["text"] and "valable 30 minutes" in sms["text"]


def test_the_link_carries_a_url_safe_token_of_at_least_128_bits(desk: Desk) -> None:
    send_sms(desk, verified_teacher(desk))
    token = last_token(desk)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", token), token
    assert f"{LINK_PREFIX}{token}" in link_texts(desk)[-1]


def test_only_the_keyed_hash_of_the_token_is_stored(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    send_sms(desk, call_id)
    token = last_token(desk)
    [link] = links(desk)
    assert link.token_hash == keyed_hash(TEST_KEY, TOKEN_PURPOSE, token)
    assert (link.material_id, link.intervention_id, link.created_by) == (
        desk.teacher.material_id, call_id, AGENT.login
    )
    assert token not in stored_text(desk)
    assert token not in bodies(desk.deps)


def test_the_typed_mobile_is_erased_once_the_sms_is_delivered(desk: Desk) -> None:
    send_sms(desk, verified_teacher(desk))
    [row] = messages(desk, "vote_code_link")
    assert (row.state, row.typed_recipient) == ("sent", True)
    assert row.recipient_sealed is None and row.body_sealed is None
    assert row.recipient_masked == masking.mask_phone(TYPED_E164)
    everything = stored_text(desk) + bodies(desk.deps)
    for clear in (TYPED_E164, TYPED_MOBILE, "612345678", "0612345678"):
        assert clear not in everything


def test_an_undelivered_link_keeps_the_mobile_sealed_never_in_clear(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    offline = dataclasses.replace(desk.deps, delivery=None)
    sent = send_vote_code_link(
        offline, AGENT, call_id, desk.teacher.material_id, "sms", TYPED_MOBILE
    )
    assert sent.delivery == "en attente"
    [row] = messages(desk, "vote_code_link")
    assert row.recipient_sealed is not None
    assert sealing.unseal(TEST_KEY, SEAL_PURPOSE, row.recipient_sealed) == TYPED_E164
    assert row.recipient_masked == masking.mask_phone(TYPED_E164)
    assert "612345678" not in stored_text(desk) + bodies(desk.deps)


def test_the_journal_keeps_the_link_with_a_masked_mobile(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    send_sms(desk, call_id)
    [sent] = entries(desk.deps, "vote_code_link_send")
    assert (sent["operator"], sent["intervention"], sent["election"]) == (
        AGENT.login, call_id, "men-2022"
    )
    [link] = links(desk)
    assert sent["details"] == {
        "material": desk.teacher.material_id,
        "link": link.id,
        "channel": "sms",
        "recipient": masking.mask_phone(TYPED_E164),
        "expires_at": (NOW + LINK_VALIDITY).isoformat(),
    }
    queued = entries(desk.deps, "message_queue")
    assert {e["details"]["purpose"] for e in queued} == {"vote_code_link", "notice"}


def test_a_landline_number_is_refused(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    with pytest.raises(InvalidValue, match="pas un numéro de mobile") as refused:
        send_sms(desk, call_id, LANDLINE)
    assert refused.value.field == "Téléphone"
    assert links(desk) == [] and messages(desk) == [] and desk.outbox.sent == []


def test_an_email_link_goes_to_the_typed_personal_address(desk: Desk) -> None:
    sent = send_email(desk, verified_teacher(desk))
    assert (sent.channel, sent.recipient) == ("email", masking.mask_email(PERSONAL))
    mail = desk.outbox.sent[0]
    assert mail.suffix == ".eml"
    assert sent_mail_recipients(desk)[0] == PERSONAL
    assert LINK_PREFIX in link_texts(desk)[0]
    assert PERSONAL not in stored_text(desk) + bodies(desk.deps)


def test_the_professional_address_in_any_case_is_refused_as_a_personal_one(desk: Desk) -> None:
    assert desk.teacher.row["email_pro"] == "ines.germain@ac-lille.fr"
    call_id = verified_teacher(desk)
    with pytest.raises(ServiceError, match="adresse professionnelle enregistrée") as refused:
        send_email(desk, call_id, " Ines.Germain@AC-LILLE.FR ")
    assert "adresse personnelle, différente" in str(refused.value)
    assert links(desk) == [] and messages(desk) == []


def test_the_professional_phone_on_record_is_refused_as_a_personal_mobile(desk: Desk) -> None:
    with desk.deps.writing() as session:  # a teacher whose work phone is a mobile
        voter = session.get(Voter, desk.teacher.voter_id)
        assert voter is not None
        voter.phone_pro = "+33612345678"
        session.add(voter)
    call_id = verified_teacher(desk)
    with pytest.raises(ServiceError, match="téléphone professionnel enregistré"):
        send_sms(desk, call_id, "06 12 34 56 78")
    assert links(desk) == [] and messages(desk) == []


def test_another_academys_address_is_refused_as_a_personal_one(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    with pytest.raises(ServiceError, match=r"ac-creteil\.fr : l'élection compte « ac-\*\.fr »"):
        send_email(desk, call_id, "ines.germain@ac-creteil.fr")
    assert links(desk) == [] and messages(desk) == []


def test_a_malformed_personal_address_is_refused_naming_the_field(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    with pytest.raises(InvalidValue) as refused:
        send_email(desk, call_id, "ines.perso@@exemple")
    assert refused.value.field == "Courriel"
    assert links(desk) == []


def test_an_address_for_the_link_typed_once_is_refused_and_nothing_goes(desk: Desk) -> None:
    # Shown masked once sent, it could not be read back: a typo sent the code elsewhere.
    call_id = verified_teacher(desk)
    with pytest.raises(InvalidValue) as refused:
        send_vote_code_link(desk.deps, AGENT, call_id, desk.teacher.material_id, "email",
                            PERSONAL)  # fmt: skip
    assert str(refused.value) == (
        "Adresse personnelle : retapez-la dans le champ de confirmation"
    )
    assert links(desk) == [] and messages(desk) == [] and desk.outbox.sent == []


def test_the_professional_address_is_refused_before_it_is_asked_again(desk: Desk) -> None:
    # Not retyped for nothing: the refusal that matters comes first.
    call_id = verified_teacher(desk)
    with pytest.raises(ServiceError, match="adresse professionnelle enregistrée"):
        send_vote_code_link(desk.deps, AGENT, call_id, desk.teacher.material_id, "email",
                            desk.teacher.row["email_pro"])  # fmt: skip


def test_an_address_for_the_link_typed_twice_differently_is_refused(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    with pytest.raises(InvalidValue, match="les deux saisies diffèrent"):
        send_vote_code_link(desk.deps, AGENT, call_id, desk.teacher.material_id, "email",
                            "thomas.peron@gmail.com", confirm="thomas.peron@gmial.com")  # fmt: skip
    assert links(desk) == [] and messages(desk) == []


def test_the_same_address_retyped_in_another_case_is_one_address(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    sent = send_vote_code_link(desk.deps, AGENT, call_id, desk.teacher.material_id, "email",
                               PERSONAL, confirm=f" {PERSONAL.upper()} ")  # fmt: skip
    assert sent.recipient == masking.mask_email(PERSONAL)
    assert sent_mail_recipients(desk)[0] == PERSONAL


def test_a_link_to_a_domain_that_looks_like_a_typo_waits_for_the_agents_confirmation(
    desk: Desk,
) -> None:
    call_id = verified_teacher(desk)
    typed = "thomas.peron@gmail.con"
    with pytest.raises(DoubtfulDomain, match=r"« gmail\.con » ressemble à une faute de frappe"):
        send_email(desk, call_id, typed)
    assert links(desk) == [] and messages(desk) == []
    send_vote_code_link(desk.deps, AGENT, call_id, desk.teacher.material_id, "email", typed,
                        confirm=typed, domain_confirmed=True)  # fmt: skip
    assert sent_mail_recipients(desk)[0] == typed
    [sent] = entries(desk.deps, "vote_code_link_send")
    assert sent["details"]["domain_doubted"] is True  # the agent's confirmation, journalled


def test_an_unknown_channel_is_refused(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    with pytest.raises(InvalidValue, match="Canal"):
        send_vote_code_link(desk.deps, AGENT, call_id, desk.teacher.material_id, "fax", "x")
    assert links(desk) == []


def test_without_verification_no_link_is_sent(desk: Desk) -> None:
    call = open_call(desk, desk.teacher)
    with pytest.raises(ServiceError, match="Identité non vérifiée"):
        send_sms(desk, call.id)
    assert links(desk) == [] and messages(desk) == [] and desk.outbox.sent == []


def test_ten_minutes_after_the_verification_no_link_is_sent(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    desk.clock.advance(minutes=10)
    with pytest.raises(ServiceError, match="vérification expirée"):
        send_sms(desk, call_id)
    assert links(desk) == []


def test_a_president_does_not_send_links(desk: Desk) -> None:
    with pytest.raises(Forbidden):
        send_vote_code_link(
            desk.deps, PRESIDENT_NORD, "any", desk.teacher.material_id, "sms", TYPED_MOBILE
        )


def test_a_material_of_another_voter_gets_no_link(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    with pytest.raises(ServiceError, match="n'appartient pas"):
        send_vote_code_link(
            desk.deps, AGENT, call_id, desk.caller.material_id, "sms", TYPED_MOBILE
        )


def test_no_link_is_sent_once_the_voter_has_voted(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    vote_now(desk)
    with pytest.raises(ServiceError, match="déjà voté"):
        send_sms(desk, call_id)
    assert links(desk) == [] and messages(desk) == []


def test_no_link_is_sent_once_the_election_is_closed(desk: Desk) -> None:
    desk.clock.now = CLOSES_AT - timedelta(minutes=5)
    call_id = verified_teacher(desk)
    desk.clock.now = CLOSES_AT
    with pytest.raises(ServiceError, match="men-2022 est clos"):
        send_sms(desk, call_id)
    assert links(desk) == []


# ---------------------------------------------------------------------- redeeming


def test_redeeming_issues_a_vote_code_the_platform_accepts(desk: Desk) -> None:
    send_sms(desk, verified_teacher(desk))
    code = redeemed(desk, last_token(desk))
    assert (code.kind, code.material_identifier) == ("vote_code", desk.teacher.identifier)
    assert vote_code_works(desk, code.value)
    assert vote_code_works(desk, code.display.lower())
    assert not vote_code_works(desk, code.value[::-1])


def test_the_new_vote_code_shows_for_120_seconds(desk: Desk) -> None:
    send_sms(desk, verified_teacher(desk))
    code = redeemed(desk, last_token(desk))
    assert code.display_seconds == 120
    assert code.display == "-".join(code.value[i : i + 4] for i in range(0, 12, 4))


def test_redeeming_revokes_the_vote_code_issued_before(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    send_email(desk, call_id)  # an agent never generates a vote code: a first link does
    old = redeemed(desk, last_token(desk))
    assert vote_code_works(desk, old.value)
    send_sms(desk, call_id)
    new = redeemed(desk, last_token(desk))
    assert vote_code_works(desk, new.value)
    assert not vote_code_works(desk, old.value)
    with desk.deps.reading() as session:
        revoked = session.get(Credential, old.credential_id)
        assert revoked is not None
        assert (revoked.status, revoked.revoked_by, revoked.revoke_reason) == (
            "revoked", "plateforme", "réassort par lien"
        )


def test_a_second_link_redeemed_revokes_the_code_of_the_first(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    send_sms(desk, call_id)
    first = redeemed(desk, last_token(desk))
    send_email(desk, call_id)
    second = redeemed(desk, last_token(desk))
    assert vote_code_works(desk, second.value)
    assert not vote_code_works(desk, first.value)


def test_redeeming_is_journalled_by_the_platform_without_the_code(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    send_email(desk, call_id)
    old = redeemed(desk, last_token(desk))
    send_sms(desk, call_id)
    token = last_token(desk)
    code = redeemed(desk, token)
    entry = entries(desk.deps, "vote_code_redeem")[-1]
    assert (entry["operator"], entry["intervention"], entry["outcome"]) == (
        "plateforme", call_id, "ok"
    )
    assert entry["details"] == {
        "material": desk.teacher.material_id,
        "link": links(desk)[-1].id,
        "credential": code.credential_id,
        "revoked": old.credential_id,
    }
    journal_text = bodies(desk.deps)
    for clear in (code.value, code.display, token):
        assert clear not in journal_text


def test_a_token_works_once(desk: Desk) -> None:
    send_sms(desk, verified_teacher(desk))
    token = last_token(desk)
    code = redeemed(desk, token)
    with pytest.raises(ServiceError, match="Lien invalide"):
        redeemed(desk, token)
    assert vote_code_works(desk, code.value)
    assert links(desk)[0].used_at == NOW


def test_a_new_link_voids_the_previous_one(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    send_sms(desk, call_id)
    old_token = last_token(desk)
    desk.clock.advance(minutes=1)
    send_sms(desk, call_id)
    new_token = last_token(desk)
    assert old_token != new_token
    with pytest.raises(ServiceError) as refused:
        redeemed(desk, old_token)
    assert str(refused.value) == INVALID_LINK
    assert str(refused.value).startswith("Lien invalide")
    first, second = links(desk)
    assert first.voided_at == NOW + timedelta(minutes=1) and second.voided_at is None
    assert vote_code_works(desk, redeemed(desk, new_token).value)


def test_the_journal_names_the_link_a_new_one_voided_and_the_link_redeemed(
    desk: Desk,
) -> None:
    call_id = verified_teacher(desk)
    send_sms(desk, call_id)
    desk.clock.advance(minutes=1)
    send_sms(desk, call_id)
    redeemed(desk, last_token(desk))
    first, second = links(desk)
    sent_first, sent_second = entries(desk.deps, "vote_code_link_send")
    assert sent_first["details"]["link"] == first.id
    assert "voided_links" not in sent_first["details"]
    assert sent_second["details"]["link"] == second.id
    assert sent_second["details"]["voided_links"] == [first.id]
    assert entries(desk.deps, "vote_code_redeem")[-1]["details"]["link"] == second.id


def test_a_refused_link_does_not_void_the_previous_one(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    send_sms(desk, call_id)
    token = last_token(desk)
    with pytest.raises(InvalidValue):
        send_sms(desk, call_id, LANDLINE)
    assert vote_code_works(desk, redeemed(desk, token).value)


def test_an_expired_token_is_refused(desk: Desk) -> None:
    send_sms(desk, verified_teacher(desk))
    token = last_token(desk)
    desk.clock.advance(minutes=30)
    with pytest.raises(ServiceError, match="Lien invalide"):
        redeemed(desk, token)
    assert links(desk)[0].used_at is None


def test_a_token_still_works_just_before_it_expires(desk: Desk) -> None:
    send_sms(desk, verified_teacher(desk))
    token = last_token(desk)
    desk.clock.advance(minutes=29, seconds=59)
    assert vote_code_works(desk, redeemed(desk, token).value)


def test_an_unknown_token_is_refused(desk: Desk) -> None:
    for token in ("", "inconnu", "A" * 32):
        with pytest.raises(ServiceError, match="Lien invalide"):
            redeemed(desk, token)


def test_a_link_is_not_redeemed_once_the_voter_has_voted(desk: Desk) -> None:
    send_sms(desk, verified_teacher(desk))
    token = last_token(desk)
    vote_now(desk)
    with pytest.raises(ServiceError, match="déjà voté"):
        redeemed(desk, token)
    with desk.deps.reading() as session:
        assert session.execute(select(Credential)).first() is None
    assert links(desk)[0].used_at is None


def test_a_link_is_not_redeemed_once_the_election_is_closed(desk: Desk) -> None:
    desk.clock.now = CLOSES_AT - timedelta(minutes=5)
    send_sms(desk, verified_teacher(desk))
    token = last_token(desk)
    desk.clock.now = CLOSES_AT
    with pytest.raises(ServiceError, match="men-2022 est clos"):
        redeemed(desk, token)
    assert entries(desk.deps, "vote_code_redeem") == []


# ------------------------------------------------------------------------ notices


def test_after_an_sms_link_a_notice_goes_to_the_professional_address(desk: Desk) -> None:
    send_sms(desk, verified_teacher(desk))
    assert [sms["to"] for sms in sent_sms(desk)] == [TYPED_E164]  # the link only
    assert sent_mail_recipients(desk) == [desk.teacher.row["email_pro"]]
    [notice] = messages(desk, "notice")
    assert (notice.channel, notice.state, notice.typed_recipient) == ("email", "sent", False)
    notice_text = text_of(desk.outbox.sent[-1])
    assert masking.mask_phone(TYPED_E164) in notice_text and "jeton=" not in notice_text


def test_after_redeeming_a_notice_is_queued_and_sent(desk: Desk) -> None:
    send_sms(desk, verified_teacher(desk))
    redeemed(desk, last_token(desk))
    notices = messages(desk, "notice")
    assert len(notices) == 2
    assert (notices[-1].created_by, notices[-1].state) == ("plateforme", "sent")
    assert sent_mail_recipients(desk) == [desk.teacher.row["email_pro"]] * 2
    assert "nouveau code de vote" in text_of(desk.outbox.sent[-1])


def test_notices_do_not_count_towards_the_hourly_limit(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    for _ in range(PER_HOUR):
        send_sms(desk, call_id)
    assert len(messages(desk, "notice")) == PER_HOUR  # 3 links + 3 notices: 6 messages
    with pytest.raises(ServiceError, match=f"{PER_HOUR} messages déjà envoyés"):
        send_sms(desk, call_id)
    assert len(messages(desk, "vote_code_link")) == PER_HOUR
    redeemed(desk, last_token(desk))  # the platform's notice still goes out
    assert len(messages(desk, "notice")) == PER_HOUR + 1
    assert messages(desk, "notice")[-1].state == "sent"


# --------------------------------------------------------------- known faults


def test_the_2011_set_for_voters_without_notice_verifies_no_2022_caller(
    desk: Desk,
) -> None:
    row = desk.teacher.row
    call = open_call(desk, desk.teacher)
    answers = {"numen": row["numen"], "birth_department": row["nir"][5:7]}
    with pytest.raises(ServiceError, match=r"Réponses? manquantes?"):
        verify_identity(desk.deps, AGENT, call.id, answers)
    with pytest.raises(ServiceError):
        send_sms(desk, call.id)
    assert links(desk) == []


def test_an_agent_cannot_generate_a_vote_code_to_read_aloud(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    with pytest.raises(Forbidden) as refused:
        issue_credential(desk.deps, AGENT, call_id, desk.teacher.material_id, "vote_code")
    assert str(refused.value).startswith(
        "Pour cette élection, le code de vote se réassortit uniquement par lien."
    )
    assert entries(desk.deps, "credential_issue") == []
