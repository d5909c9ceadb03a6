"""What the issue window says before « Délivrer »: the codes the verification made does
not allow yet (minint-2022: a password needs the agent card or the key's first
characters with the IBAN, or the president), with the sentence the issue would be
refused with; a newcomer verified by SMS was offered « Mot de passe » without a word."""

from csu.services.context import ServiceError
from csu.services.credentials import issue_credential, verification_shortfalls
from csu.services.interventions import close_intervention
from csu.services.one_time_codes import send_one_time_code
from csu.services.verification import verify_identity
from tests.conftest import AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    Desk,
    desk_fixture,
    open_call,
    verified_call,
)

KINDS = ["security_key", "password"]


def verified_by_sms(desk: Desk) -> str:
    call = open_call(desk, desk.caller).id
    send_one_time_code(desk.deps, AGENT, call, "otp_mobile")
    answers = {"birth_date": desk.caller.row["date_naissance"],
               "otp_mobile": desk.outbox.last_code()}  # fmt: skip
    assert verify_identity(desk.deps, AGENT, call, answers).verified
    return call


def test_after_a_code_by_sms_the_password_is_said_not_allowed_before_it_is_refused(
    desk: Desk,
) -> None:
    call = verified_by_sms(desk)
    material = desk.caller.material_id
    found = verification_shortfalls(desk.deps, AGENT, call, [material], KINDS)
    assert list(found) == [(material, "password")]
    try:
        issue_credential(desk.deps, AGENT, call, material, "password")
    except ServiceError as refused:
        assert found[material, "password"] == str(refused)  # the same sentence
    else:
        raise AssertionError("the password was issued")


def test_a_verification_that_allows_every_code_has_no_shortfall(desk: Desk) -> None:
    call = verified_call(desk, desk.caller)
    assert verification_shortfalls(desk.deps, AGENT, call, [desk.caller.material_id], KINDS) == {}


def test_another_agent_s_intervention_tells_nothing(desk: Desk) -> None:
    call = verified_by_sms(desk)
    found = verification_shortfalls(desk.deps, AGENT_2, call, [desk.caller.material_id], KINDS)
    assert found == {}


def test_a_closed_intervention_or_another_voter_s_material_tells_nothing(desk: Desk) -> None:
    call = verified_by_sms(desk)
    other = desk.teacher.material_id  # another voter's, another election's
    assert verification_shortfalls(desk.deps, AGENT, call, [other], KINDS) == {}
    close_intervention(desk.deps, AGENT, call, "résolu")
    material = desk.caller.material_id
    assert verification_shortfalls(desk.deps, AGENT, call, [material], KINDS) == {}
