"""An answer holding a control or invisible character (a paste's bidirectional mark or
zero-width space, which the field does not show) is a format error naming the field and
the character: never a failed verification, never journalled, never towards the lock."""

import pytest
from sqlalchemy import select

from csu.domain.errors import InvalidValue
from csu.domain.verification import FACTOR_LABELS, answer_field, parse_document
from csu.services.verification import verify_identity
from csu.store.tables import VerificationAttempt, Voter
from tests.conftest import AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    PRESIDENT_NORD,
    Desk,
    desk_fixture,
    entries,
    open_call,
)

HIDDEN = {
    "\u202e": "marque de direction bidirectionnelle, U+202E",
    "\u200b": "espace de largeur nulle, invisible, U+200B",
    "\ufeff": "indicateur d'ordre des octets, invisible, U+FEFF",
    "\u2066": "marque de direction bidirectionnelle, U+2066",
    "\u00ad": "trait d'union conditionnel, invisible, U+00AD",
    "\x1b": "caractère d'échappement, U+001B",
    "\x00": "caractère nul, U+0000",
    "\t": "tabulation, U+0009",
    "\u3164": "caractère invisible, U+3164",
}
# Every factor an operator types (the caller's number is read by the service itself).
TYPED = sorted(set(FACTOR_LABELS) - {"caller_id", "in_person"})


def nothing_counted(desk: Desk) -> None:
    with desk.deps.reading() as session:
        assert session.execute(select(VerificationAttempt)).scalars().all() == []
        voter = session.get(Voter, desk.caller.voter_id)
        assert voter is not None and voter.locked_until is None
    assert entries(desk.deps, "verification") == []


@pytest.mark.parametrize("char", HIDDEN, ids=lambda char: f"U+{ord(char):04X}")
def test_the_right_iban_with_a_hidden_character_is_a_format_error(desk: Desk, char: str) -> None:
    call = open_call(desk, desk.caller)
    answers = desk.caller.phone_answers()
    answers["iban"] += char  # « 077497 » on screen, seven characters in the field
    with pytest.raises(InvalidValue) as refused:
        verify_identity(desk.deps, AGENT, call.id, answers)
    assert str(refused.value) == (
        f"6 derniers caractères de l'IBAN : caractère interdit en position 7 ({HIDDEN[char]})"
    )
    nothing_counted(desk)


@pytest.mark.parametrize("factor", TYPED)
def test_every_typed_factor_refuses_a_hidden_character_before_anything_is_read(
    desk: Desk, factor: str
) -> None:
    call = open_call(desk, desk.caller)
    answers = desk.caller.phone_answers()
    said = answers.get(factor, "123456")
    answers[factor] = said[:3] + "\u200b" + said[3:]
    with pytest.raises(InvalidValue) as refused:
        verify_identity(desk.deps, AGENT, call.id, answers)
    assert refused.value.field == answer_field(factor)
    assert refused.value.fault == (
        "caractère interdit en position 4 (espace de largeur nulle, invisible, U+200B)"
    )
    nothing_counted(desk)


def test_three_such_pastes_lock_no_one_and_the_right_answers_then_verify(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    for factor, char in (("iban", "\u202e"), ("birth_date", "\u200b"), ("agent_card", "\ufeff")):
        answers = desk.caller.phone_answers()
        answers[factor] += char
        with pytest.raises(InvalidValue, match="caractère interdit"):
            verify_identity(desk.deps, AGENT, call.id, answers)
    nothing_counted(desk)
    result = verify_identity(desk.deps, AGENT, call.id, desk.caller.phone_answers())
    assert result.verified, result.message
    [entry] = entries(desk.deps, "verification")
    assert entry["outcome"] == "vérifié"


def test_the_challenge_answer_and_numen_of_a_teacher_too(desk: Desk) -> None:
    call = open_call(desk, desk.teacher)
    answers = desk.teacher.education_answers()
    answers["challenge_answer"] = "\u202e" + answers["challenge_answer"]
    with pytest.raises(InvalidValue) as refused:
        verify_identity(desk.deps, AGENT, call.id, answers)
    assert str(refused.value) == (
        "Réponse à la question défi : caractère interdit en position 1 "
        "(marque de direction bidirectionnelle, U+202E)"
    )
    assert entries(desk.deps, "verification") == []


def test_a_presidents_own_check_names_the_character_of_the_document(desk: Desk) -> None:
    call = open_call(desk, desk.caller, PRESIDENT_NORD, channel="president")
    with pytest.raises(InvalidValue) as refused:
        verify_identity(desk.deps, PRESIDENT_NORD, call.id, {"in_person": "cni:AB\u200b12"})
    assert str(refused.value) == (
        "Pièce d'identité : caractère interdit en position 3 "
        "(espace de largeur nulle, invisible, U+200B)"
    )
    nothing_counted(desk)


def test_the_document_parser_names_the_character_too() -> None:
    with pytest.raises(InvalidValue, match=r"position 3 \(espace de largeur nulle"):
        parse_document("cni", "AB\u200b1")
    assert parse_document("cni", " 12 ab ") == ("cni", "12AB")
