"""The key by post (``letter``) in the one rule of what may be done: the election's
routes, the role, the call verified, and the voter's roll entry."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from csu.domain.election import parse_election
from csu.domain.permissions import (
    NO_ADDRESS,
    Call,
    ElectionAllows,
    Situation,
    election_allows,
    may,
    refusal,
)

ELECTIONS = Path(__file__).parents[2] / "data" / "elections"
NOW = datetime(2022, 12, 2, 10, tzinfo=UTC)
BY_POST = ElectionAllows("minint-2022", kinds=("security_key",), key_by_post=True)
NOT_BY_POST = ElectionAllows(
    "men-2022", key_by_post_instead="Pour cette élection, la clé de sécurité n'est pas délivrée."
)


def allows(name: str) -> ElectionAllows:
    path = ELECTIONS / f"{name}.toml"
    return election_allows(parse_election(path.read_text(encoding="utf-8"), path.name), NOW)


def test_a_verified_call_may_send_the_key_by_post() -> None:
    assert may("letter", Situation("agent", call=Call.VERIFIED, election=BY_POST))


def test_before_verifying_the_letter_waits_for_the_verification() -> None:
    found = refusal("letter", Situation("agent", call=Call.OPEN, election=BY_POST))
    assert found is not None and found.step == "verify" and not found.forbidden


def test_without_an_intervention_it_says_to_open_one_first() -> None:
    found = refusal("letter", Situation("agent", call=Call.NONE, election=BY_POST))
    assert found is not None and found.step == "open"


def test_an_election_without_the_post_route_says_what_it_allows_instead() -> None:
    found = refusal("letter", Situation("agent", call=Call.VERIFIED, election=NOT_BY_POST))
    assert found is not None and found.forbidden
    assert found.reason == NOT_BY_POST.key_by_post_instead


def test_a_president_sends_no_letter() -> None:
    found = refusal("letter", Situation("president", call=Call.VERIFIED, election=BY_POST))
    assert found is not None and found.forbidden
    assert found.reason == "Action réservée aux agents et aux superviseurs."


def test_without_an_address_on_the_roll_no_letter_greyed_not_hidden() -> None:
    found = refusal(
        "letter", Situation("agent", call=Call.VERIFIED, election=BY_POST, has_address=False)
    )
    assert found is not None and not found.forbidden and found.reason == NO_ADDRESS


def test_a_spent_material_gets_no_letter() -> None:
    situation = Situation("agent", call=Call.VERIFIED, election=BY_POST, material_active=False)
    found = refusal("letter", situation)
    assert found is not None and "substitué ou invalidé" in found.reason


def test_a_closed_election_sends_nothing() -> None:
    closed = ElectionAllows("minint-2022", key_by_post=True, closed=True)
    assert not may("letter", Situation("agent", call=Call.VERIFIED, election=closed))


@pytest.mark.parametrize(
    ("election", "by_post"),
    [("minint-2022", True), ("men-2022", False), ("men-2011", False), ("cci-hdf-2021", False)],
)
def test_only_the_interior_file_sends_keys_by_post(election: str, by_post: bool) -> None:
    found = allows(election)
    assert found.key_by_post is by_post
    assert bool(found.key_by_post_instead) is not by_post  # the file's own words otherwise
