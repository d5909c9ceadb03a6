"""Interventions: opening one per call, who may open which channel, closing, logout."""

import pytest
from sqlalchemy import select

from csu.domain import masking
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import parse_phone
from csu.services.auth import log_out
from csu.services.context import Forbidden, NotFound, ServiceError
from csu.services.interventions import (
    close_intervention,
    current_intervention,
    intervention_steps,
    open_intervention,
)
from csu.services.verification import verify_identity
from csu.services.voters import open_voter
from csu.store.tables import Intervention, Material
from tests.conftest import ADMIN, AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    DISABLED_PRESIDENT,
    PRESIDENT_NORD,
    PRESIDENT_SUD,
    Desk,
    bodies,
    desk_fixture,
    entries,
    open_call,
)


def stored(desk: Desk, intervention_id: str) -> Intervention:
    with desk.deps.reading() as session:
        row = session.get(Intervention, intervention_id)
        assert row is not None
        return row


# ------------------------------------------------------------- the caller's number


def test_opening_records_the_channel_and_the_masked_caller_number(desk: Desk) -> None:
    work_phone = parse_phone(desk.caller.row["telephone_pro"]).e164
    call = open_call(desk, desk.caller, caller_number=desk.caller.row["telephone_pro"])
    assert (call.channel, call.channel_label, call.election_id) == (
        "phone", "téléphone", "minint-2022"
    )
    assert call.caller == masking.mask_phone(work_phone)
    assert call.caller_region == "FR"
    assert call.voter_id == desk.caller.voter_id
    row = stored(desk, call.id)
    assert (row.operator_login, row.caller_masked, row.caller_region) == (
        "agent", masking.mask_phone(work_phone), "FR"
    )


def test_a_call_from_the_registered_work_phone_matches(desk: Desk) -> None:
    call = open_call(desk, desk.caller, caller_number=desk.caller.row["telephone_pro"])
    assert call.caller_matches_work_phone is True
    [opened] = entries(desk.deps, "intervention_open")
    assert opened["details"]["caller_matches_work_phone"] is True


def test_a_call_from_another_number_does_not_match(desk: Desk) -> None:
    call = open_call(desk, desk.caller, caller_number=desk.neighbour.row["telephone_pro"])
    assert call.caller_matches_work_phone is False
    [opened] = entries(desk.deps, "intervention_open")
    assert opened["details"]["caller_matches_work_phone"] is False


def test_a_foreign_number_records_its_region(desk: Desk) -> None:
    call = open_call(desk, desk.caller, caller_number="+32 2 555 12 12")
    assert (call.caller, call.caller_region, call.caller_matches_work_phone) == (
        "+32 2 ** ** * 12", "BE", False
    )


def test_without_a_number_shown_nothing_is_compared(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    assert (call.caller, call.caller_region, call.caller_matches_work_phone) == (
        None, None, None
    )


def test_the_callers_number_is_kept_neither_in_the_table_nor_in_the_journal(desk: Desk) -> None:
    number = "+32 2 555 12 12"
    call = open_call(desk, desk.caller, caller_number=number)
    row = stored(desk, call.id)
    assert row.caller_hash and "3225551212" not in row.caller_hash
    assert "3225551212" not in (row.caller_masked or "")
    assert "3225551212" not in bodies(desk.deps).replace(" ", "")


def test_an_invalid_caller_number_is_refused_before_anything_is_opened(desk: Desk) -> None:
    with pytest.raises(InvalidValue):
        open_call(desk, desk.caller, caller_number="12")
    assert current_intervention(desk.deps, AGENT) is None


# -------------------------------------------------------------- one call at a time


def test_a_second_open_intervention_for_the_same_operator_is_refused(desk: Desk) -> None:
    open_call(desk, desk.caller)
    with pytest.raises(ServiceError, match="déjà ouverte"):
        open_call(desk, desk.neighbour)
    assert len(entries(desk.deps, "intervention_open")) == 1


def test_two_agents_may_each_have_a_call_on_the_same_voter(desk: Desk) -> None:
    first = open_call(desk, desk.caller, AGENT)
    second = open_call(desk, desk.caller, AGENT_2)
    assert first.id != second.id
    assert current_intervention(desk.deps, AGENT_2) == second


def test_the_current_intervention_is_the_open_one_until_it_is_closed(desk: Desk) -> None:
    assert current_intervention(desk.deps, AGENT) is None
    call = open_call(desk, desk.caller)
    assert current_intervention(desk.deps, AGENT) == call
    close_intervention(desk.deps, AGENT, call.id, "résolu")
    assert current_intervention(desk.deps, AGENT) is None
    assert open_call(desk, desk.neighbour).voter_id == desk.neighbour.voter_id


def test_an_unknown_voter_is_not_found(desk: Desk) -> None:
    with pytest.raises(NotFound):
        open_intervention(desk.deps, AGENT, 999_999, "phone")


def test_an_election_the_voter_does_not_vote_in_is_refused(desk: Desk) -> None:
    with pytest.raises(NotFound, match="pas de matériel"):
        open_call(desk, desk.teacher, election_id="minint-2022")
    assert open_call(desk, desk.teacher, election_id="men-2022").election_id == "men-2022"


def test_a_voter_of_two_elections_is_asked_which_one(desk: Desk) -> None:
    with desk.deps.writing() as session:  # the teacher also votes at minint-2022
        session.add(Material(
            voter_id=desk.teacher.voter_id, election_id="minint-2022", capacity="électeur",
            identifier="MI-DEUX-SCRUTINS", bureau_code="B-NORD", created_at=desk.clock(),
        ))  # fmt: skip
    with pytest.raises(ServiceError, match="plusieurs scrutins : précisez lequel"):
        open_call(desk, desk.teacher)
    assert open_call(desk, desk.teacher, election_id="minint-2022").election_id == "minint-2022"


def test_a_channel_the_election_does_not_accept_is_refused(desk: Desk) -> None:
    # minint-2022 defines no "email" channel in its verification policy.
    with pytest.raises(ServiceError, match="courriel"):
        open_call(desk, desk.caller, channel="email")


def test_an_administrator_does_not_open_interventions(desk: Desk) -> None:
    with pytest.raises(Forbidden):
        open_call(desk, desk.caller, ADMIN)


# ------------------------------------------------------------------------ closing


def test_closing_needs_a_known_outcome(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    with pytest.raises(InvalidValue, match="résolu"):
        close_intervention(desk.deps, AGENT, call.id, "terminé")
    assert current_intervention(desk.deps, AGENT) == call


def test_closing_records_the_outcome_and_the_note(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    desk.clock.advance(minutes=4)
    close_intervention(desk.deps, AGENT, call.id, "escaladé", "  rappel demandé  ")
    row = stored(desk, call.id)
    assert (row.outcome, row.note, row.closed_at) == ("escaladé", "rappel demandé", desk.clock.now)
    [closed] = entries(desk.deps, "intervention_close")
    assert (closed["outcome"], closed["details"]) == ("escaladé", {"note": "rappel demandé"})


def test_a_note_longer_than_2000_characters_is_refused(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    with pytest.raises(InvalidValue, match="2000"):
        close_intervention(desk.deps, AGENT, call.id, "résolu", "x" * 2001)
    close_intervention(desk.deps, AGENT, call.id, "résolu", "x" * 2000)
    assert stored(desk, call.id).note == "x" * 2000


def test_a_closed_intervention_cannot_be_closed_again(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    close_intervention(desk.deps, AGENT, call.id, "résolu")
    with pytest.raises(ServiceError, match="close"):
        close_intervention(desk.deps, AGENT, call.id, "refusé")


def test_another_operator_cannot_close_my_intervention(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    with pytest.raises(NotFound):
        close_intervention(desk.deps, AGENT_2, call.id, "résolu")
    assert stored(desk, call.id).closed_at is None


def test_every_journal_entry_of_an_intervention_carries_its_id(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    verify_identity(desk.deps, AGENT, call.id, desk.caller.phone_answers())
    close_intervention(desk.deps, AGENT, call.id, "résolu")
    mine = entries(desk.deps, intervention=call.id)
    assert [e["action"] for e in mine] == [
        "intervention_open", "verification", "intervention_close"
    ]
    assert {e["subject"] for e in mine} == {entries(desk.deps, "intervention_open")[0]["subject"]}
    steps = intervention_steps(desk.deps, AGENT, call.id)
    assert [(s.action, s.outcome) for s in steps] == [
        ("intervention_open", "ok"),
        ("verification", "vérifié"),
        ("intervention_close", "résolu"),
    ]


def test_the_steps_of_an_intervention_are_for_its_operator_and_supervisors(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    with pytest.raises(NotFound):
        intervention_steps(desk.deps, AGENT_2, call.id)
    assert len(intervention_steps(desk.deps, SUPERVISOR, call.id)) == 1


def test_logging_out_closes_an_open_intervention_as_abandonne(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    log_out(desk.deps, AGENT)
    row = stored(desk, call.id)
    assert (row.outcome, row.note) == ("abandonné", "fin de session")
    assert [e["action"] for e in entries(desk.deps)[-2:]] == ["intervention_close", "logout"]
    closed = entries(desk.deps, "intervention_close")[-1]
    assert (closed["intervention"], closed["outcome"]) == (call.id, "abandonné")
    assert current_intervention(desk.deps, AGENT) is None


def test_logging_out_leaves_other_operators_interventions_open(desk: Desk) -> None:
    other = open_call(desk, desk.caller, AGENT_2)
    log_out(desk.deps, AGENT)
    assert entries(desk.deps, "intervention_close") == []
    assert current_intervention(desk.deps, AGENT_2) == other


# --------------------------------------------------------------------- presidents


def test_a_president_opens_an_in_person_case_on_a_voter_of_their_bureau(desk: Desk) -> None:
    assert desk.caller.bureau == PRESIDENT_NORD.bureau
    call = open_call(desk, desk.caller, PRESIDENT_NORD, channel="president")
    assert (call.channel_label, call.president_login, call.president_bureau) == (
        "présentiel via président", "pres.nord", "B-NORD"
    )
    [opened] = entries(desk.deps, "intervention_open")
    assert (opened["details"]["president"], opened["details"]["bureau"]) == (
        "pres.nord", "B-NORD"
    )


def test_a_president_opens_only_the_president_channel(desk: Desk) -> None:
    with pytest.raises(Forbidden, match="présentiel"):
        open_call(desk, desk.caller, PRESIDENT_NORD, channel="phone")


def test_a_president_may_not_open_a_voter_of_another_bureau(desk: Desk) -> None:
    assert desk.southerner.bureau != PRESIDENT_NORD.bureau
    with pytest.raises(NotFound, match="votre bureau"):
        open_call(desk, desk.southerner, PRESIDENT_NORD, channel="president")
    assert entries(desk.deps, "intervention_open") == []


def test_an_agent_taking_a_presidents_call_names_the_president_of_the_bureau(
    desk: Desk,
) -> None:
    call = open_call(desk, desk.southerner, channel="president", president_login=" Pres.Sud ")
    assert (call.president_login, call.president_bureau) == ("pres.sud", "B-SUD")
    row = stored(desk, call.id)
    assert (row.operator_login, row.president_login) == ("agent", "pres.sud")


def test_an_agent_taking_a_presidents_call_must_name_the_president(desk: Desk) -> None:
    with pytest.raises(InvalidValue, match="Président"):
        open_call(desk, desk.caller, channel="president")


def test_an_unknown_president_login_is_refused(desk: Desk) -> None:
    with pytest.raises(NotFound, match="inconnu"):
        open_call(desk, desk.caller, channel="president", president_login="inconnu.x")


def test_an_agent_login_is_not_a_president(desk: Desk) -> None:
    with pytest.raises(NotFound):
        open_call(desk, desk.caller, channel="president", president_login="agent")


def test_a_disabled_president_is_refused(desk: Desk) -> None:
    with pytest.raises(NotFound):
        open_call(desk, desk.caller, channel="president", president_login=DISABLED_PRESIDENT)


def test_the_president_of_another_bureau_is_refused(desk: Desk) -> None:
    assert PRESIDENT_SUD.bureau != desk.caller.bureau
    with pytest.raises(Forbidden, match="ne préside pas"):
        open_call(desk, desk.caller, channel="president", president_login="pres.sud")
    assert current_intervention(desk.deps, AGENT) is None


def test_interventions_are_stored_one_row_per_call(desk: Desk) -> None:
    first = open_call(desk, desk.caller)
    close_intervention(desk.deps, AGENT, first.id, "résolu")
    second = open_call(desk, desk.caller)
    with desk.deps.reading() as session:
        rows = session.execute(
            select(Intervention.id, Intervention.closed_at.is_(None))  # type: ignore[union-attr]
            .where(Intervention.voter_id == desk.caller.voter_id)
            .order_by(Intervention.opened_at)
        ).all()
    assert sorted(rows, key=lambda r: r[1]) == [(first.id, False), (second.id, True)]


def test_reading_the_file_during_a_call_belongs_to_its_intervention(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    open_voter(desk.deps, AGENT, desk.caller.voter_id)
    [consultation] = entries(desk.deps, "consultation")
    assert consultation["intervention"] == call.id
