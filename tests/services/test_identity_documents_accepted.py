"""A president attests only the documents the election accepts (minint-2022: « carte
d'identité, carte agent », seed 002): another is refused with the accepted ones named,
before anything is stored, counted or journalled; the president asks for another."""

import pytest
from sqlalchemy import select

from csu.domain.errors import InvalidValue
from csu.services.context import ServiceError
from csu.services.elections import load_election
from csu.services.presence import attest_presence, presence_status, request_presence_check
from csu.services.verification import verify_identity
from csu.store.tables import PresenceCheck, VerificationAttempt
from tests.conftest import ADMIN, AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    ELECTIONS,
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


MININT = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
ONLY_CARDS = 'identity_documents = ["cni", "carte_agent"]'
# The president's check alone no longer verifies: the agent completes it with the date
# of birth, so the attestation waits to be used by the agent's verification.
WITH_BIRTH_DATE = MININT.replace(
    'president = [["in_person"]]', 'president = [["in_person", "birth_date"]]'
)
OUTDATED = (
    "Le président a attesté une pièce (« passeport ») que cette élection n'accepte plus "
    "(pièces acceptées : carte nationale d'identité, carte agent) : demandez-lui une "
    "nouvelle vérification en personne."
)


def attested_with_a_passport_then_cards_only(desk: Desk) -> tuple[str, str]:
    """A president's attestation of a passport, made while the file accepted every
    document; the file then reloaded with its list of cards. The call's and check's ids."""
    assert ONLY_CARDS in WITH_BIRTH_DATE
    load_election(desk.deps, ADMIN, WITH_BIRTH_DATE.replace(ONLY_CARDS, ""), "minint-2022.toml")
    call = open_call(desk, desk.caller, AGENT, channel="president", president_login="pres.nord")
    check_id = request_presence_check(desk.deps, AGENT, call.id).id
    assert not attest_presence(desk.deps, PRESIDENT_NORD, check_id, "passeport", "12ab").verified
    load_election(desk.deps, ADMIN, WITH_BIRTH_DATE, "minint-2022.toml")
    return call.id, check_id


def test_an_attestation_of_a_document_no_longer_accepted_verifies_nothing(desk: Desk) -> None:
    call_id, _ = attested_with_a_passport_then_cards_only(desk)
    born = desk.caller.birth_date.strftime("%d/%m/%Y")
    with pytest.raises(ServiceError) as refused:
        verify_identity(desk.deps, AGENT, call_id, {"birth_date": born})
    assert str(refused.value) == OUTDATED
    assert entries(desk.deps, "verification") == []
    with desk.deps.reading() as session:
        assert session.execute(select(VerificationAttempt)).all() == []


def test_the_agent_asks_again_and_a_card_then_verifies(desk: Desk) -> None:
    call_id, outdated_id = attested_with_a_passport_then_cards_only(desk)
    again = request_presence_check(desk.deps, AGENT, call_id)
    assert again.id != outdated_id
    attest_presence(desk.deps, PRESIDENT_NORD, again.id, "carte_agent", "12ab")
    born = desk.caller.birth_date.strftime("%d/%m/%Y")
    assert verify_identity(desk.deps, AGENT, call_id, {"birth_date": born}).verified


def test_the_attestation_replaced_is_retired_and_the_request_says_why(desk: Desk) -> None:
    call_id, outdated_id = attested_with_a_passport_then_cards_only(desk)
    request_presence_check(desk.deps, AGENT, call_id)
    # Were the file to accept passports again, the retired attestation stays unused.
    load_election(desk.deps, ADMIN, WITH_BIRTH_DATE.replace(ONLY_CARDS, ""), "minint-2022.toml")
    born = desk.caller.birth_date.strftime("%d/%m/%Y")
    with pytest.raises(ServiceError) as refused:
        verify_identity(desk.deps, AGENT, call_id, {"birth_date": born})
    assert str(refused.value).startswith("En attente du président « pres.nord »")
    [asked_again] = entries(desk.deps, "presence_request", intervention=call_id)[1:]
    assert asked_again["details"]["replaces"] == outdated_id
    assert asked_again["details"]["outdated_document"] == "passeport"


def test_a_set_without_the_president_still_verifies_beside_an_outdated_attestation(
    desk: Desk,
) -> None:
    either = WITH_BIRTH_DATE.replace(
        'president = [["in_person", "birth_date"]]',
        'president = [["in_person", "birth_date"], ["birth_date", "iban"]]',
    )
    call_id, _ = attested_with_a_passport_then_cards_only(desk)
    load_election(desk.deps, ADMIN, either, "minint-2022.toml")
    born = desk.caller.birth_date.strftime("%d/%m/%Y")
    answers = {"birth_date": born, "iban": desk.caller.row["iban"][-6:]}
    assert verify_identity(desk.deps, AGENT, call_id, answers).verified


def test_once_asked_again_the_agent_is_told_to_wait_for_the_president(desk: Desk) -> None:
    call_id, _ = attested_with_a_passport_then_cards_only(desk)
    request_presence_check(desk.deps, AGENT, call_id)
    born = desk.caller.birth_date.strftime("%d/%m/%Y")
    with pytest.raises(ServiceError) as refused:
        verify_identity(desk.deps, AGENT, call_id, {"birth_date": born})
    assert str(refused.value).startswith("En attente du président « pres.nord »")


def test_the_agent_s_window_hears_the_attestation_is_outdated(desk: Desk) -> None:
    call_id, _ = attested_with_a_passport_then_cards_only(desk)
    seen = presence_status(desk.deps, AGENT, call_id)
    assert seen is not None and seen.outdated == OUTDATED
    again = request_presence_check(desk.deps, AGENT, call_id)
    assert again.outdated is None and again.state == "pending"
