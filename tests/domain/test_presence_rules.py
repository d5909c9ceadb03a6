"""The rules of the president's in-person check (S2), without a store."""

from datetime import UTC, datetime, timedelta

import pytest

from csu.domain.verification import (
    ATTESTED,
    DECLINED,
    EXPIRED,
    PENDING,
    USED,
    attestation_refusal,
    attestation_usable,
    may_type_in_person,
    presence_state,
    president_refusal,
    remote_lock_applies,
)

NOW = datetime(2022, 12, 2, 10, 30, tzinfo=UTC)
LATER = NOW + timedelta(minutes=10)


def test_the_lock_after_remote_failures_stops_phone_and_email_only() -> None:
    assert remote_lock_applies("phone") and remote_lock_applies("email")
    assert not remote_lock_applies("president")


def test_only_a_president_in_their_own_intervention_types_an_in_person_check() -> None:
    assert may_type_in_person("president", "pres.nord", "pres.nord", "pres.nord")
    # The agent who takes the president's call, whatever the intervention names.
    assert not may_type_in_person("agent", "agent", "agent", "pres.nord")
    assert not may_type_in_person("superviseur", "sup", "sup", "pres.nord")
    # A president in another's intervention.
    assert not may_type_in_person("president", "pres.sud", "agent", "pres.nord")


@pytest.mark.parametrize(
    ("status", "expected"),
    [(PENDING, EXPIRED), (ATTESTED, EXPIRED), (DECLINED, DECLINED), (USED, USED)],
)
def test_a_pending_or_attested_check_expires_others_stay(status: str, expected: str) -> None:
    assert presence_state(status, LATER, LATER - timedelta(seconds=1)) == status
    assert presence_state(status, LATER, LATER) == expected


def test_an_attestation_is_usable_until_used_or_expired() -> None:
    assert attestation_usable(ATTESTED, LATER, NOW)
    assert not attestation_usable(ATTESTED, LATER, LATER)
    assert not attestation_usable(USED, LATER, NOW)
    assert not attestation_usable(PENDING, LATER, NOW)


def test_a_president_acts_only_on_their_bureau_and_their_request() -> None:
    def refusal(login: str, bureau: str | None) -> str | None:
        return president_refusal(
            named_president="pres.nord", check_bureau="B-NORD",
            president_login=login, president_bureau=bureau,
        )

    assert refusal("pres.nord", "B-NORD") is None
    assert refusal("pres.sud", "B-SUD") == (
        "Cette demande concerne un électeur d'un autre bureau que le vôtre."
    )
    assert refusal("pres.nord", None) is not None
    assert refusal("pres.bis", "B-NORD") == "Cette demande s'adresse au président « pres.nord »."


def test_a_request_is_attested_once_before_it_expires_while_the_call_is_open() -> None:
    def refusal(status: str, now: datetime = NOW, open_: bool = True) -> str | None:
        return attestation_refusal(
            status=status, expires_at=LATER, now=now, intervention_open=open_
        )

    assert refusal(PENDING) is None
    assert refusal(PENDING, LATER) == "Demande expirée : l'agent doit renouveler sa demande."
    assert refusal(ATTESTED) == "Demande déjà traitée (attestée par le président)."
    assert refusal(DECLINED) == "Demande déjà traitée (refusée par le président)."
    assert refusal(PENDING, open_=False) == (
        "L'intervention de l'agent est close : plus rien à attester."
    )
