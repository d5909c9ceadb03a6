"""A roll import that moves a voter to another bureau closes the in-person intervention
their former president left open on them: the president may no longer open that file,
the only place it is closed from, and was refused every other voter until logging out."""

import pytest
from sqlalchemy import update

from csu.fake_electorate import write_roll_csv
from csu.services.context import Forbidden, NotFound, ServiceError
from csu.services.interventions import (
    MOVED_NOTE,
    close_intervention,
    current_intervention,
    open_intervention,
)
from csu.services.presence import MOVED_AWAY, attest_presence, request_presence_check
from csu.services.rolls import ImportReport, import_voters
from csu.services.voters import open_voter
from csu.store.tables import Material
from tests.conftest import ADMIN, AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    PRESIDENT_NORD,
    Caller,
    Desk,
    desk_fixture,
    entries,
    in_person_call,
    open_call,
)


def moved(desk: Desk, caller: Caller, bureau: str) -> ImportReport:
    """The caller's row imported again, in ``bureau``."""
    path = desk.tmp_path / "moved.csv"
    write_roll_csv([caller.row | {"bureau": bureau}], path)
    report = import_voters(desk.deps, ADMIN, path, caller.election)
    assert report.committed, report.errors
    return report


def test_moving_the_voter_closes_the_presidents_open_case_as_abandoned(desk: Desk) -> None:
    call = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    report = moved(desk, desk.caller, "B-SUD")
    assert report.abandoned == 1
    assert current_intervention(desk.deps, PRESIDENT_NORD) is None
    [closed] = entries(desk.deps, "intervention_close", call)
    assert (closed["outcome"], closed["details"]) == ("abandonné", {"note": MOVED_NOTE})
    assert closed["operator"] == ADMIN.login  # who caused it, not the president


def test_the_close_comes_after_the_imports_own_entry(desk: Desk) -> None:
    call = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    moved(desk, desk.caller, "B-SUD")
    actions = [e["action"] for e in entries(desk.deps)]
    assert actions.index("roll_import", actions.index("intervention_open")) < actions.index(
        "intervention_close"
    ), call


def test_the_president_may_then_take_another_voter_of_their_bureau(desk: Desk) -> None:
    in_person_call(desk, desk.caller, PRESIDENT_NORD)
    moved(desk, desk.caller, "B-SUD")
    call = open_intervention(desk.deps, PRESIDENT_NORD, desk.neighbour.voter_id, "president")
    assert call.voter_id == desk.neighbour.voter_id


def test_the_president_s_next_step_on_the_case_says_why_it_was_closed(desk: Desk) -> None:
    call = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    moved(desk, desk.caller, "B-SUD")
    # Before, « Cette intervention est close » and no reason.
    with pytest.raises(ServiceError, match=f"close \\(abandonnée\\) : {MOVED_NOTE}\\."):
        close_intervention(desk.deps, PRESIDENT_NORD, call, "résolu")


def test_a_case_the_operator_closed_says_only_that_it_is_closed(desk: Desk) -> None:
    call = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    close_intervention(desk.deps, PRESIDENT_NORD, call, "résolu")
    with pytest.raises(ServiceError, match=r"^Cette intervention est close : ouvrez-en"):
        close_intervention(desk.deps, PRESIDENT_NORD, call, "résolu")


def test_the_moved_voters_file_stays_closed_to_their_former_president(desk: Desk) -> None:
    in_person_call(desk, desk.caller, PRESIDENT_NORD)
    moved(desk, desk.caller, "B-SUD")
    with pytest.raises(NotFound):
        open_voter(desk.deps, PRESIDENT_NORD, desk.caller.voter_id)


def test_a_voter_kept_in_the_bureau_keeps_the_case_open(desk: Desk) -> None:
    call = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    report = moved(desk, desk.caller, "B-NORD")  # the same row again
    assert report.abandoned == 0
    found = current_intervention(desk.deps, PRESIDENT_NORD)
    assert found is not None and found.id == call
    assert entries(desk.deps, "intervention_close") == []


def test_moving_another_voter_leaves_the_presidents_case_open(desk: Desk) -> None:
    call = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    assert moved(desk, desk.neighbour, "B-SUD").abandoned == 0
    found = current_intervention(desk.deps, PRESIDENT_NORD)
    assert found is not None and found.id == call


def test_an_agents_call_on_the_moved_voter_stays_open(desk: Desk) -> None:
    """An agent reaches every voter's file: their call is theirs to close."""
    call = open_call(desk, desk.caller)
    assert moved(desk, desk.caller, "B-SUD").abandoned == 0
    assert entries(desk.deps, "intervention_close", call.id) == []


def test_an_import_refused_closes_nothing(desk: Desk) -> None:
    call = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    path = desk.tmp_path / "moved.csv"
    write_roll_csv([desk.caller.row | {"bureau": "B-SUD"}, desk.neighbour.row | {"nom": ""}], path)
    report = import_voters(desk.deps, ADMIN, path, desk.caller.election)
    assert not report.committed
    found = current_intervention(desk.deps, PRESIDENT_NORD)
    assert found is not None and found.id == call


def test_an_import_of_another_election_closes_none_of_this_ones(desk: Desk) -> None:
    call = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    with desk.deps.writing() as session:  # moved some other way than by this import
        material = update(Material).where(Material.id == desk.caller.material_id)
        session.execute(material.values(bureau_code="B-SUD"))
    assert moved(desk, desk.teacher, desk.teacher.bureau).abandoned == 0
    found = current_intervention(desk.deps, PRESIDENT_NORD)
    assert found is not None and found.id == call


def s2_request(desk: Desk) -> str:
    """An agent's S2 call on the caller, and its request to the president of B-NORD."""
    call = open_call(desk, desk.caller, channel="president", president_login="pres.nord")
    return request_presence_check(desk.deps, AGENT, call.id).id


def test_moving_the_voter_declines_the_check_waiting_for_their_former_president(
    desk: Desk,
) -> None:
    check_id = s2_request(desk)
    report = moved(desk, desk.caller, "B-SUD")
    assert report.declined == 1
    [entry] = entries(desk.deps, "presence_decline")
    assert (entry["operator"], entry["details"]["presence_check"]) == (ADMIN.login, check_id)
    assert entry["details"]["reason"] == MOVED_AWAY


def test_the_former_president_s_press_on_a_moved_voter_s_check_is_no_role_refusal(
    desk: Desk,
) -> None:
    # The roll's doing, not theirs: the review must not show them trying a crafted call.
    check_id = s2_request(desk)
    with desk.deps.writing() as session:  # moved by a write that declined nothing
        session.execute(
            update(Material)
            .where(Material.voter_id == desk.caller.voter_id)
            .values(bureau_code="B-SUD")
        )
    with pytest.raises(Forbidden, match="ne vote pas dans votre bureau"):
        attest_presence(desk.deps, PRESIDENT_NORD, check_id, "cni", "1234")
    assert entries(desk.deps, "role_refused") == []
