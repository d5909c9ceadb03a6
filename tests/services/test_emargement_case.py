"""The émargement feed reads an identifier as the login check reads it: an e-mail address
(men-2022: the voter's academic address) whatever the case it is sent in, any other
identifier (minint-2022: a matricule) as typed. One event in another case no longer
refuses a whole batch. On SQLite and on PostgreSQL."""

from datetime import UTC, datetime

import pytest

from csu.services.emargement import BadEvents, EmargementEvent
from csu.store.tables import Material
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
)
from tests.services.test_emargement import VOTED, event, ingest, stored
from tests.services.test_login_case import recased


def vote(identifier: str, event_id: str = "nv-1") -> EmargementEvent:
    return EmargementEvent(event_id, identifier, "men-2022", VOTED)


def test_an_address_sent_in_another_case_records_the_vote(desk: Desk) -> None:
    teacher = desk.teacher
    result = ingest(desk, vote(f" {recased(teacher.identifier)} "), election="men-2022")
    assert result.accepted == 1
    assert stored(desk) == [(teacher.material_id, "men-2022", "plateforme", "nv-1")]


def test_one_vote_sent_in_two_cases_is_stored_once(desk: Desk) -> None:
    teacher = desk.teacher.identifier
    result = ingest(
        desk, vote(teacher, "nv-1"), vote(teacher.upper(), "nv-2"), election="men-2022"
    )
    assert (result.accepted, result.duplicates) == (1, 1)
    assert len(stored(desk)) == 1


def test_one_event_id_sent_twice_in_two_cases_is_one_vote(desk: Desk) -> None:
    teacher = desk.teacher.identifier
    result = ingest(desk, vote(teacher), vote(recased(teacher)), election="men-2022")
    assert (result.accepted, result.duplicates) == (1, 1)


def test_a_matricule_in_another_case_is_still_unknown(desk: Desk) -> None:
    caller = desk.caller  # minint-2022: the identifier is the matricule
    lowered = event(caller, "csa")
    lowered = EmargementEvent(lowered.event_id, caller.identifier.lower(), "csa", VOTED)
    assert caller.identifier != caller.identifier.lower()
    with pytest.raises(BadEvents) as refused:
        ingest(desk, lowered)
    assert refused.value.faults == [("events.0.identifier", "identifiant inconnu")]
    assert stored(desk) == []


def test_two_addresses_differing_only_in_case_take_the_one_sent_or_neither(
    desk: Desk,
) -> None:
    teacher = desk.teacher.identifier
    with desk.deps.writing() as session:  # a roll that wrote one address twice, recased
        material = session.get(Material, desk.teacher.material_id)
        assert material is not None
        other = Material(
            election_id="men-2022", voter_id=desk.caller.voter_id, capacity="électeur",
            identifier=teacher.upper(), bureau_code=material.bureau_code,
            created_at=datetime(2022, 11, 1, tzinfo=UTC),
        )  # fmt: skip
        session.add(other)
        session.flush()
        other_id = other.id
    with pytest.raises(BadEvents) as refused:  # which of the two is meant, nothing says
        ingest(desk, vote(recased(teacher)), election="men-2022")
    assert refused.value.faults == [("events.0.identifier", "identifiant inconnu")]
    ingest(desk, vote(teacher.upper(), "nv-2"), vote(teacher, "nv-3"), election="men-2022")
    assert {(row[0], row[3]) for row in stored(desk)} == {
        (other_id, "nv-2"), (desk.teacher.material_id, "nv-3")
    }
