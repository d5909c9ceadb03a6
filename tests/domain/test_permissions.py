"""What an operator may do on a voter: one rule for the voter file and the services."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from csu.domain.election import parse_election
from csu.domain.permissions import (
    Call,
    ElectionAllows,
    Situation,
    birth_date_shown,
    call_state,
    election_allows,
    may,
    refusal,
    suggested_outcome,
    unconfirmed_issue,
)

MININT = ElectionAllows("minint-2022", kinds=("security_key", "password"))
CCI = ElectionAllows("cci-hdf-2021", substitution=True)
MEN = ElectionAllows("men-2022", vote_code_link=True)
MEN_2011 = ElectionAllows("men-2011", identifier=True)
ELECTIONS = Path(__file__).parents[2] / "data" / "elections"


def test_verifying_before_opening_says_to_open_first() -> None:
    found = refusal("verify", Situation("agent", call=Call.NONE, election=MININT))
    assert found is not None and found.step == "open" and not found.forbidden
    assert found.reason == "Ouvrez d'abord une intervention"


def test_issuing_before_verifying_says_to_verify() -> None:
    found = refusal("issue", Situation("agent", call=Call.OPEN, election=MININT))
    assert found is not None and found.step == "verify"


def test_a_verified_call_may_issue() -> None:
    assert may("issue", Situation("agent", call=Call.VERIFIED, election=MININT))


def test_a_request_by_e_mail_gets_no_key_read_out_but_may_revoke_one() -> None:
    by_mail = Situation("agent", call=Call.VERIFIED, election=MININT, channel="email")
    found = refusal("issue", by_mail)
    assert found is not None and not found.forbidden  # greyed with its reason, not hidden
    assert found.sentence.startswith("Une demande par courriel ne reçoit ni clé ni mot de passe")
    assert may("revoke", by_mail)  # a card reported stolen by e-mail
    assert may("issue", Situation("agent", call=Call.VERIFIED, election=MININT, channel="phone"))


def test_a_locked_voter_sends_to_the_supervisor() -> None:
    found = refusal("verify", Situation("agent", call=Call.LOCKED, election=MININT))
    assert found is not None and found.step == "unlock"


def test_an_election_without_credentials_offers_substitution_instead() -> None:
    found = refusal("issue", Situation("agent", call=Call.VERIFIED, election=CCI))
    assert found is not None and found.forbidden and found.step == "substitution"
    assert "substitution" in found.reason


def test_a_president_resets_passwords_only() -> None:
    found = refusal("issue", Situation("president", kind="security_key"))
    assert found is not None and found.forbidden


def test_a_president_outside_the_bureau_is_refused() -> None:
    found = refusal("open", Situation("president", call=Call.NONE, in_bureau=False))
    assert found is not None and "autre bureau" in found.reason


def test_the_vote_code_link_is_for_elections_with_vote_codes() -> None:
    assert may("vote_code_link", Situation("agent", call=Call.VERIFIED, election=MEN))
    assert not may("vote_code_link", Situation("agent", call=Call.VERIFIED, election=MININT))


def test_a_closed_election_allows_nothing_but_closing() -> None:
    closed = ElectionAllows("minint-2022", kinds=("password",), closed=True)
    assert refusal("issue", Situation("agent", call=Call.VERIFIED, election=closed))
    assert may("close", Situation("agent", call=Call.VERIFIED, election=closed))


def test_only_supervisors_unlock_and_reveal() -> None:
    assert not may("unlock", Situation("agent", voter_locked=True))
    assert may("unlock", Situation("superviseur", voter_locked=True))
    assert not may("unlock", Situation("superviseur", voter_locked=False))
    assert not may("reveal", Situation("president"))


def test_a_new_call_waits_for_the_open_one_to_close() -> None:
    found = refusal("new_call", Situation("agent", call=Call.VERIFIED))
    assert found is not None and found.step == "close"
    assert may("new_call", Situation("agent", call=Call.CLOSED))


def test_an_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        refusal("launch", Situation("agent"))


def test_the_call_state_reads_the_lock_only_when_opened() -> None:
    assert call_state(opened=True, closed=False, verified=False, locked=True) is Call.LOCKED
    assert call_state(opened=False, closed=False, verified=False, locked=True) is Call.NONE
    assert call_state(opened=False, closed=True, verified=False, locked=False) is Call.CLOSED


@pytest.mark.parametrize(
    ("call", "steps", "expected"),
    [
        (Call.LOCKED, [("verification", "non vérifié")], "refusé"),
        (Call.OPEN, [("verification", "non vérifié")], "refusé"),
        (
            Call.VERIFIED,
            [
                ("verification", "vérifié"),
                ("credential_issue", "ok"),
                ("credential_read_out", "ok"),
            ],
            "résolu",
        ),
        # Shown, never confirmed as read (« Fermer sans confirmer »): the call dropped.
        (Call.VERIFIED, [("verification", "vérifié"), ("credential_issue", "ok")], "abandonné"),
        (Call.OPEN, [], "abandonné"),
        (Call.VERIFIED, [("verification", "non vérifié"), ("verification", "vérifié")], "résolu"),
        # A complete request waits for a supervisor's approval: the call is done.
        (Call.VERIFIED, [("substitution_request", "en attente")], "résolu"),
        (Call.VERIFIED, [("substitution_request", "refusée")], "refusé"),
    ],
)
def test_closing_proposes_what_happened(
    call: Call, steps: list[tuple[str, str]], expected: str
) -> None:
    assert suggested_outcome(call, steps) == expected


def test_each_demo_election_offers_what_its_delivery_routes_allow() -> None:
    now = datetime(2022, 12, 2, 10, tzinfo=UTC)
    allows = {
        path.stem: election_allows(parse_election(path.read_text(encoding="utf-8"), path.name), now)
        for path in ELECTIONS.glob("*.toml")
    }
    assert allows["minint-2022"].kinds == ("security_key", "password")
    assert allows["men-2022"].kinds == ()  # the vote code goes by link only
    assert allows["men-2022"].vote_code_link
    assert allows["men-2011"].identifier and not allows["men-2022"].identifier
    assert not allows["cci-hdf-2021"].kinds and allows["cci-hdf-2021"].substitution


def test_the_identifier_is_refused_where_the_election_sends_none() -> None:
    found = refusal("identifier", Situation("agent", call=Call.VERIFIED, election=MEN))
    assert found is not None and found.forbidden
    assert may("identifier", Situation("agent", call=Call.VERIFIED, election=MEN_2011))


def test_a_president_opens_in_person_only() -> None:
    from csu.domain.permissions import IN_PERSON_ONLY, Situation, refusal

    found = refusal("open", Situation("president", channel="phone"))
    assert found is not None and found.forbidden and found.sentence == IN_PERSON_ONLY
    assert refusal("open", Situation("president", channel="president")) is None
    assert refusal("open", Situation("agent", channel="phone")) is None


ISSUED_PASSWORD = ("credential_issue", "ok", {"kind": "password", "credential": 7})
ISSUED_KEY = ("credential_issue", "ok", {"kind": "security_key", "credential": 8})


@pytest.mark.parametrize(
    ("steps", "kind"),
    [
        ([ISSUED_PASSWORD], "password"),
        ([ISSUED_PASSWORD, ("credential_read_out", "ok", {"credential": 7})], None),
        ([ISSUED_PASSWORD, ("credential_revoke", "ok", {"kind": "password", "credential": 7})],
         None),
        ([("credential_issue", "ok", {"kind": "security_key", "channel": "post"})], None),
        # Shown by a link the agent sent: the platform's, not the agent's to hand over.
        ([("credential_issue", "ok", {"kind": "password", "link": 3, "credential": 9})], None),
        # The password never confirmed, then a key read out: the password still is.
        ([ISSUED_PASSWORD, ISSUED_KEY, ("credential_read_out", "ok", {"credential": 8})],
         "password"),
        ([ISSUED_PASSWORD, ("credential_revoke", "ok", {"kind": "security_key",
                                                        "credential": 2})], "password"),
        # Replaced by another of its kind, read out this time.
        ([ISSUED_PASSWORD, ("credential_issue", "ok", {"kind": "password", "credential": 10,
                                                       "revoked": 7}),
          ("credential_read_out", "ok", {"credential": 10})], None),
        ([("verification", "vérifié")], None),
    ],
    ids=["shown", "read-out", "invalidated", "posted", "by-link", "other-read-out",
         "other-invalidated", "replaced", "none"],
)
def test_a_code_issued_and_never_confirmed_is_named(
    steps: list[tuple[object, ...]], kind: str | None
) -> None:
    assert unconfirmed_issue(steps) == kind  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("role", "call", "shown"),
    [
        ("agent", Call.NONE, False),
        ("agent", Call.OPEN, False),  # during the check: the caller says it
        ("agent", Call.LOCKED, False),
        ("agent", Call.VERIFIED, True),
        ("agent", Call.CLOSED, False),
        ("superviseur", Call.OPEN, False),
        ("superviseur", Call.VERIFIED, True),
        ("president", Call.NONE, True),  # compared with the ID seen in person
        (None, Call.VERIFIED, False),
    ],
)
def test_the_date_of_birth_shows_once_verified_or_to_the_president(
    role: str | None, call: Call, shown: bool
) -> None:
    assert birth_date_shown(role, call) is shown
