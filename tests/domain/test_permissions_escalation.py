"""What a supervisor may do on an escalated case (issue 14 §5), in the one rule of what
may be done: take a case once, then, as its owner only, read its callback number and
close it."""

import pytest

from csu.domain.escalation import CLOSED, OVERDUE, TAKEN, WAITING
from csu.domain.permissions import CaseSituation, case_refusal


def case(
    state: str = WAITING,
    owner: str | None = None,
    *,
    callback: bool = True,
    role: str = "superviseur",
) -> CaseSituation:
    return CaseSituation(role, "superviseur", state, owner, has_callback=callback)


@pytest.mark.parametrize("state", [WAITING, OVERDUE])
def test_a_waiting_case_may_be_taken(state: str) -> None:
    assert case_refusal("take", case(state)) is None


def test_a_case_another_supervisor_took_is_not_taken_again() -> None:
    found = case_refusal("take", case(TAKEN, "sup2"))
    assert found is not None and found.reason == "Dossier déjà pris en charge par « sup2 »"


def test_a_case_one_took_already_says_so() -> None:
    found = case_refusal("take", case(TAKEN, "superviseur"))
    assert found is not None and found.reason == "Vous avez déjà pris ce dossier en charge"


@pytest.mark.parametrize("action", ["callback", "close_case"])
def test_the_callback_and_the_close_wait_for_the_case_to_be_taken(action: str) -> None:
    found = case_refusal(action, case())
    assert found is not None and found.step == "take"


@pytest.mark.parametrize("action", ["callback", "close_case"])
def test_only_the_owner_reads_the_number_and_closes(action: str) -> None:
    assert case_refusal(action, case(TAKEN, "superviseur")) is None
    found = case_refusal(action, case(TAKEN, "sup2"))
    assert found is not None and found.forbidden and "« sup2 »" in found.reason


def test_a_case_without_a_callback_number_says_so() -> None:
    found = case_refusal("callback", case(TAKEN, "superviseur", callback=False))
    assert found is not None
    assert found.sentence == "Aucun numéro de rappel n'a été noté pour ce dossier."


@pytest.mark.parametrize("action", ["take", "callback", "close_case"])
def test_a_closed_case_allows_nothing(action: str) -> None:
    found = case_refusal(action, case(CLOSED, "superviseur"))
    assert found is not None and found.sentence == "Ce dossier est clos."


def test_no_case_chosen_says_so() -> None:
    found = case_refusal("take", None)
    assert found is not None and found.sentence == "Aucun dossier sélectionné."


def test_cases_are_for_supervisors() -> None:
    found = case_refusal("take", case(role="agent"))
    assert found is not None and found.forbidden


def test_an_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        case_refusal("delete", case())
