"""What the organisers' own procedures demand, where the election files once let more
through (audit probe A: H3, H4, L4, M4, M6).

- 002 (minint-2022): a password only with the « donnée secrète de réassort » (first 6
  of the agent card serial or of the security key) + last 6 of the IBAN, or from the
  president who saw the voter's identity document (S4); never after a birth date and
  an SMS code, which still give a security key.
- 001/004 (men-2022): the vote code's reissue only by challenge answer + NUMEN or NIR;
  no president (no Education document names one); the link's message tells the voter
  to have something to write with, the code showing 120 seconds.
- 003 (men-2011): identity, then the identifier e-mailed, then the password by link:
  no password link before the identifier went to that address.
"""

import pytest
from sqlalchemy import select, update

from csu.domain.contacts import sms_numbers
from csu.domain.election import ElectionDefinition, longest_sms_values, parse_election
from csu.domain.errors import InvalidValue
from csu.domain.messages import MAX_SMS_SEGMENTS, sms_segments
from csu.services.context import OperatorContext, ServiceError
from csu.services.credentials import issue_credential
from csu.services.identifier_delivery import send_identifier
from csu.services.interventions import close_intervention
from csu.services.one_time_codes import send_one_time_code
from csu.services.presence import attest_presence, request_presence_check
from csu.services.verification import verify_identity
from csu.services.vote_codes import IDENTIFIER_FIRST, redeem_link, send_password_link
from csu.store.tables import LinkToken, OutboundMessage
from tests.conftest import AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    ELECTIONS,
    MEN_2011_OPEN,
    PRESIDENT_NORD,
    Desk,
    desk_fixture,
    entries,
    handed_over,
    in_person_call,
    open_call,
    verified_call,
)
from tests.services.test_vote_codes import link_texts, send_email, send_sms, verified_teacher

PERSONAL = "ines.perso@exemple.fr"


def shipped(name: str) -> ElectionDefinition:
    source = f"{name}.toml"
    return parse_election((ELECTIONS / source).read_text(encoding="utf-8"), source)


def issued_kinds(desk: Desk, call_id: str) -> list[str]:
    return [
        e["details"]["kind"]
        for e in entries(desk.deps, "credential_issue", intervention=call_id)
        if e["outcome"] == "ok"
    ]


# --------------------------------------------------------- H4: minint-2022 password


def test_minint_a_password_demands_the_reassort_secret_and_the_iban() -> None:
    required = set(shipped("minint-2022").verification_for["password"])
    assert required == {
        frozenset({"birth_date", "agent_card", "iban"}),
        frozenset({"birth_date", "security_key_prefix", "iban"}),
        frozenset({"in_person"}),  # S4: the president's own check
    }
    # The key: any verification of the channel (« après vérification de mon identité »).
    assert "security_key" not in shipped("minint-2022").verification_for


def otp_verified_call(desk: Desk) -> str:
    """A minint-2022 call verified by birth date + a code sent to the registered mobile."""
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    answers = {"birth_date": desk.caller.row["date_naissance"],
               "otp_mobile": desk.outbox.last_code()}  # fmt: skip
    assert verify_identity(desk.deps, AGENT, call.id, answers).verified
    return call.id


def test_minint_birth_date_and_sms_code_give_a_key_but_never_a_password(desk: Desk) -> None:
    call_id = otp_verified_call(desk)
    with pytest.raises(ServiceError) as refused:
        issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "password")
    said = str(refused.value)
    assert said.startswith("Pour délivrer un mot de passe, l'identité doit être vérifiée")
    assert "IBAN" in said and "carte agent" in said and "clé de sécurité" in said
    issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    assert issued_kinds(desk, call_id) == ["security_key"]


def test_minint_the_card_prefix_and_iban_then_give_the_password(desk: Desk) -> None:
    call_id = otp_verified_call(desk)
    assert verify_identity(desk.deps, AGENT, call_id, desk.caller.phone_answers()).verified
    issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "password")
    assert issued_kinds(desk, call_id) == ["password"]
    [issued] = entries(desk.deps, "credential_issue", intervention=call_id)
    assert issued["details"]["verified_by"] == "agent_card,birth_date,iban"


def a_key_then_a_second_call(desk: Desk) -> tuple[str, str]:
    """A first call that issued a security key; the value of the key, and a second
    call, by another agent, where the caller reads its first characters."""
    first = verified_call(desk, desk.caller)
    key = handed_over(desk.deps, AGENT, first, desk.caller.material_id, "security_key")
    close_intervention(desk.deps, AGENT, first, "résolu")
    return key.value, open_call(desk, desk.caller, AGENT_2).id


def test_minint_the_security_key_prefix_and_iban_give_the_password(desk: Desk) -> None:
    value, call_id = a_key_then_a_second_call(desk)
    answers = {
        "birth_date": desk.caller.row["date_naissance"],
        "security_key_prefix": value[:6],
        "iban": desk.caller.row["iban"][-6:],
    }
    assert verify_identity(desk.deps, AGENT_2, call_id, answers).verified
    issue_credential(desk.deps, AGENT_2, call_id, desk.caller.material_id, "password")
    assert issued_kinds(desk, call_id) == ["password"]


def test_a_keys_first_characters_read_with_its_dash_are_a_format_fault_not_a_failure(
    desk: Desk,
) -> None:
    """« G8KY-F », read off the key as shown (grouped by 4), is 5 letters and digits."""
    value, call_id = a_key_then_a_second_call(desk)
    answers = {
        "birth_date": desk.caller.row["date_naissance"],
        "security_key_prefix": f"{value[:4]}-{value[4]}",
        "iban": desk.caller.row["iban"][-6:],
    }
    with pytest.raises(InvalidValue, match=r"6 premières lettres ou chiffres attendus, 5 ici"):
        verify_identity(desk.deps, AGENT_2, call_id, answers)
    assert entries(desk.deps, "verification", intervention=call_id) == []
    answers["security_key_prefix"] = f"{value[:4]}-{value[4:6]}"
    assert verify_identity(desk.deps, AGENT_2, call_id, answers).verified


def test_minint_s4_the_president_still_hands_over_a_password(desk: Desk) -> None:
    call_id = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    issue_credential(desk.deps, PRESIDENT_NORD, call_id, desk.caller.material_id, "password")
    assert issued_kinds(desk, call_id) == ["password"]


def s2_attested_call(desk: Desk) -> str:
    """S2: an agent takes the president's call, the president attests the check."""
    call = open_call(desk, desk.caller, channel="president", president_login="pres.nord")
    check = request_presence_check(desk.deps, AGENT, call.id)
    assert attest_presence(desk.deps, PRESIDENT_NORD, check.id, "cni", "12ab").verified
    return call.id


def test_minint_s2_the_attestation_gives_the_agent_a_key(desk: Desk) -> None:
    call_id = s2_attested_call(desk)
    issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    assert issued_kinds(desk, call_id) == ["security_key"]


def test_minint_s2_the_attestation_gives_the_agent_no_password(desk: Desk) -> None:
    call_id = s2_attested_call(desk)
    with pytest.raises(ServiceError, match="L'attestation du président ne suffit pas"):
        issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "password")


# ------------------------------------------------------ H3, M4: men-2022 vote code


def test_men_2022_no_president_and_only_the_challenge_answer_with_numen_or_nir() -> None:
    definition = shipped("men-2022")
    assert "president" not in definition.channels
    assert set(definition.verification_for["vote_code"]) == {
        frozenset({"challenge_answer", "numen"}),
        frozenset({"challenge_answer", "nir10"}),
    }


def test_men_2022_a_call_through_a_president_is_refused(desk: Desk) -> None:
    with pytest.raises(ServiceError, match=r"présentiel via président.*men-2022"):
        open_call(desk, desk.teacher, channel="president", president_login="pres.nord")
    assert entries(desk.deps, "intervention_open") == []


WARNING = ("ne s'affichera que 120 secondes", "munissez-vous de quoi noter",
           "copie d'écran")  # fmt: skip


def test_men_2022_the_link_says_to_have_something_to_write_with(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    send_sms(desk, call_id)
    send_email(desk, call_id, PERSONAL)
    sms, mail = link_texts(desk)
    for text in (sms, mail):
        for words in WARNING:
            assert words in text, text
        # The warning comes before the link: read before clicking.
        assert text.index("munissez-vous") < text.index("jeton=")


def test_men_2022_the_link_sms_stays_within_its_segments() -> None:
    definition = shipped("men-2022")
    assert "vote_code_link" in definition.messages
    assert "120 secondes" in definition.messages["vote_code_link"][1]
    assert definition.timings.code_display_seconds == 120  # the wording says 120
    numbers = [
        (n.short(), n.phone)
        for n in sms_numbers(definition.contacts, definition.csu_phone, definition.support_phone)
    ]
    longest = longest_sms_values(definition)["vote_code_link"]
    assert sms_segments(definition.messages, "vote_code_link", longest, numbers) <= (
        MAX_SMS_SEGMENTS
    )


# ------------------------------------------------- M6: men-2011, identifier first


def without_notice_call(desk: Desk, who: OperatorContext = AGENT) -> str:
    if desk.clock.now.year != 2011:
        desk.clock.now = MEN_2011_OPEN
    call = open_call(desk, desk.without_notice, who)
    answers = desk.without_notice.without_notice_answers()
    assert verify_identity(desk.deps, who, call.id, answers).verified
    return call.id


def password_links(desk: Desk) -> list[int]:
    with desk.deps.reading() as session:
        return list(
            session.execute(select(LinkToken.id).where(LinkToken.purpose == "password")).scalars()
        )


def fail_identifier_messages(desk: Desk) -> None:
    """The identifier's e-mails end in « échec » (the relay refused them for good)."""
    with desk.deps.writing() as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.purpose == "identifier")  # type: ignore[arg-type]
            .values(state="failed")
        )


def test_men_2011_no_password_link_before_the_identifier(desk: Desk) -> None:
    call_id = without_notice_call(desk)
    with pytest.raises(ServiceError) as refused:
        send_password_link(desk.deps, AGENT, call_id, desk.without_notice.material_id)
    assert str(refused.value) == IDENTIFIER_FIRST
    assert str(refused.value).startswith("Envoyez d'abord l'identifiant (ctrl+d)")
    assert password_links(desk) == []
    assert entries(desk.deps, "vote_code_link_send") == []


def test_men_2011_the_identifier_then_the_password_link(desk: Desk) -> None:
    call_id = without_notice_call(desk)
    material = desk.without_notice.material_id
    send_identifier(desk.deps, AGENT, call_id, material, to="pro")
    sent = send_password_link(desk.deps, AGENT, call_id, material)
    assert sent.delivery == "envoyé"
    assert len(password_links(desk)) == 1


def test_men_2011_an_identifier_sent_in_an_earlier_call_counts(desk: Desk) -> None:
    first = without_notice_call(desk)
    material = desk.without_notice.material_id
    send_identifier(desk.deps, AGENT, first, material, to="personal", address=PERSONAL,
                    confirm=PERSONAL)  # fmt: skip
    close_intervention(desk.deps, AGENT, first, "résolu")
    desk.clock.advance(hours=3)
    later = without_notice_call(desk, AGENT_2)
    send_password_link(desk.deps, AGENT_2, later, material, PERSONAL)
    assert len(password_links(desk)) == 1


def test_men_2011_an_identifier_that_failed_is_not_sent(desk: Desk) -> None:
    call_id = without_notice_call(desk)
    material = desk.without_notice.material_id
    send_identifier(desk.deps, AGENT, call_id, material, to="pro")
    fail_identifier_messages(desk)
    with pytest.raises(ServiceError, match="renvoyez-le"):
        send_password_link(desk.deps, AGENT, call_id, material)
    assert password_links(desk) == []


def test_men_2011_an_identifier_to_the_confirmed_address_that_failed_is_not_sent(
    desk: Desk,
) -> None:
    call_id = without_notice_call(desk)
    material = desk.without_notice.material_id
    send_identifier(desk.deps, AGENT, call_id, material, to="personal", address=PERSONAL,
                    confirm=PERSONAL)  # fmt: skip
    fail_identifier_messages(desk)
    with pytest.raises(ServiceError, match="Envoyez d'abord l'identifiant"):
        send_password_link(desk.deps, AGENT, call_id, material, PERSONAL)
    # Sent again to the same address, it goes: then the password link too.
    send_identifier(desk.deps, AGENT, call_id, material, to="personal", address=PERSONAL,
                    confirm=PERSONAL)  # fmt: skip
    send_password_link(desk.deps, AGENT, call_id, material, PERSONAL)
    assert len(password_links(desk)) == 1


def test_men_2011_the_link_still_opens_once_sent_in_order(desk: Desk) -> None:
    call_id = without_notice_call(desk)
    material = desk.without_notice.material_id
    send_identifier(desk.deps, AGENT, call_id, material, to="pro")
    send_password_link(desk.deps, AGENT, call_id, material)
    token = link_texts(desk)[-1].split("jeton=")[1].split()[0]
    answers = desk.without_notice.without_notice_answers()  # seed 003: on the link's page
    assert redeem_link(desk.deps, token, answers=answers).kind == "password"
