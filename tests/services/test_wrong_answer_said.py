"""A caller verified by one set of answers while an answer of another set was wrong: the
agent is told which (« Attention, réponse fausse : 10 premiers chiffres du NIR »), and the
journal keeps the failed factor. Before, « Identité vérifiée » alone: the agent took every
answer for checked, and a caller who gets their NIR wrong is one to watch."""

from csu.services.verification import verify_identity
from tests.conftest import AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
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
