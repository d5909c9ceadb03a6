"""The state of an escalated case at a moment, and its deadline (csu.domain.escalation)."""

from datetime import UTC, datetime, timedelta

import pytest

from csu.domain import escalation as rules
from csu.domain.errors import InvalidValue

AT = datetime(2022, 12, 2, 10, 0, tzinfo=UTC)
DEADLINE = rules.deadline(AT, 60)


def state(now: datetime, taken: datetime | None = None, closed: datetime | None = None) -> str:
    return rules.case_state(taken_at=taken, closed_at=closed, deadline_at=DEADLINE, now=now)


def test_the_deadline_is_the_files_minutes_after_the_escalation() -> None:
    assert rules.deadline(AT, 60) - AT == timedelta(hours=1)


def test_an_untaken_case_waits_then_is_overdue_at_its_deadline() -> None:
    assert state(DEADLINE - timedelta(seconds=1)) == rules.WAITING
    assert state(DEADLINE) == rules.OVERDUE


def test_a_taken_case_is_never_overdue() -> None:
    assert state(DEADLINE + timedelta(hours=5), taken=AT + timedelta(minutes=90)) == rules.TAKEN


def test_a_closed_case_stays_closed() -> None:
    assert state(DEADLINE, taken=AT, closed=AT + timedelta(minutes=5)) == rules.CLOSED


def test_a_case_closes_as_resolved_or_refused_only() -> None:
    assert rules.check_close_outcome("résolu") == "résolu"
    with pytest.raises(InvalidValue, match="résolu, refusé"):
        rules.check_close_outcome("escaladé")


def test_an_escalation_note_holding_the_number_to_call_back_is_refused() -> None:
    with pytest.raises(InvalidValue, match=r"« Numéro de rappel »"):
        rules.check_escalation_note("rappeler au 06 12 34 56 78", has_callback=False)


def test_a_number_in_an_escalation_note_is_accepted_beside_a_callback_number() -> None:
    rules.check_escalation_note("fixe : 01 44 55 66 77", has_callback=True)


def test_an_escalation_note_says_why() -> None:
    with pytest.raises(InvalidValue, match="pourquoi"):
        rules.check_escalation_note("", has_callback=True)
