"""A refusal by the per-voter limits (3 messages an hour, 10 a day; 3 codes an hour)
says from when sending is possible again, Paris time, and what the agent may do
meanwhile."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from csu.services.context import ServiceError
from csu.services.one_time_codes import send_one_time_code
from csu.services.outbox import PER_DAY, PER_HOUR, enqueue, resume_text
from csu.store.tables import Voter
from tests.conftest import AGENT, NOW
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    open_call,
)
from tests.services.test_outbox import outgoing, queue

# NOW is 11:30 in Paris (UTC+1 in December).
OTHER_QUESTION = "En attendant, vérifiez l'identité par une autre question, sans code."


def refusal(desk: Desk, purpose: str = "otp") -> str:
    with pytest.raises(ServiceError) as refused, desk.deps.writing() as session:
        voter = session.get(Voter, desk.caller.voter_id)
        assert voter is not None
        enqueue(
            session, desk.deps, AGENT, voter, replace(outgoing(), purpose=purpose),
            election_id=desk.caller.election, intervention_id=None, now=desk.clock(),
        )  # fmt: skip
    return str(refused.value)


def three_in_the_hour(desk: Desk) -> None:
    for _ in range(PER_HOUR):
        queue(desk)
        desk.clock.advance(minutes=10)


def test_the_hourly_refusal_says_when_sending_is_possible_again(desk: Desk) -> None:
    three_in_the_hour(desk)  # 11:30, 11:40, 11:50
    assert refusal(desk).startswith(
        "3 messages déjà envoyés à cet électeur dans l'heure : nouvel envoi possible à "
        "partir de 12:30 (heure de Paris)."
    )


def test_the_time_given_is_the_next_minute_never_one_too_early(desk: Desk) -> None:
    desk.clock.advance(seconds=10)  # the first at 11:30:10: possible again at 12:30:10
    three_in_the_hour(desk)
    assert "à partir de 12:31 (heure de Paris)" in refusal(desk)


def test_the_daily_refusal_says_when_sending_is_possible_again(desk: Desk) -> None:
    for _ in range(PER_DAY):
        queue(desk)
        desk.clock.advance(minutes=25)  # never 3 in an hour
    assert refusal(desk).startswith(
        "10 messages déjà envoyés à cet électeur en 24 h : nouvel envoi possible à partir "
        "de demain 11:30 (heure de Paris)."
    )


def test_a_code_refused_by_the_limit_suggests_another_question(desk: Desk) -> None:
    three_in_the_hour(desk)
    assert refusal(desk, "otp").endswith(OTHER_QUESTION)


def test_a_link_refused_by_the_limit_suggests_the_self_service(desk: Desk) -> None:
    three_in_the_hour(desk)
    assert "libre-service" in refusal(desk, "vote_code_link")


def test_the_fourth_code_in_an_hour_says_when_and_what_else(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    for _ in range(3):
        send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
        desk.clock.advance(minutes=1)
    with pytest.raises(ServiceError) as refused:
        send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    assert str(refused.value) == (
        "3 codes déjà envoyés à cet électeur dans l'heure : nouvel envoi possible à partir "
        f"de 12:30 (heure de Paris). {OTHER_QUESTION}"
    )


@pytest.mark.parametrize(
    ("moment", "said"),
    [
        (NOW + timedelta(minutes=5), "11:35"),
        (NOW + timedelta(hours=13, minutes=30), "demain 01:00"),
        (datetime(2022, 12, 5, 8, 5, tzinfo=UTC), "le 05/12 à 09:05"),
    ],
)
def test_the_time_is_said_as_an_agent_says_it(moment: datetime, said: str) -> None:
    assert resume_text(moment, NOW) == said
