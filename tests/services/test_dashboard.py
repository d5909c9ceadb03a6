"""The dashboard's figures on interventions built through the desk."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from csu.domain.clock import to_paris
from csu.services.context import Forbidden
from csu.services.dashboard import Escalations, PlatformActivity, dashboard
from csu.services.emargement import EmargementEvent, ingest_emargements
from csu.services.escalation import close_escalation, take_escalation
from csu.services.interventions import close_intervention
from csu.services.platform_clients import (
    Platform,
    add_platform_client,
    authenticate,
    note_call,
)
from csu.services.verification import verify_identity
from csu.store.tables import Escalation
from tests.api.conftest import login_path, serve
from tests.conftest import ADMIN, AGENT, NOW, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    Caller,
    Desk,
    desk_fixture,
    handed_over,
    open_call,
    verified_call,
    wrong,
)


def a_busy_morning(desk: Desk) -> None:
    """agent: a key issued and the case closed résolu; agent2: a failed verification,
    case left open (it is 11:30 in Paris)."""
    call = verified_call(desk, desk.caller)
    handed_over(desk.deps, AGENT, call, desk.caller.material_id, "security_key")
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
    assert actions["credential_issue"] == 1
    assert actions["verification"] == 2


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


# ------------------------------------------ self-service and escalated cases (issue 14)


def close_calls(desk: Desk, *outcomes: tuple[Caller, str]) -> None:
    for caller, outcome in outcomes:
        close_intervention(desk.deps, AGENT, open_call(desk, caller).id, outcome)


def test_calls_redirected_to_self_service_are_counted_among_those_closed(desk: Desk) -> None:
    close_calls(
        desk,
        (desk.caller, "redirigé"),
        (desk.neighbour, "redirigé"),
        (desk.southerner, "résolu"),
        (desk.teacher, "redirigé"),  # men-2022: another election's
    )
    today = dashboard(desk.deps, SUPERVISOR, "minint-2022").today
    assert today is not None
    assert (today.redirected, today.closed) == (2, 3)
    assert today.redirected_share == pytest.approx(2 / 3)


def test_redirected_calls_of_earlier_days_count_since_the_support_began(desk: Desk) -> None:
    close_calls(desk, (desk.caller, "redirigé"), (desk.neighbour, "résolu"))
    desk.clock.advance(days=1)
    close_calls(desk, (desk.southerner, "résolu"))
    figures = dashboard(desk.deps, SUPERVISOR, "minint-2022")
    assert figures.today is not None and figures.election is not None
    assert (figures.today.redirected, figures.today.closed) == (0, 1)
    assert (figures.election.redirected, figures.election.closed) == (1, 3)


def test_no_share_of_redirected_calls_when_none_closed(desk: Desk) -> None:
    open_call(desk, desk.caller)
    today = dashboard(desk.deps, SUPERVISOR, "minint-2022").today
    assert today is not None and today.closed == 0
    assert today.redirected_share is None


def escalate(desk: Desk, caller: Caller) -> int:
    """A call on ``caller`` closed « escaladé » now; the case's id."""
    call = open_call(desk, caller)
    close_intervention(desk.deps, AGENT, call.id, "escaladé", "rappel demandé par l'électeur")
    with desk.deps.reading() as session:
        return session.execute(
            select(Escalation.id).where(Escalation.intervention_id == call.id)
        ).scalar_one()


def take_and_close(desk: Desk, case_id: int) -> None:
    take_escalation(desk.deps, SUPERVISOR, case_id)
    close_escalation(desk.deps, SUPERVISOR, case_id, "résolu", "électeur rappelé, clé réémise")


def test_the_elections_escalated_cases_are_counted_by_state(desk: Desk) -> None:
    desk.clock.now = NOW - timedelta(days=1)
    take_and_close(desk, escalate(desk, desk.caller))  # closed yesterday: not today's
    desk.clock.now = NOW - timedelta(minutes=61)
    escalate(desk, desk.neighbour)  # minint-2022 gives 60 minutes: overdue by now
    desk.clock.now = NOW - timedelta(minutes=30)
    take_escalation(desk.deps, SUPERVISOR, escalate(desk, desk.southerner))
    take_and_close(desk, escalate(desk, desk.caller))
    desk.clock.now = NOW
    escalate(desk, desk.caller)  # waiting, within its deadline
    escalate(desk, desk.teacher)  # men-2022: another election's
    figures = dashboard(desk.deps, SUPERVISOR, "minint-2022")
    assert figures.escalations == Escalations(waiting=1, overdue=1, taken=1, closed_today=1)
    other = dashboard(desk.deps, SUPERVISOR, "men-2022").escalations
    assert other == Escalations(waiting=1, overdue=0, taken=0, closed_today=0)


def test_a_case_becomes_overdue_at_its_deadline(desk: Desk) -> None:
    escalate(desk, desk.caller)
    desk.clock.advance(minutes=59)
    assert dashboard(desk.deps, SUPERVISOR, "minint-2022").escalations == Escalations(1, 0, 0, 0)
    desk.clock.advance(minutes=1)
    assert dashboard(desk.deps, SUPERVISOR, "minint-2022").escalations == Escalations(0, 1, 0, 0)


# ------------------------------------------------------- émargements and platforms


def platform(desk: Desk, name: str = "neovote") -> tuple[Platform, str]:
    """A platform client reaching minint-2022, as authenticated, and its key."""
    key = add_platform_client(desk.deps, ADMIN, name, ["minint-2022"]).key
    return authenticate(desk.deps, key), key


def voted(caller: Caller, scrutin: str, at: str) -> EmargementEvent:
    return EmargementEvent(f"nv-{caller.identifier}-{scrutin}", caller.identifier, scrutin, at)


def activity(desk: Desk, name: str = "neovote") -> PlatformActivity:
    figures = dashboard(desk.deps, SUPERVISOR, "minint-2022")
    return next(p for p in figures.platforms if p.name == name)


def test_emargements_are_counted_per_paris_hour_of_the_vote(desk: Desk) -> None:
    client, _ = platform(desk)
    second = desk.caller.row["scrutins"].split("|")[1]  # cap or ccp
    ingest_emargements(desk.deps, client, "minint-2022", [
        voted(desk.caller, "csa", "2022-12-02T09:15:00Z"),  # 10:15 in Paris
        voted(desk.caller, second, "2022-12-02T09:40:00Z"),
        voted(desk.neighbour, "csa", "2022-12-02T10:05:00Z"),  # 11:05
    ])  # fmt: skip
    votes = dashboard(desk.deps, SUPERVISOR, "minint-2022").votes
    assert votes is not None and votes.total == 3
    counted = {f"{hour:%d/%m %H}h": count for hour, count in votes.per_hour if count}
    assert counted == {"02/12 10h": 2, "02/12 11h": 1}
    first, last = votes.per_hour[0][0], votes.per_hour[-1][0]
    assert (f"{first:%d/%m %H}h", f"{last:%d/%m %H}h") == ("01/12 09h", "02/12 11h")


def test_no_emargement_chart_before_the_vote_opens(desk: Desk) -> None:
    desk.clock.now = datetime(2022, 11, 30, 10, 0, tzinfo=UTC)
    figures = dashboard(desk.deps, SUPERVISOR, "minint-2022")
    assert figures.votes is None
    assert "men-2022" in figures.elections and "minint-2022" in figures.elections


def test_a_platforms_last_call_is_kept_to_the_half_minute(desk: Desk) -> None:
    client, key = platform(desk)
    assert activity(desk).last_call is None
    note_call(desk.deps, client)
    assert activity(desk).last_call == to_paris(NOW)
    desk.clock.advance(seconds=20)
    note_call(desk.deps, authenticate(desk.deps, key))
    assert activity(desk).last_call == to_paris(NOW)  # not written again so soon
    desk.clock.advance(seconds=15)
    note_call(desk.deps, authenticate(desk.deps, key))
    assert activity(desk).last_call == to_paris(NOW + timedelta(seconds=35))


def test_the_last_batch_is_shown_and_its_silence_flagged(desk: Desk) -> None:
    client, _ = platform(desk)
    ingest_emargements(desk.deps, client, "minint-2022",
                       [voted(desk.caller, "csa", "2022-12-02T10:00:00Z")])  # fmt: skip
    shown = activity(desk)
    assert shown.last_batch == to_paris(NOW) and not shown.silent
    assert shown.silence_minutes == 30  # minint-2022.toml, [platform]
    desk.clock.advance(minutes=30)
    assert activity(desk).silent


def test_a_platform_of_another_election_is_not_listed(desk: Desk) -> None:
    add_platform_client(desk.deps, ADMIN, "educ-vote", ["men-2022"])
    platform(desk)
    names = [p.name for p in dashboard(desk.deps, SUPERVISOR, "minint-2022").platforms]
    assert names == ["neovote"]


def test_a_call_through_the_api_is_the_platforms_last_call(desk: Desk) -> None:
    _, key = platform(desk)
    body = {"identifier": "INCONNU-0000", "secrets": {"security_key": "x", "password": "y"}}
    with serve(desk) as server:
        answer = httpx.post(f"{server.url}{login_path()}", json=body,
                            headers={"Authorization": f"Bearer {key}"}, timeout=60)  # fmt: skip
    assert answer.status_code == 200
    assert activity(desk).last_call == to_paris(NOW)
