"""One-time codes: sent to what the roll holds, valid 120 s, used once, three an hour."""

import dataclasses
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from csu.delivery.folder import FolderDelivery
from csu.domain import masking, sealing
from csu.domain.clock import to_paris
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import parse_mobile
from csu.services.context import Forbidden, ServiceError
from csu.services.elections import load_election
from csu.services.interventions import close_intervention
from csu.services.one_time_codes import send_one_time_code
from csu.services.verification import OTP_PURPOSE, verify_identity
from csu.store.tables import OneTimeCode
from tests.conftest import ADMIN, AGENT, NOW, TEST_KEY
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    ELECTIONS,
    PRESIDENT_NORD,
    Caller,
    Desk,
    bodies,
    desk_fixture,
    entries,
    open_call,
)

SENDER = "CSU électeurs — Élections professionnelles 2022"


def accept_codes_by_email(desk: Desk) -> None:
    """The administrator reloads minint-2022 with one more phone set: date + e-mail code."""
    text = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
    sms_set = '    ["birth_date", "otp_mobile"],\n'
    assert sms_set in text
    text = text.replace(sms_set, sms_set + '    ["birth_date", "otp_email"],\n')
    load_election(desk.deps, ADMIN, text, "minint-2022.toml")


def by_code(caller: Caller, factor: str, code: str) -> dict[str, str]:
    return {"birth_date": caller.row["date_naissance"], factor: code}


def codes(desk: Desk) -> list[OneTimeCode]:
    with desk.deps.reading() as session:
        return list(session.execute(select(OneTimeCode).order_by(OneTimeCode.id)).scalars())


# ------------------------------------------------------------------------- sending


def test_an_sms_code_goes_to_the_registered_mobile(desk: Desk) -> None:
    mobile = parse_mobile(desk.caller.row["telephone_mobile"]).e164
    call = open_call(desk, desk.caller)
    sent = send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    assert (sent.factor, sent.recipient) == ("otp_mobile", masking.mask_phone(mobile))
    assert sent.expires_at == to_paris(NOW + timedelta(seconds=120))
    [path] = desk.outbox.sent
    sms = desk.outbox.last_sms()
    assert (path.suffix, sms["to"], sms["from"]) == (".json", mobile, "ElecMININT")  # sms_sender
    assert "valable 2 minutes" in sms["text"]


def test_an_email_code_goes_to_the_professional_address(desk: Desk) -> None:
    accept_codes_by_email(desk)
    call = open_call(desk, desk.caller)
    sent = send_one_time_code(desk.deps, AGENT, call.id, "otp_email")
    assert sent.recipient == masking.mask_email(desk.caller.row["email_pro"])
    mail = desk.outbox.last_email()
    assert desk.outbox.sent[-1].suffix == ".eml"
    assert mail["To"] == desk.caller.row["email_pro"]
    assert mail["From"].addresses[0].display_name == SENDER
    assert mail["Subject"] == "Votre code de vérification"


def test_a_voter_without_a_mobile_on_record_gets_no_sms(desk: Desk) -> None:
    call = open_call(desk, desk.unreachable)
    with pytest.raises(ServiceError, match="Aucun téléphone portable"):
        send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    assert desk.outbox.sent == [] and codes(desk) == []


def test_a_voter_without_an_address_on_record_gets_no_email(desk: Desk) -> None:
    accept_codes_by_email(desk)
    call = open_call(desk, desk.unreachable)
    with pytest.raises(ServiceError, match="Aucune adresse"):
        send_one_time_code(desk.deps, AGENT, call.id, "otp_email")
    assert desk.outbox.sent == []


def test_a_code_the_channel_does_not_accept_is_not_sent(desk: Desk) -> None:
    call = open_call(desk, desk.caller)  # minint-2022 as shipped: no code by e-mail
    with pytest.raises(ServiceError, match="pas un facteur prévu"):
        send_one_time_code(desk.deps, AGENT, call.id, "otp_email")
    assert desk.outbox.sent == []


def test_a_president_does_not_send_codes(desk: Desk) -> None:
    call = open_call(desk, desk.caller, PRESIDENT_NORD, channel="president")
    with pytest.raises(Forbidden):
        send_one_time_code(desk.deps, PRESIDENT_NORD, call.id, "otp_mobile")


def test_without_a_delivery_nothing_is_sent(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    offline = dataclasses.replace(desk.deps, delivery=None)
    with pytest.raises(ServiceError, match="Aucun moyen d'envoi"):
        send_one_time_code(offline, AGENT, call.id, "otp_mobile")
    assert codes(desk) == []


def test_a_refused_delivery_leaves_the_code_message_waiting_for_a_retry(
    desk: Desk, tmp_path: Path
) -> None:
    (tmp_path / "not-a-folder").write_text("")
    broken = FolderDelivery(tmp_path / "not-a-folder" / "outbox")
    call = open_call(desk, desk.caller)
    sent = send_one_time_code(
        dataclasses.replace(desk.deps, delivery=broken), AGENT, call.id, "otp_mobile"
    )
    assert sent.delivery == "en attente"
    [failed] = entries(desk.deps, "message_failed")
    assert failed["outcome"] == "pending" and "inaccessible" in failed["details"]["error"]
    assert entries(desk.deps, "message_sent") == []


# ---------------------------------------------------------------------- using it


def test_the_code_from_the_sms_verifies_once(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    code = desk.outbox.last_code()
    answers = by_code(desk.caller, "otp_mobile", code)
    assert verify_identity(desk.deps, AGENT, call.id, answers).verified
    assert codes(desk)[0].used_at == NOW
    again = verify_identity(desk.deps, AGENT, call.id, answers)
    assert not again.verified and again.message.startswith("Identité non vérifiée (1er échec")


def test_the_code_from_the_email_verifies(desk: Desk) -> None:
    accept_codes_by_email(desk)
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_email")
    answers = by_code(desk.caller, "otp_email", desk.outbox.last_code())
    assert verify_identity(desk.deps, AGENT, call.id, answers).verified


def test_the_email_code_typed_as_the_sms_one_is_refused_saying_so_and_counts_no_failure(
    desk: Desk,
) -> None:
    # Three such slips of the agent, each a failure, locked the voter (newcomer run).
    accept_codes_by_email(desk)
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    sms = desk.outbox.last_code()
    send_one_time_code(desk.deps, AGENT, call.id, "otp_email")
    email = desk.outbox.last_code()
    if email == sms:  # one chance in a million: the same digits verify in either field
        return
    with pytest.raises(InvalidValue) as refused:
        verify_identity(desk.deps, AGENT, call.id, by_code(desk.caller, "otp_mobile", email))
    assert str(refused.value) == (
        "Code à usage unique envoyé par SMS : c'est le code envoyé par courriel : tapez-le "
        "dans son champ (aucun échec compté)"
    )
    assert entries(desk.deps, "verification") == []
    assert verify_identity(
        desk.deps, AGENT, call.id, by_code(desk.caller, "otp_email", email)
    ).verified  # not spent by the slip


def test_a_code_of_neither_field_still_counts_a_failure(desk: Desk) -> None:
    accept_codes_by_email(desk)
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    sent = {desk.outbox.last_code()}
    send_one_time_code(desk.deps, AGENT, call.id, "otp_email")
    sent.add(desk.outbox.last_code())
    wrong = next(code for code in ("000000", "111111") if code not in sent)
    result = verify_identity(desk.deps, AGENT, call.id, by_code(desk.caller, "otp_mobile", wrong))
    assert not result.verified and result.failures == 1


def test_a_code_typed_with_a_space_verifies(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    code = desk.outbox.last_code()
    answers = by_code(desk.caller, "otp_mobile", f"{code[:3]} {code[3:]}")
    assert verify_identity(desk.deps, AGENT, call.id, answers).verified


def test_a_code_still_verifies_just_before_it_expires(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    desk.clock.advance(seconds=119)
    answers = by_code(desk.caller, "otp_mobile", desk.outbox.last_code())
    assert verify_identity(desk.deps, AGENT, call.id, answers).verified


def test_an_expired_code_fails(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    desk.clock.advance(seconds=121)
    answers = by_code(desk.caller, "otp_mobile", desk.outbox.last_code())
    assert not verify_identity(desk.deps, AGENT, call.id, answers).verified
    assert entries(desk.deps, "verification")[-1]["details"]["factors_failed"] == ["otp_mobile"]


def test_a_new_code_replaces_the_previous_one(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    first = desk.outbox.last_code()
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    latest = desk.outbox.last_code()
    if first != latest:  # one chance in a million that both codes are equal
        assert not verify_identity(
            desk.deps, AGENT, call.id, by_code(desk.caller, "otp_mobile", first)
        ).verified
    assert verify_identity(
        desk.deps, AGENT, call.id, by_code(desk.caller, "otp_mobile", latest)
    ).verified


def test_a_code_sent_in_one_call_does_not_verify_another(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    other = open_call(desk, desk.caller, AGENT_2)
    answers = by_code(desk.caller, "otp_mobile", desk.outbox.last_code())
    assert not verify_identity(desk.deps, AGENT_2, other.id, answers).verified


# -------------------------------------------------------------------------- limits


def test_the_fourth_code_in_an_hour_is_refused_whoever_sends_it(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    desk.clock.advance(minutes=20)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    close_intervention(desk.deps, AGENT, call.id, "abandonné")
    other = open_call(desk, desk.caller, AGENT_2)
    desk.clock.advance(minutes=20)
    send_one_time_code(desk.deps, AGENT_2, other.id, "otp_mobile")
    desk.clock.advance(minutes=19)
    with pytest.raises(ServiceError, match="3 codes déjà envoyés"):
        send_one_time_code(desk.deps, AGENT_2, other.id, "otp_mobile")
    assert len(desk.outbox.sent) == 3 and len(codes(desk)) == 3
    desk.clock.advance(minutes=1, seconds=1)  # the first code was sent an hour ago
    send_one_time_code(desk.deps, AGENT_2, other.id, "otp_mobile")
    assert len(desk.outbox.sent) == 4


# -------------------------------------------------------------------------- secrecy


def test_neither_the_code_nor_the_number_reaches_the_journal(desk: Desk) -> None:
    mobile = parse_mobile(desk.caller.row["telephone_mobile"]).e164
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    code = desk.outbox.last_code()
    verify_identity(desk.deps, AGENT, call.id, by_code(desk.caller, "otp_mobile", code))
    [sent] = entries(desk.deps, "otp_send")
    assert sent["intervention"] == call.id
    assert sent["details"] == {
        "factor": "otp_mobile", "recipient": masking.mask_phone(mobile), "valid_seconds": 120
    }
    journal_text = bodies(desk.deps)
    assert code not in journal_text
    national = "0" + mobile[3:]
    for number in (mobile, mobile[1:], national, desk.caller.row["telephone_mobile"]):
        assert number not in journal_text


def test_the_table_keeps_a_sealed_secret_not_the_code(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    code = desk.outbox.last_code()
    [row] = codes(desk)
    assert code not in {str(value) for value in row.model_dump().values()}
    secret = sealing.unseal(TEST_KEY, OTP_PURPOSE, row.secret_sealed)
    assert secret != code and pyotp.HOTP(secret).at(0) == code
    assert (row.sent_at, row.expires_at, row.used_at) == (NOW, NOW + timedelta(seconds=120), None)
