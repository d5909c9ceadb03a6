"""Verifying a caller's identity: the election's factor sets, failures, lock and unlock."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from csu.domain.clock import PARIS
from csu.domain.errors import InvalidValue
from csu.domain.verification import FACTOR_LABELS
from csu.services.context import Forbidden, ServiceError
from csu.services.credentials import issue_credential
from csu.services.interventions import close_intervention, current_intervention
from csu.services.one_time_codes import send_one_time_code
from csu.services.presence import attest_presence, request_presence_check
from csu.services.verification import unlock_voter, verify_identity
from csu.store.tables import Intervention, Operator, VerificationAttempt, Voter
from tests.conftest import AGENT, NOW, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    MEN_2011_OPEN,
    PRESIDENT_NORD,
    Caller,
    Desk,
    bodies,
    desk_fixture,
    entries,
    handed_over,
    open_call,
    verified_call,
    wrong,
)

UNLOCK_REASON = "rappel de l'électeur, identité confirmée par son président"
FIRST_FAILURE = (
    "Identité non vérifiée (1er échec sur 3 en 24 h : encore 2 essais avant le verrouillage)."
)
SECOND_FAILURE = (
    "Identité non vérifiée (2e échec sur 3 en 24 h : encore 1 essai avant le verrouillage)."
)


def with_wrong(caller: Caller, factor: str) -> dict[str, str]:
    answers = caller.phone_answers()
    answers[factor] = wrong(answers[factor])
    return answers


def fail(desk: Desk, call_id: str, who=AGENT) -> str:
    """One failed verification (wrong IBAN tail); returns the message."""
    result = verify_identity(desk.deps, who, call_id, with_wrong(desk.caller, "iban"))
    assert not result.verified
    return result.message


def voter(desk: Desk, caller: Caller) -> Voter:
    with desk.deps.reading() as session:
        row = session.get(Voter, caller.voter_id)
        assert row is not None
        return row


def attempts(desk: Desk) -> list[VerificationAttempt]:
    with desk.deps.reading() as session:
        return list(
            session.execute(select(VerificationAttempt).order_by(VerificationAttempt.id))
            .scalars()
            .all()
        )


def lock_caller(desk: Desk) -> None:
    """Three failures: two by one agent, one by another."""
    first = open_call(desk, desk.caller, AGENT)
    fail(desk, first.id)
    fail(desk, first.id)
    second = open_call(desk, desk.caller, AGENT_2)
    fail(desk, second.id, AGENT_2)
    close_intervention(desk.deps, AGENT, first.id, "refusé")
    close_intervention(desk.deps, AGENT_2, second.id, "refusé")


# ------------------------------------------------------------ minint-2022, by phone


def test_birth_date_agent_card_and_iban_verify_a_caller(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    result = verify_identity(desk.deps, AGENT, call.id, desk.caller.phone_answers())
    # 10:30 UTC is 11:30 in Paris; a verification lasts 10 minutes.
    assert (result.verified, result.message, result.locked_until) == (
        True, "Identité vérifiée (valable jusqu'à 11:40).", None
    )
    assert result.valid_until == datetime(2022, 12, 2, 11, 40, tzinfo=PARIS)
    with desk.deps.reading() as session:
        row = session.get(Intervention, call.id)
        assert row is not None
        assert (row.verified_at, row.verified_factors) == (NOW, "agent_card,birth_date,iban")
    [entry] = entries(desk.deps, "verification")
    assert (entry["outcome"], entry["intervention"]) == ("vérifié", call.id)
    assert entry["details"]["set"] == ["agent_card", "birth_date", "iban"]


def test_answers_are_read_as_a_caller_says_them(desk: Desk) -> None:
    row = desk.caller.row
    answers = {
        "birth_date": desk.caller.birth_date.isoformat(),
        "agent_card": " ".join(row["carte_agent"][:6].lower()),
        "iban": row["iban"][-6:-3] + " " + row["iban"][-3:],
    }
    call = open_call(desk, desk.caller)
    assert verify_identity(desk.deps, AGENT, call.id, answers).verified


def test_birth_date_key_prefix_and_iban_verify_once_a_key_was_issued(desk: Desk) -> None:
    first = verified_call(desk, desk.caller)
    key = handed_over(desk.deps, AGENT, first, desk.caller.material_id, "security_key")
    close_intervention(desk.deps, AGENT, first, "résolu")
    call = open_call(desk, desk.caller, AGENT_2)
    answers = {
        "birth_date": desk.caller.row["date_naissance"],
        "security_key_prefix": key.display[:7].lower(),  # "k7mp-x2", as read on the sheet
        "iban": desk.caller.row["iban"][-6:],
    }
    result = verify_identity(desk.deps, AGENT_2, call.id, answers)
    assert result.verified
    assert entries(desk.deps, "verification")[-1]["details"]["set"] == [
        "birth_date", "iban", "security_key_prefix"
    ]


def test_the_prefix_of_a_replaced_key_no_longer_verifies(desk: Desk) -> None:
    first = verified_call(desk, desk.caller)
    old = issue_credential(desk.deps, AGENT, first, desk.caller.material_id, "security_key")
    new = handed_over(desk.deps, AGENT, first, desk.caller.material_id, "security_key")
    close_intervention(desk.deps, AGENT, first, "résolu")
    call = open_call(desk, desk.caller)
    answers = {
        "birth_date": desk.caller.row["date_naissance"],
        "security_key_prefix": old.value[:6],
        "iban": desk.caller.row["iban"][-6:],
    }
    if old.value[:6] != new.value[:6]:  # 30**6 prefixes: equal once in 729 million
        assert not verify_identity(desk.deps, AGENT, call.id, answers).verified
    answers["security_key_prefix"] = new.value[:6]
    assert verify_identity(desk.deps, AGENT, call.id, answers).verified


def test_a_key_prefix_verifies_nothing_before_a_key_was_issued(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    answers = {
        "birth_date": desk.caller.row["date_naissance"],
        "security_key_prefix": "K7MP-X2",
        "iban": desk.caller.row["iban"][-6:],
    }
    assert not verify_identity(desk.deps, AGENT, call.id, answers).verified


def test_birth_date_and_the_sms_code_verify_a_caller(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    answers = {"birth_date": desk.caller.row["date_naissance"],
               "otp_mobile": desk.outbox.last_code()}
    result = verify_identity(desk.deps, AGENT, call.id, answers)
    assert result.verified
    assert entries(desk.deps, "verification")[-1]["details"]["set"] == [
        "birth_date", "otp_mobile"
    ]


@pytest.mark.parametrize("factor", ["birth_date", "agent_card", "iban"])
def test_one_wrong_answer_says_non_verifie_and_never_which(desk: Desk, factor: str) -> None:
    call = open_call(desk, desk.caller)
    result = verify_identity(desk.deps, AGENT, call.id, with_wrong(desk.caller, factor))
    assert (result.verified, result.message, result.valid_until, result.locked_until) == (
        False, FIRST_FAILURE, None, None
    )
    for name, label in FACTOR_LABELS.items():
        assert name not in result.message and label not in result.message
    assert current_intervention(desk.deps, AGENT).verified_until is None  # type: ignore[union-attr]
    [entry] = entries(desk.deps, "verification")
    assert (entry["outcome"], entry["details"]["factors_failed"]) == ("non vérifié", [factor])


def test_incomplete_answers_are_refused_without_counting_a_failure(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    partial = {"birth_date": desk.caller.row["date_naissance"], "iban": "000000"}
    for _ in range(4):
        with pytest.raises(ServiceError, match=r"Réponses? manquantes?") as refused:
            verify_identity(desk.deps, AGENT, call.id, partial)
    assert "ou date de naissance + code à usage unique envoyé par SMS" in str(refused.value)
    assert attempts(desk) == []
    assert entries(desk.deps, "verification") == []
    assert voter(desk, desk.caller).locked_until is None


def test_incomplete_answers_say_what_is_missing_from_the_nearest_set(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    code_alone = {"otp_mobile": "123456"}  # the birth date forgotten
    with pytest.raises(ServiceError, match=r"^Réponse manquante : date de naissance\. "):
        verify_identity(desk.deps, AGENT, call.id, code_alone)


def test_without_a_mobile_the_answers_missing_are_those_of_a_possible_set(desk: Desk) -> None:
    """Newcomer: the date alone, for a voter with no mobile, was answered « Réponse
    manquante : code à usage unique envoyé par SMS », a set the window says impossible."""
    with desk.deps.writing() as session:
        session.get(Voter, desk.caller.voter_id).phone_mobile = None
    call = open_call(desk, desk.caller)
    birth = {"birth_date": desk.caller.row["date_naissance"]}
    with pytest.raises(ServiceError) as refused:
        verify_identity(desk.deps, AGENT, call.id, birth)
    said = str(refused.value)
    assert said.startswith("Réponses manquantes : 6 derniers caractères de l'IBAN + "), said
    assert said.endswith("code à usage unique envoyé par SMS (impossible : aucun portable "
                         "enregistré)."), said  # fmt: skip


def test_a_president_checking_nothing_is_told_what_to_give_of_the_document(
    desk: Desk,
) -> None:
    """One set, nothing of it given: said once, with what the document's fields take
    (it read « Réponse manquante : pièce … Le canal … demande pièce … »)."""
    call = open_call(desk, desk.caller, PRESIDENT_NORD, channel="president")
    with pytest.raises(ServiceError) as refused:
        verify_identity(desk.deps, PRESIDENT_NORD, call.id, {})
    assert str(refused.value) == (
        "Réponse manquante : pièce d'identité vérifiée en personne (son type et les 4 "
        "derniers caractères de son numéro)."
    )


def test_blank_answers_count_as_not_given(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    answers = desk.caller.phone_answers() | {"agent_card": "   "}
    with pytest.raises(ServiceError, match=r"Réponses? manquantes?"):
        verify_identity(desk.deps, AGENT, call.id, answers)


def test_an_unknown_factor_is_refused(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    with pytest.raises(InvalidValue, match="pointure"):
        verify_identity(desk.deps, AGENT, call.id, desk.caller.phone_answers() | {"pointure": "42"})
    assert attempts(desk) == []


def test_a_failure_is_journalled_with_factors_but_never_the_values_typed(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    typed = {"birth_date": "07/07/1977", "agent_card": "QWZX98", "iban": "556677"}
    verify_identity(desk.deps, AGENT, call.id, typed)
    [entry] = entries(desk.deps, "verification")
    assert entry["details"]["factors_tried"] == ["agent_card", "birth_date", "iban"]
    assert entry["details"]["factors_failed"] == ["agent_card", "birth_date", "iban"]
    journal_text = bodies(desk.deps)
    for value in (*typed.values(), "1977-07-07", "qwzx98"):
        assert value not in journal_text
    [attempt] = attempts(desk)
    assert (attempt.passed, attempt.factors_tried, attempt.factors_failed) == (
        False, "agent_card,birth_date,iban", "agent_card,birth_date,iban"
    )


def test_the_right_answers_never_reach_the_journal_either(desk: Desk) -> None:
    verified_call(desk, desk.caller)
    journal_text = bodies(desk.deps)
    row = desk.caller.row
    for value in (row["date_naissance"], row["carte_agent"][:6], row["iban"][-6:]):
        assert value not in journal_text


# ------------------------------------------------------------------ failures and lock


def test_two_failures_do_not_lock(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    fail(desk, call.id)
    assert fail(desk, call.id) == SECOND_FAILURE
    assert voter(desk, desk.caller).locked_until is None


def test_three_failures_in_24_hours_by_two_agents_lock_the_voter(desk: Desk) -> None:
    first = open_call(desk, desk.caller, AGENT)
    fail(desk, first.id)
    desk.clock.advance(hours=3)
    fail(desk, first.id)
    second = open_call(desk, desk.caller, AGENT_2)
    desk.clock.advance(hours=20)
    result = verify_identity(desk.deps, AGENT_2, second.id, with_wrong(desk.caller, "agent_card"))
    # The third failure comes at 09:30 UTC on 3 December: locked until 10:30 Paris on the 4th.
    until = desk.clock.now + timedelta(hours=24)
    assert result.locked_until == until.astimezone(PARIS)
    assert result.message.startswith(
        "Identité non vérifiée (3e échec sur 3 en 24 h) : électeur verrouillé pour la "
        "vérification à distance"
    )
    assert "jusqu'au 04/12/2022 à 10:30" in result.message
    assert voter(desk, desk.caller).locked_until == until
    assert entries(desk.deps, "verification")[-1]["details"]["locked_until"] == until.isoformat()


def test_each_remote_failure_says_how_many_tries_are_left_before_the_lock(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    results = [
        verify_identity(desk.deps, AGENT, call.id, with_wrong(desk.caller, "iban"))
        for _ in range(3)
    ]
    assert [(r.failures, r.failure_limit) for r in results] == [(1, 3), (2, 3), (3, 3)]
    assert [r.message for r in results[:2]] == [FIRST_FAILURE, SECOND_FAILURE]
    assert results[2].message == (
        "Identité non vérifiée (3e échec sur 3 en 24 h) : électeur verrouillé pour la "
        "vérification à distance jusqu'au 03/12/2022 à 11:30. Seul un superviseur peut le "
        "déverrouiller ; la vérification en personne par le président reste possible."
    )
    assert [r.locked_until is not None for r in results] == [False, False, True]


@pytest.mark.parametrize("factor", ["birth_date", "agent_card", "iban"])
def test_no_failure_message_says_which_answer_was_wrong(desk: Desk, factor: str) -> None:
    call = open_call(desk, desk.caller)
    for _ in range(3):
        message = verify_identity(
            desk.deps, AGENT, call.id, with_wrong(desk.caller, factor)
        ).message
        for name, label in FACTOR_LABELS.items():
            assert name not in message and label.lower() not in message.lower()


def test_without_a_president_for_the_bureau_the_lock_promises_no_in_person_check(
    desk: Desk,
) -> None:
    """A newcomer read « la vérification en personne par le président reste possible »
    for a voter whose file says « président : non désigné »."""
    with desk.deps.writing() as session:  # B-SUD's president stays: not the caller's
        for president in session.execute(
            select(Operator).where(Operator.role == "president", Operator.bureau_code == "B-NORD")
        ).scalars():
            president.active = False
    call = open_call(desk, desk.caller)
    results = [
        verify_identity(desk.deps, AGENT, call.id, with_wrong(desk.caller, "iban"))
        for _ in range(3)
    ]
    assert results[2].message.endswith("Seul un superviseur peut le déverrouiller.")
    with pytest.raises(Forbidden) as refused:  # tried again, locked
        verify_identity(desk.deps, AGENT, call.id, with_wrong(desk.caller, "iban"))
    assert str(refused.value).endswith("Seul un superviseur peut le déverrouiller.")


def test_with_a_president_for_the_bureau_the_lock_says_the_check_in_person_remains(
    desk: Desk,
) -> None:
    call = open_call(desk, desk.caller)  # B-NORD, whose president has an account
    for _ in range(3):
        result = verify_identity(desk.deps, AGENT, call.id, with_wrong(desk.caller, "iban"))
    assert result.message.endswith("la vérification en personne par le président reste possible.")


def test_the_count_of_failures_spans_agents(desk: Desk) -> None:
    first = open_call(desk, desk.caller, AGENT)
    fail(desk, first.id)
    second = open_call(desk, desk.caller, AGENT_2)
    result = verify_identity(desk.deps, AGENT_2, second.id, with_wrong(desk.caller, "iban"))
    assert (result.failures, result.message) == (2, SECOND_FAILURE)


def test_an_unlock_starts_the_count_again(desk: Desk) -> None:
    lock_caller(desk)
    unlock_voter(desk.deps, SUPERVISOR, desk.caller.voter_id, UNLOCK_REASON)
    desk.clock.advance(minutes=5)
    call = open_call(desk, desk.caller)
    assert fail(desk, call.id) == FIRST_FAILURE


def test_an_in_person_failure_counts_no_tries(desk: Desk) -> None:
    call = open_call(desk, desk.caller, PRESIDENT_NORD, channel="president")
    result = verify_identity(desk.deps, PRESIDENT_NORD, call.id, {"in_person": "cni:12"})
    assert (result.message, result.failures, result.failure_limit) == (
        "Identité non vérifiée.", None, None
    )


def test_a_locked_voter_is_refused_by_phone_even_with_the_right_answers(desk: Desk) -> None:
    lock_caller(desk)
    call = open_call(desk, desk.caller)
    with pytest.raises(Forbidden, match="jusqu'au 03/12/2022 à 11:30"):
        verify_identity(desk.deps, AGENT, call.id, desk.caller.phone_answers())
    assert len(attempts(desk)) == 3


def test_an_attempt_on_a_locked_voter_is_journalled_as_refused(desk: Desk) -> None:
    lock_caller(desk)
    call = open_call(desk, desk.caller)
    with pytest.raises(Forbidden):
        verify_identity(desk.deps, AGENT, call.id, desk.caller.phone_answers())
    last = entries(desk.deps, "verification")[-1]
    assert (last["outcome"], last["intervention"], last["details"]["reason"]) == (
        "refusé", call.id, "électeur verrouillé"
    )
    assert len(attempts(desk)) == 3  # counted towards nothing: the lock is not extended


def test_a_locked_voter_is_still_verified_in_person_through_their_president(
    desk: Desk,
) -> None:
    lock_caller(desk)
    call = open_call(desk, desk.caller, channel="president", president_login="pres.nord")
    with pytest.raises(Forbidden, match="Seul le président"):  # never the agent alone
        verify_identity(desk.deps, AGENT, call.id, {"in_person": "carte_agent:12ab"})
    check = request_presence_check(desk.deps, AGENT, call.id)
    assert attest_presence(desk.deps, PRESIDENT_NORD, check.id, "carte_agent", "12ab").verified
    assert current_intervention(desk.deps, AGENT).verified_until is not None  # type: ignore[union-attr]
    attested = entries(desk.deps, "presence_attest")[-1]
    assert (attested["operator"], attested["details"]["document"]) == (
        "pres.nord", "carte_agent …12AB"
    )


def test_the_president_verifies_a_locked_voter_of_their_bureau(desk: Desk) -> None:
    lock_caller(desk)
    call = open_call(desk, desk.caller, PRESIDENT_NORD, channel="president")
    assert verify_identity(desk.deps, PRESIDENT_NORD, call.id, {"in_person": "cni:4821"}).verified


def test_a_failure_on_another_voter_does_not_count(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    fail(desk, call.id)
    fail(desk, call.id)
    close_intervention(desk.deps, AGENT, call.id, "refusé")
    other = open_call(desk, desk.neighbour)
    verify_identity(desk.deps, AGENT, other.id, with_wrong(desk.neighbour, "iban"))
    assert voter(desk, desk.caller).locked_until is None
    assert voter(desk, desk.neighbour).locked_until is None


def test_failures_older_than_24_hours_do_not_count(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    fail(desk, call.id)
    fail(desk, call.id)
    desk.clock.advance(hours=24, seconds=1)
    assert fail(desk, call.id) == FIRST_FAILURE
    assert voter(desk, desk.caller).locked_until is None


def test_a_malformed_document_does_not_verify_in_person_and_does_not_lock(desk: Desk) -> None:
    call = open_call(desk, desk.caller, PRESIDENT_NORD, channel="president")
    for typed in ("cni:12", "ticket:1234", "cni"):
        result = verify_identity(desk.deps, PRESIDENT_NORD, call.id, {"in_person": typed})
        assert result.message == "Identité non vérifiée."
    assert voter(desk, desk.caller).locked_until is None


# --------------------------------------------------------------------------- unlock


def test_a_supervisor_unlocks_a_voter_and_earlier_failures_no_longer_count(desk: Desk) -> None:
    lock_caller(desk)
    desk.clock.advance(minutes=5)
    unlock_voter(desk.deps, SUPERVISOR, desk.caller.voter_id, UNLOCK_REASON)
    assert voter(desk, desk.caller).locked_until is None
    [entry] = entries(desk.deps, "voter_unlock")
    assert (entry["operator"], entry["details"]["reason"]) == ("sup", UNLOCK_REASON)
    desk.clock.advance(minutes=1)
    call = open_call(desk, desk.caller)
    fail(desk, call.id)
    fail(desk, call.id)  # five failures in 24 h, but only two since the unlock
    assert voter(desk, desk.caller).locked_until is None
    assert verify_identity(desk.deps, AGENT, call.id, desk.caller.phone_answers()).verified


def test_an_agent_cannot_unlock_a_voter(desk: Desk) -> None:
    lock_caller(desk)
    with pytest.raises(Forbidden):
        unlock_voter(desk.deps, AGENT, desk.caller.voter_id, UNLOCK_REASON)
    assert voter(desk, desk.caller).locked_until is not None


def test_unlocking_needs_a_reason(desk: Desk) -> None:
    lock_caller(desk)
    with pytest.raises(ServiceError, match="Motif trop court"):
        unlock_voter(desk.deps, SUPERVISOR, desk.caller.voter_id, "  ok  ")
    assert voter(desk, desk.caller).locked_until is not None
    assert entries(desk.deps, "voter_unlock") == []


# ------------------------------------------------------------------------- validity


def test_a_verification_lasts_ten_minutes(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    desk.clock.advance(minutes=9, seconds=59)
    assert current_intervention(desk.deps, AGENT).verified_until is not None  # type: ignore[union-attr]
    desk.clock.advance(seconds=1)
    assert current_intervention(desk.deps, AGENT).verified_until is None  # type: ignore[union-attr]
    with pytest.raises(ServiceError, match="vérification expirée"):
        issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "password")


def test_no_verification_once_the_election_is_closed(desk: Desk) -> None:
    desk.clock.now = datetime(2022, 12, 8, 17, 0, tzinfo=PARIS)
    call = open_call(desk, desk.caller)
    with pytest.raises(ServiceError, match="clos"):
        verify_identity(desk.deps, AGENT, call.id, desk.caller.phone_answers())


# ----------------------------------------------------------- men-2022 (Education)


def _teacher_sets(teacher: Caller) -> dict[str, dict[str, str]]:
    row = teacher.row
    return {
        "challenge_numen": {
            "challenge_answer": row["reponse_defi"].upper() + " ",
            "numen": row["numen"].lower(),
        },
        "challenge_nir10": {
            "challenge_answer": row["reponse_defi"],
            "nir10": f"{row['nir'][:5]} {row['nir'][5:10]}",
        },
    }


@pytest.mark.parametrize("answer_set", ["challenge_numen", "challenge_nir10"])
def test_education_sets_verify_a_caller(desk: Desk, answer_set: str) -> None:
    call = open_call(desk, desk.teacher)
    answers = _teacher_sets(desk.teacher)[answer_set]
    result = verify_identity(desk.deps, AGENT, call.id, answers)
    assert result.verified, result.message
    assert entries(desk.deps, "verification")[-1]["details"]["set"] == sorted(answers)


def test_education_2011_verifies_a_caller_without_notice_by_numen_and_department(
    desk: Desk,
) -> None:
    desk.clock.now = MEN_2011_OPEN
    call = open_call(desk, desk.without_notice)
    answers = desk.without_notice.without_notice_answers()
    result = verify_identity(desk.deps, AGENT, call.id, answers)
    assert result.verified, result.message
    assert entries(desk.deps, "verification")[-1]["details"]["set"] == sorted(answers)


def test_education_2022_no_longer_takes_numen_and_department(desk: Desk) -> None:
    call = open_call(desk, desk.teacher)
    row = desk.teacher.row
    answers = {"numen": row["numen"], "birth_department": row["nir"][5:7]}
    with pytest.raises(ServiceError, match=r"Réponses? manquantes?"):
        verify_identity(desk.deps, AGENT, call.id, answers)


def test_education_refuses_a_wrong_challenge_answer(desk: Desk) -> None:
    call = open_call(desk, desk.teacher)
    answers = _teacher_sets(desk.teacher)["challenge_numen"] | {"challenge_answer": "Paris"}
    result = verify_identity(desk.deps, AGENT, call.id, answers)
    assert (result.verified, result.message) == (False, FIRST_FAILURE)


def test_education_refuses_the_minint_set(desk: Desk) -> None:
    call = open_call(desk, desk.teacher)
    answers = {"birth_date": desk.teacher.row["date_naissance"], "iban": "123456",
               "agent_card": "ABCDEF"}
    with pytest.raises(ServiceError, match="NUMEN"):
        verify_identity(desk.deps, AGENT, call.id, answers)


def test_a_locked_voter_is_sent_no_one_time_code(desk: Desk) -> None:
    lock_caller(desk)
    call = open_call(desk, desk.caller)
    with pytest.raises(Forbidden, match="verrouillé"):
        send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    assert entries(desk.deps, "otp_send") == []
