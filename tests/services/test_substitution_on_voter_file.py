"""The voter file lists the voter's requests for substitution material: a refusal came
after the call and left no trace on the file, so that an agent the voter called back
(as the refusal's notice tells them to) could not say why."""

from csu.services.substitution import decide_substitution
from csu.services.voters import open_voter
from tests.conftest import AGENT, SUPERVISOR
from tests.services import test_substitution
from tests.services.test_substitution import Cell, ask

cell = test_substitution.cell  # the fixture: a copy of the prepared CCI store per test

REASON = "Signature manuscrite absente de la demande scannée"


def test_a_refused_request_is_on_the_file_with_its_date_and_reason(cell: Cell) -> None:
    asked = ask(cell)
    cell.clock.advance(minutes=20)
    decide_substitution(cell.deps, SUPERVISOR, asked.id, False, REASON)
    [line] = open_voter(cell.deps, AGENT, cell.voter.voter_id).substitutions
    assert (line.id, line.state, line.reason) == (asked.id, "refused", REASON)
    assert line.decided_at is not None and line.decided_at > line.requested_at
    assert line.election_id == asked.election_id


def test_a_waiting_request_is_on_the_file_undecided(cell: Cell) -> None:
    asked = ask(cell)
    [line] = open_voter(cell.deps, AGENT, cell.voter.voter_id).substitutions
    assert (line.id, line.state, line.decided_at, line.reason) == (asked.id, "pending", None, None)


def test_a_voter_without_a_request_has_none_on_the_file(cell: Cell) -> None:
    ask(cell)
    assert open_voter(cell.deps, AGENT, cell.other.voter_id).substitutions == ()
