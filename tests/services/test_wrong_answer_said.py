"""A caller verified by one set of answers while an answer of another set was wrong: the
agent is told which (« Attention, réponse fausse : 10 premiers chiffres du NIR »), and the
journal keeps the failed factor. Before, « Identité vérifiée » alone: the agent took every
answer for checked, and a caller who gets their NIR wrong is one to watch."""

import pytest

from csu.services.context import Forbidden
from csu.services.elections import load_election
from csu.services.interventions import close_intervention
from csu.services.verification import VerificationResult, verify_identity
from tests.conftest import ADMIN, AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    ELECTIONS,
    Desk,
    desk_fixture,
    entries,
    open_call,
    wrong,
)


def test_a_wrong_answer_beside_a_set_that_verifies_is_named(desk: Desk) -> None:
    row = desk.teacher.row
    call = open_call(desk, desk.teacher)
    answers = {"numen": row["numen"], "challenge_answer": row["reponse_defi"],
               "nir10": wrong(row["nir"][:10])}  # fmt: skip
    result = verify_identity(desk.deps, AGENT, call.id, answers)
    assert result.verified
    assert result.wrong == ("nir10",)
    assert "Attention, réponse fausse : 10 premiers chiffres du NIR" in result.message
    [entry] = entries(desk.deps, "verification", intervention=call.id)
    assert entry["details"]["factors_failed"] == ["nir10"]


def test_a_verification_with_every_answer_right_says_nothing_more(desk: Desk) -> None:
    row = desk.teacher.row
    call = open_call(desk, desk.teacher)
    answers = {"numen": row["numen"], "challenge_answer": row["reponse_defi"]}
    result = verify_identity(desk.deps, AGENT, call.id, answers)
    assert result.verified and result.wrong == ()
    assert result.message.startswith("Identité vérifiée (valable jusqu'à ")
    assert "Attention" not in result.message


def verified_with_a_wrong_nir(desk: Desk, call_id: str, guess: str) -> VerificationResult:
    row = desk.teacher.row
    answers = {"numen": row["numen"], "challenge_answer": row["reponse_defi"], "nir10": guess}
    return verify_identity(desk.deps, AGENT, call_id, answers)


def test_a_wrong_answer_beside_a_set_that_verifies_counts_towards_the_lock(desk: Desk) -> None:
    call = open_call(desk, desk.teacher)
    result = verified_with_a_wrong_nir(desk, call.id, wrong(desk.teacher.row["nir"][:10]))
    assert result.verified
    assert (result.failures, result.failure_limit) == (1, 3)
    assert "cet échec compte : 1er échec sur 3 en 24 h" in result.message
    assert result.locked_until is None


def test_a_factor_guessed_beside_a_set_that_verifies_locks_the_voter_at_the_third(
    desk: Desk,
) -> None:
    """Told which answer was wrong, one guessed a NIR's digits at will: seven guesses,
    each « vérifiée », the voter never locked (attack run)."""
    call = open_call(desk, desk.teacher)
    nir = desk.teacher.row["nir"][:10]
    guesses = [nir[:-2] + f"{n:02d}" for n in range(100) if f"{n:02d}" != nir[-2:]][:3]
    results = [verified_with_a_wrong_nir(desk, call.id, guess) for guess in guesses]
    assert [r.failures for r in results] == [1, 2, 3]
    assert results[-1].locked_until is not None
    assert "électeur verrouillé pour la vérification à distance" in results[-1].message
    with pytest.raises(Forbidden, match="verrouillé"):
        verified_with_a_wrong_nir(desk, call.id, nir)


def test_every_answer_right_counts_no_failure(desk: Desk) -> None:
    call = open_call(desk, desk.teacher)
    result = verified_with_a_wrong_nir(desk, call.id, desk.teacher.row["nir"][:10])
    assert result.verified and result.wrong == ()
    assert result.failures is None and "échec" not in result.message


# men-2022 with a set that checks the number called from: tried on every call.
WITH_CALLER_ID = (ELECTIONS / "men-2022.toml").read_text(encoding="utf-8").replace(
    '    ["challenge_answer", "nir10"],\n]\n# Demande écrite',
    '    ["challenge_answer", "nir10"],\n    ["caller_id", "numen"],\n]\n# Demande écrite',
).replace(
    'identity_fields = ["numen", "nir", "challenge", "email", "birth_date"]',
    'identity_fields = ["numen", "nir", "challenge", "email", "birth_date", "work_phone"]',
)


def test_a_call_from_another_number_than_the_one_on_record_counts_no_failure(
    desk: Desk,
) -> None:
    """The caller's number is checked by itself, nobody types it: a voter calling from
    home three times, every answer right, was locked (the review)."""
    assert WITH_CALLER_ID.count('["caller_id", "numen"]') == 1
    load_election(desk.deps, ADMIN, WITH_CALLER_ID, "men-2022.toml")
    row = desk.teacher.row
    answers = {"numen": row["numen"], "challenge_answer": row["reponse_defi"]}
    for _ in range(3):
        call = open_call(desk, desk.teacher, caller_number="01 44 55 66 77")
        result = verify_identity(desk.deps, AGENT, call.id, answers)
        assert result.verified and result.failures is None and result.locked_until is None
        close_intervention(desk.deps, AGENT, call.id, "résolu")
    [*_, last] = entries(desk.deps, "verification")
    assert last["details"]["factors_failed"] == ["caller_id"]  # tried, and kept as such
