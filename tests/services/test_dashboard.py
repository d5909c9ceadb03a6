"""The dashboard's figures on interventions built through the desk."""

import pytest

from csu.services.context import Forbidden
from csu.services.credentials import issue_credential
from csu.services.dashboard import dashboard
from csu.services.interventions import close_intervention
from csu.services.verification import verify_identity
from tests.conftest import AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    Desk,
    desk_fixture,
    open_call,
    verified_call,
    wrong,
)


def a_busy_morning(desk: Desk) -> None:
    """agent: a key issued and the case closed résolu; agent2: a failed verification,
    case left open (it is 11:30 in Paris)."""
    call = verified_call(desk, desk.caller)
    issue_credential(desk.deps, AGENT, call, desk.caller.material_id, "security_key")
    close_intervention(desk.deps, AGENT, call, "résolu")
    desk.clock.advance(minutes=5)
    other = open_call(desk, desk.neighbour, AGENT_2)
    answers = {k: wrong(v) for k, v in desk.neighbour.phone_answers().items()}
    assert not verify_identity(desk.deps, AGENT_2, other.id, answers).verified


def test_today_counts_interventions_by_operator_outcome_and_action(desk: Desk) -> None:
    a_busy_morning(desk)
    today = dashboard(desk.deps, SUPERVISOR, "minint-2022").today
    assert today is not None
    assert today.interventions == 2
    assert dict(today.by_operator) == {"agent": 1, "agent2": 1}
    assert dict(today.by_outcome) == {"résolu": 1}
    actions = dict(today.by_action)
    assert actions["code délivré"] == 1
    assert actions["vérification d'identité"] == 2


def test_interventions_per_hour_fall_in_the_paris_hour(desk: Desk) -> None:
    a_busy_morning(desk)
    today = dashboard(desk.deps, SUPERVISOR, "minint-2022").today
    assert today is not None
    per_hour = {f"{moment:%H}": count for moment, count in today.per_hour}
    assert per_hour["11"] == 2
    assert sum(per_hour.values()) == 2
    assert sorted(per_hour) == [f"{hour:02d}" for hour in range(12)]  # 00h to 11h


def test_the_election_so_far_includes_earlier_days(desk: Desk) -> None:
    a_busy_morning(desk)
    desk.clock.advance(days=1)
    figures = dashboard(desk.deps, SUPERVISOR, "minint-2022")
    assert figures.today is not None and figures.today.interventions == 0
    assert figures.election is not None and figures.election.interventions == 2


def test_what_waits_now_is_counted(desk: Desk) -> None:
    a_busy_morning(desk)
    figures = dashboard(desk.deps, SUPERVISOR)  # the cell's, whatever the election
    assert figures.open_interventions == 1
    assert (figures.locked_voters, figures.pending_approvals, figures.failed_messages) == (
        0, 0, 0
    )  # fmt: skip


def test_three_failures_show_a_locked_voter(desk: Desk) -> None:
    answers = {k: wrong(v) for k, v in desk.caller.phone_answers().items()}
    for _ in range(3):
        call = open_call(desk, desk.caller)
        verify_identity(desk.deps, AGENT, call.id, answers)
        close_intervention(desk.deps, AGENT, call.id, "refusé")
    assert dashboard(desk.deps, SUPERVISOR).locked_voters == 1


def test_an_agent_is_refused_the_dashboard(desk: Desk) -> None:
    with pytest.raises(Forbidden):
        dashboard(desk.deps, AGENT)


def test_a_refresh_counts_what_was_appended_since(desk: Desk) -> None:
    a_busy_morning(desk)
    before = dashboard(desk.deps, SUPERVISOR, "minint-2022").today
    desk.clock.advance(minutes=5)
    open_call(desk, desk.southerner)
    after = dashboard(desk.deps, SUPERVISOR, "minint-2022").today
    assert before is not None and after is not None
    assert (before.interventions, after.interventions) == (2, 3)
