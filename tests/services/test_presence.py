"""S2: the president of the voter's bureau checks the voter's identity in person, from
their own session; the agent who takes the president's call waits for that attestation
and can never record an in-person check alone."""

import pytest
from sqlalchemy import select

from csu.domain.errors import InvalidValue
from csu.fake_electorate import write_roll_csv
from csu.services.context import Forbidden, ServiceError
from csu.services.credentials import issue_credential
from csu.services.elections import load_election
from csu.services.interventions import close_intervention, current_intervention
from csu.services.operators import add_operator
from csu.services.presence import (
    attest_presence,
    decline_presence,
    presence_requests,
    presence_status,
    request_presence_check,
    waiting_presence_checks,
)
from csu.services.rolls import import_voters
from csu.services.verification import verify_identity
from csu.store.tables import Intervention, VerificationAttempt
from tests.conftest import ADMIN, AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    AGENT_2,
    ELECTIONS,
    OPERATOR_PASSWORD,
    PRESIDENT_NORD,
    PRESIDENT_SUD,
    Desk,
    desk_fixture,
    entries,
    open_call,
)
from tests.services.test_verification import lock_caller


def president_call(desk: Desk, who=AGENT) -> str:
    """An agent takes the call of the president of the caller's bureau (B-NORD)."""
    return open_call(desk, desk.caller, who, channel="president", president_login="pres.nord").id


def requested(desk: Desk, who=AGENT) -> tuple[str, str]:
    """An S2 call and its request to the president: (intervention id, check id)."""
    call_id = president_call(desk, who)
    return call_id, request_presence_check(desk.deps, who, call_id).id


def verified_until(desk: Desk, who=AGENT):
    current = current_intervention(desk.deps, who)
    assert current is not None
    return current.verified_until


# ------------------------------------------------------------ the agent cannot alone


@pytest.mark.parametrize("who", [AGENT, SUPERVISOR])
def test_an_operator_taking_the_call_cannot_record_an_in_person_check(desk: Desk, who) -> None:
    call_id = president_call(desk, who)
    with pytest.raises(Forbidden, match="Seul le président du bureau"):
        verify_identity(desk.deps, who, call_id, {"in_person": "cni:0000"})
    assert verified_until(desk, who) is None
    assert entries(desk.deps, "verification") == []


def test_a_locked_voter_gets_no_in_person_check_typed_by_an_agent(desk: Desk) -> None:
    lock_caller(desk)
    call_id = president_call(desk)
    with pytest.raises(Forbidden, match="Seul le président du bureau"):
        verify_identity(desk.deps, AGENT, call_id, {"in_person": "cni:0000"})
    assert verified_until(desk) is None


def test_without_the_presidents_attestation_the_agent_is_told_to_wait(desk: Desk) -> None:
    call_id, _ = requested(desk)
    with pytest.raises(ServiceError, match=r"En attente du président « pres\.nord »"):
        verify_identity(desk.deps, AGENT, call_id, {})
    with desk.deps.reading() as session:
        assert session.execute(select(VerificationAttempt)).first() is None


def test_the_agent_sees_the_request_waiting_for_the_president(desk: Desk) -> None:
    call_id, check_id = requested(desk)
    status = presence_status(desk.deps, AGENT, call_id)
    assert status is not None
    assert (status.id, status.state_label, status.president, status.bureau) == (
        check_id, "en attente du président", "pres.nord", "B-NORD"
    )
    assert f"{status.expires_at:%H:%M}" == "11:40"  # 10 minutes to attest
    [entry] = entries(desk.deps, "presence_request")
    assert (entry["operator"], entry["intervention"]) == ("agent", call_id)


def test_asking_twice_keeps_the_pending_request(desk: Desk) -> None:
    call_id, check_id = requested(desk)
    assert request_presence_check(desk.deps, AGENT, call_id).id == check_id
    assert len(entries(desk.deps, "presence_request")) == 1


def test_a_check_is_asked_only_on_a_call_from_a_president(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    with pytest.raises(ServiceError, match="n'est pas un appel d'un président"):
        request_presence_check(desk.deps, AGENT, call.id)


# ------------------------------------------------------------------ the president


def test_the_president_attests_and_the_agents_call_is_verified(desk: Desk) -> None:
    call_id, check_id = requested(desk)
    assert waiting_presence_checks(desk.deps, PRESIDENT_NORD) == [check_id]
    [shown] = presence_requests(desk.deps, PRESIDENT_NORD)
    assert (shown.id, shown.matricule, shown.requested_by) == (
        check_id, desk.caller.matricule, "agent"
    )
    done = attest_presence(desk.deps, PRESIDENT_NORD, check_id, "cni", "12ab")
    assert done.verified and "agent agent" in done.message
    assert f"{verified_until(desk):%H:%M}" == "11:40"
    attested = entries(desk.deps, "presence_attest", call_id)[-1]
    checked = entries(desk.deps, "verification", call_id)[-1]
    assert (attested["operator"], attested["role"]) == ("pres.nord", "president")
    assert attested["details"]["document"] == "cni …12AB"
    assert (checked["operator"], checked["outcome"]) == ("pres.nord", "vérifié")
    assert checked["details"]["set"] == ["in_person"]
    assert checked["details"]["attested_by"] == "pres.nord"
    # The agent's call goes on: a new security key.
    issued = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    assert issued.value


def test_the_queue_is_journalled_as_it_names_voters(desk: Desk) -> None:
    _, check_id = requested(desk)
    presence_requests(desk.deps, PRESIDENT_NORD)
    [entry] = entries(desk.deps, "presence_list")
    assert entry["operator"] == "pres.nord" and entry["details"]["presence_checks"] == [check_id]


def test_a_president_of_another_bureau_is_refused(desk: Desk) -> None:
    _, check_id = requested(desk)
    assert presence_requests(desk.deps, PRESIDENT_SUD) == []
    with pytest.raises(Forbidden, match="autre bureau"):
        attest_presence(desk.deps, PRESIDENT_SUD, check_id, "cni", "1234")
    with pytest.raises(Forbidden, match="autre bureau"):
        decline_presence(desk.deps, PRESIDENT_SUD, check_id, "personne absente")
    assert verified_until(desk) is None
    assert entries(desk.deps, "presence_attest") == []


def test_an_agent_cannot_attest_nor_a_president_ask(desk: Desk) -> None:
    call_id, check_id = requested(desk)
    with pytest.raises(Forbidden):
        attest_presence(desk.deps, AGENT, check_id, "cni", "1234")
    with pytest.raises(Forbidden):
        request_presence_check(desk.deps, PRESIDENT_NORD, call_id)


def test_an_expired_request_is_refused(desk: Desk) -> None:
    _, check_id = requested(desk)
    desk.clock.advance(minutes=10)
    assert presence_requests(desk.deps, PRESIDENT_NORD) == []
    with pytest.raises(ServiceError, match="Demande expirée"):
        attest_presence(desk.deps, PRESIDENT_NORD, check_id, "cni", "1234")
    assert verified_until(desk) is None


def test_an_attestation_is_made_once(desk: Desk) -> None:
    _, check_id = requested(desk)
    attest_presence(desk.deps, PRESIDENT_NORD, check_id, "cni", "1234")
    with pytest.raises(ServiceError, match="déjà traitée"):
        attest_presence(desk.deps, PRESIDENT_NORD, check_id, "carte_agent", "5678")
    assert len(entries(desk.deps, "presence_attest")) == 1


def test_a_request_of_a_closed_call_cannot_be_attested(desk: Desk) -> None:
    call_id, check_id = requested(desk)
    close_intervention(desk.deps, AGENT, call_id, "abandonné")
    assert presence_requests(desk.deps, PRESIDENT_NORD) == []
    with pytest.raises(ServiceError, match="close"):
        attest_presence(desk.deps, PRESIDENT_NORD, check_id, "cni", "1234")


def test_a_malformed_document_is_refused_and_nothing_is_attested(desk: Desk) -> None:
    _, check_id = requested(desk)
    with pytest.raises(InvalidValue, match="4 derniers caractères"):
        attest_presence(desk.deps, PRESIDENT_NORD, check_id, "cni", "12")
    assert waiting_presence_checks(desk.deps, PRESIDENT_NORD) == [check_id]


def test_the_president_declines_and_the_agent_reads_why(desk: Desk) -> None:
    call_id, check_id = requested(desk)
    decline_presence(desk.deps, PRESIDENT_NORD, check_id, "la photo ne correspond pas")
    status = presence_status(desk.deps, AGENT, call_id)
    assert status is not None
    assert (status.state_label, status.decline_reason) == (
        "refusée par le président", "la photo ne correspond pas"
    )
    [entry] = entries(desk.deps, "presence_decline")
    assert (entry["operator"], entry["outcome"]) == ("pres.nord", "refusé")
    with pytest.raises(ServiceError, match="déjà traitée"):
        attest_presence(desk.deps, PRESIDENT_NORD, check_id, "cni", "1234")
    # The agent may ask again: a new request, the old one stays declined.
    assert request_presence_check(desk.deps, AGENT, call_id).id != check_id


def test_declining_needs_a_reason(desk: Desk) -> None:
    _, check_id = requested(desk)
    with pytest.raises(ServiceError, match="Motif trop court"):
        decline_presence(desk.deps, PRESIDENT_NORD, check_id, " non ")


# ------------------------------------------------------- lock after remote failures


def test_a_locked_voter_is_verified_in_person_and_the_journal_says_it_was_locked(
    desk: Desk,
) -> None:
    lock_caller(desk)
    call_id, check_id = requested(desk)
    [shown] = presence_requests(desk.deps, PRESIDENT_NORD)
    assert shown.remote_locked
    assert attest_presence(desk.deps, PRESIDENT_NORD, check_id, "carte_agent", "12ab").verified
    attested = entries(desk.deps, "presence_attest", call_id)[-1]
    checked = entries(desk.deps, "verification", call_id)[-1]
    assert attested["details"]["remote_lock_until"] is not None
    assert checked["details"]["remote_lock_until"] == attested["details"]["remote_lock_until"]
    with desk.deps.reading() as session:
        assert session.get(Intervention, call_id).verified_factors == "in_person"  # type: ignore[union-attr]
    # The lock still holds for the phone.
    by_phone = open_call(desk, desk.caller, AGENT_2)
    with pytest.raises(Forbidden, match="verrouillé"):
        verify_identity(desk.deps, AGENT_2, by_phone.id, desk.caller.phone_answers())


# ------------------------------------ a set demanding more than the president's check


def demand_birth_date_too(desk: Desk) -> None:
    """minint-2022 reloaded with the president channel demanding the date of birth too."""
    text = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
    changed = text.replace(
        'president = [["in_person"]]', 'president = [["in_person", "birth_date"]]'
    )
    assert changed != text
    load_election(desk.deps, ADMIN, changed, "minint-2022.toml")


def test_the_president_reads_the_agents_name_beside_their_login(desk: Desk) -> None:
    """« demandé par l'agent agent » told the president nothing of who was calling."""
    add_operator(desk.deps, ADMIN, "agent", role="agent", password=OPERATOR_PASSWORD,
                 display_name="Camille Martin")  # fmt: skip
    _, check_id = requested(desk)
    [shown] = presence_requests(desk.deps, PRESIDENT_NORD)
    assert (shown.requested_by, shown.requested_by_name) == ("agent", "Camille Martin")
    done = attest_presence(desk.deps, PRESIDENT_NORD, check_id, "cni", "12ab")
    assert done.message == (
        "Identité attestée : l'intervention de l'agent Camille Martin (agent) est vérifiée."
    )


def test_an_attestation_completed_by_the_agent_verifies_once(desk: Desk) -> None:
    demand_birth_date_too(desk)
    call_id, check_id = requested(desk)
    done = attest_presence(desk.deps, PRESIDENT_NORD, check_id, "cni", "1234")
    assert not done.verified and "complète" in done.message
    birth = {"birth_date": desk.caller.row["date_naissance"]}
    result = verify_identity(desk.deps, AGENT, call_id, birth)
    assert result.verified
    checked = entries(desk.deps, "verification", call_id)[-1]
    assert (checked["operator"], checked["details"]["attested_by"]) == ("agent", "pres.nord")
    status = presence_status(desk.deps, AGENT, call_id)
    assert status is not None and status.state == "used"
    # Used: a second verification finds no attestation left.
    with pytest.raises(ServiceError, match="En attente du président"):
        verify_identity(desk.deps, AGENT, call_id, birth)


def test_an_unused_attestation_expires(desk: Desk) -> None:
    demand_birth_date_too(desk)
    call_id, check_id = requested(desk)
    attest_presence(desk.deps, PRESIDENT_NORD, check_id, "cni", "1234")
    desk.clock.advance(minutes=10)
    birth = {"birth_date": desk.caller.row["date_naissance"]}
    with pytest.raises(ServiceError, match="En attente du président"):
        verify_identity(desk.deps, AGENT, call_id, birth)
    status = presence_status(desk.deps, AGENT, call_id)
    assert status is not None and status.state_label == "expirée"



def test_a_voter_moved_to_another_bureau_leaves_the_presidents_queue(desk: Desk) -> None:
    """The president no longer sees the name and birth date of a voter outside their
    scope, whom they could not attest anyway."""
    _, check_id = requested(desk)
    assert [r.id for r in presence_requests(desk.deps, PRESIDENT_NORD)] == [check_id]
    path = desk.tmp_path / "moved.csv"
    write_roll_csv([desk.caller.row | {"bureau": "B-SUD"}], path)
    assert import_voters(desk.deps, ADMIN, path, desk.caller.election).committed
    assert presence_requests(desk.deps, PRESIDENT_NORD) == []
    assert waiting_presence_checks(desk.deps, PRESIDENT_NORD) == []
