"""A president attests only the documents the election accepts (minint-2022: « carte
d'identité, carte agent », seed 002): another is refused with the accepted ones named,
before anything is stored, counted or journalled; the president asks for another."""

import pytest
from sqlalchemy import select

from csu.domain.errors import InvalidValue
from csu.services.presence import attest_presence, request_presence_check
from csu.services.verification import verify_identity
from csu.store.tables import PresenceCheck, VerificationAttempt
from tests.conftest import AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    PRESIDENT_NORD,
    Desk,
    desk_fixture,
    entries,
    open_call,
)

NOT_ACCEPTED = (
    "Pièce d'identité : « passeport » n'est pas une pièce acceptée pour cette élection "
    "(pièces acceptées : carte nationale d'identité, carte agent)"
)


def asked_of_the_president(desk: Desk) -> str:
    """An agent's S2 call, its check asked of the caller's president: the check's id."""
    call = open_call(desk, desk.caller, AGENT, channel="president", president_login="pres.nord")
    return request_presence_check(desk.deps, AGENT, call.id).id


def test_a_passport_is_not_attested_for_minint_and_the_check_stays_asked(desk: Desk) -> None:
    check_id = asked_of_the_president(desk)
    with pytest.raises(InvalidValue) as refused:
        attest_presence(desk.deps, PRESIDENT_NORD, check_id, "passeport", "12ab")
    assert str(refused.value) == NOT_ACCEPTED
    assert entries(desk.deps, "presence_attest") == []
    with desk.deps.reading() as session:
        check = session.get(PresenceCheck, check_id)
        assert check is not None and check.document_type is None
    assert attest_presence(desk.deps, PRESIDENT_NORD, check_id, "carte_agent", "12ab").verified


def test_a_presidents_own_check_with_a_passport_counts_nothing(desk: Desk) -> None:
    call = open_call(desk, desk.caller, PRESIDENT_NORD, channel="president")
    with pytest.raises(InvalidValue) as refused:
        verify_identity(desk.deps, PRESIDENT_NORD, call.id, {"in_person": "passeport:12ab"})
    assert str(refused.value) == NOT_ACCEPTED
    assert entries(desk.deps, "verification") == []
    with desk.deps.reading() as session:
        assert session.execute(select(VerificationAttempt)).all() == []
    assert verify_identity(desk.deps, PRESIDENT_NORD, call.id, {"in_person": "cni:12ab"}).verified
