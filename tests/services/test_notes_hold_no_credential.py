"""No credential reaches a table, the journal or its export through what an operator
types (probe B, findings 1 and 10): a closing note, a reason, a case's outcome that
seems to hold one is refused with a French sentence, and nothing of it is stored.

- The election's grouped credentials (security key, vote code) are told by their
  shape, the voter's active credentials (a mixed-case password too) by their hash;
  prose is stored as written.
- A reason given without the voter (the services' reasons) is read for the shape of
  any election's grouped code.
- An identity document's number after its name keeps its last 4 characters.

Afterwards every column of every table and the export (CSV and JSONL) are searched, as
in tests/services/test_notes_masked.py."""

import dataclasses
from collections.abc import Callable
from typing import Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlmodel import col

from csu.domain import credentials as creds
from csu.domain.election import parse_election
from csu.services.context import Deps, ServiceError
from csu.services.credential_text import MAX_SLOW_COMPARISONS, code_check, refuse_codes
from csu.services.credentials import IssuedCredential, confirm_read_out, issue_credential
from csu.services.escalation import close_escalation, take_escalation
from csu.services.interventions import close_intervention, current_intervention
from csu.services.reasons import typed_reason
from csu.store.tables import Escalation
from tests.conftest import AGENT, SUPERVISOR
from tests.delivery.test_echoes_never_stored import ROLL_CONTACTS, exported, stored
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    ELECTIONS,
    Desk,
    desk_fixture,
    entries,
    open_call,
    verified_call,
)
from tests.services.test_notes_masked import WRITERS

MININT = ELECTIONS / "minint-2022.toml"
KEY_FORMAT = parse_election(MININT.read_text(encoding="utf-8"), MININT.name).credentials[
    "security_key"
]
PROBE_NOTE = "Nouvelle cle dictee: 62NV-MN65-PXBT-47MK, relue OK"
PROBE_KEY = "62NVMN65PXBT47MK"
REFUSED_IN_A_NOTE = (
    "La note contient ce qui ressemble à une clé de sécurité : n'écrivez jamais un code "
    "dans une note"
)
CNI_NOTE = "S2 OK, président a vu la CNI n° 123456789012"
PROSE = (
    "Réinitialisé puis relueOKmerci ; inconditionnelle, particulièrement, "
    "développementaux, prestataires, intervention ; elle sera chez Marc à 10h30"
)


def issued(desk: Desk, *kinds: str) -> tuple[str, list[IssuedCredential]]:
    """A verified call on the caller and the credentials issued in it."""
    call = verified_call(desk, desk.caller)
    return call, [
        issue_credential(desk.deps, AGENT, call, desk.caller.material_id, kind) for kind in kinds
    ]


def _compact(text: str) -> str:
    return text.replace(" ", "").replace("-", "").replace(".", "")


def texts(deps: Deps) -> list[tuple[str, str]]:
    """Every value the store holds and the export, compacted (no spaces, dashes, dots)."""
    found = [
        (f"{table}.{column}", _compact(value))
        for table, column, value in stored(deps.engine)
        if (table, column) not in ROLL_CONTACTS
    ]
    return found + [(f"export {fmt}", _compact(text)) for fmt, text in exported(deps).items()]


def assert_nowhere(deps: Deps, *values: str) -> None:
    leaks = [
        (where, value)
        for where, text in texts(deps)
        for value in values
        if value in text or value.upper() in text.upper()
    ]
    assert leaks == []


def close_note(desk: Desk, call: str) -> str | None:
    [entry] = entries(desk.deps, "intervention_close", intervention=call)
    return (entry["details"] or {}).get("note")


# ------------------------------------------------------------------- the closing note


def test_the_probes_note_is_refused_and_no_key_is_stored(desk: Desk) -> None:
    call, [key] = issued(desk, "security_key")
    confirm_read_out(desk.deps, AGENT, call, key.credential_id)
    for note in (PROBE_NOTE, f"Nouvelle cle dictee: {key.display}, relue OK"):
        with pytest.raises(ServiceError, match=REFUSED_IN_A_NOTE):
            close_intervention(desk.deps, AGENT, call, "résolu", note)
    # Refused, not closed: the agent writes it again without the key.
    assert current_intervention(desk.deps, AGENT) is not None
    close_intervention(desk.deps, AGENT, call, "résolu", "Nouvelle clé lue, relue OK")
    assert close_note(desk, call) == "Nouvelle clé lue, relue OK"
    assert_nowhere(desk.deps, PROBE_KEY, key.value)


@pytest.mark.parametrize(
    "typed",
    [
        lambda value: creds.display(KEY_FORMAT, value),
        lambda value: KEY_FORMAT.grouped(value.lower(), " "),
        lambda value: value,
        lambda value: f"«{value.lower()}»",
    ],
    ids=["as shown", "spaced small letters", "one piece", "quoted small letters"],
)
def test_the_issued_key_is_refused_however_typed(desk: Desk, typed: Callable[[str], str]) -> None:
    # By its shape, or by its hash when it has no digit to tell it (spaced, small).
    call, [key] = issued(desk, "security_key")
    with pytest.raises(ServiceError, match="n'écrivez jamais un code dans une note"):
        close_intervention(desk.deps, AGENT, call, "résolu", f"clé {typed(key.value)} lue")
    assert_nowhere(desk.deps, key.value)


def test_a_password_in_the_closing_note_is_refused_by_its_hash(desk: Desk) -> None:
    call, [password] = issued(desk, "password")
    for note in (f"mot de passe {password.value}, relu", f"mdp={password.value}."):
        with pytest.raises(ServiceError, match="ressemble à un mot de passe : n'écrivez"):
            close_intervention(desk.deps, AGENT, call, "résolu", note)
    assert_nowhere(desk.deps, password.value)


def test_prose_is_stored_as_written_beside_active_credentials(desk: Desk) -> None:
    # 16-letter words, 12-character ones, « relueOKmerci »: none is a credential, and
    # the voter's key and password are compared with their hashes, not taken for them.
    call, _ = issued(desk, "security_key", "password")
    close_intervention(desk.deps, AGENT, call, "résolu", PROSE)
    assert close_note(desk, call) == PROSE


def test_a_vote_code_is_refused_by_the_education_elections_shape(desk: Desk) -> None:
    call = open_call(desk, desk.teacher)
    with pytest.raises(ServiceError, match="ressemble à un code de vote"):
        close_intervention(desk.deps, AGENT, call.id, "résolu", "code 7KQ2-MN65-PXBT relu")
    close_intervention(desk.deps, AGENT, call.id, "résolu", PROSE)
    assert close_note(desk, call.id) == PROSE


class CountingHasher(PasswordHasher):
    """The fast test hasher, counting its comparisons."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


def test_argon2_comparisons_are_few_and_the_drawn_looking_first(desk: Desk) -> None:
    call, [password] = issued(desk, "password")
    hasher = CountingHasher()
    deps = dataclasses.replace(desk.deps, hasher=hasher)
    # Twelve words of the password's length and alphabet: twelve candidates.
    words = " ".join(f"{letter}prestataire" for letter in "abcdefghjkmn")
    with pytest.raises(ServiceError, match="mot de passe"):
        close_intervention(deps, AGENT, call, "résolu", f"{words} {password.value}")
    assert 1 <= hasher.verified <= MAX_SLOW_COMPARISONS
    hasher.verified = 0
    close_intervention(deps, AGENT, call, "résolu", words)
    assert hasher.verified == MAX_SLOW_COMPARISONS


# ----------------------------------------------------------- reasons and outcomes


def escalated_case(desk: Desk, *kinds: str) -> tuple[int, list[IssuedCredential]]:
    call, values = issued(desk, *kinds)
    close_intervention(desk.deps, AGENT, call, "escaladé", "rappel demandé",
                       callback_number="06 12 34 56 78")  # fmt: skip
    with desk.deps.reading() as session:
        case = session.execute(
            select(col(Escalation.id)).where(col(Escalation.intervention_id) == call)
        ).scalar_one()
    take_escalation(desk.deps, SUPERVISOR, case)
    return case, values


def test_a_case_closed_with_a_credential_in_its_outcome_is_refused(desk: Desk) -> None:
    case, [key, password] = escalated_case(desk, "security_key", "password")
    written = {"une clé de sécurité": key.display, "un mot de passe": password.value}
    for kind, value in written.items():
        refusal = f"La suite donnée contient ce qui ressemble à {kind}"
        with pytest.raises(ServiceError, match=refusal):
            close_escalation(desk.deps, SUPERVISOR, case, "résolu", f"rappelé, code {value} lu")
    close_escalation(desk.deps, SUPERVISOR, case, "résolu", PROSE)
    assert_nowhere(desk.deps, key.value, password.value)


def test_a_password_typed_into_a_reason_is_refused_given_the_voter(desk: Desk) -> None:
    _, [password] = issued(desk, "password")
    with desk.deps.reading() as session:
        codes = code_check(desk.deps, session, desk.caller.voter_id, desk.caller.election)
    reason = f"ancien mot de passe {password.value} compromis"
    with pytest.raises(ServiceError, match="Le motif contient ce qui ressemble à un mot de passe"):
        refuse_codes(typed_reason(reason), "Le motif", "un motif", codes)
    refuse_codes(typed_reason(PROSE), "Le motif", "un motif", codes)
    assert typed_reason(PROSE) == PROSE


@pytest.mark.parametrize("field", WRITERS)
def test_the_probes_key_in_any_free_text_is_refused(desk: Desk, field: str) -> None:
    # A reason is read for the shape of any election's code; a note and an outcome
    # for their election's shapes and the voter's credentials.
    with pytest.raises(ServiceError, match="n'écrivez jamais un code dans"):
        WRITERS[field](desk, PROBE_NOTE)
    assert_nowhere(desk.deps, PROBE_KEY)


@pytest.mark.parametrize("field", WRITERS)
def test_an_identity_card_number_in_any_free_text_is_stored_masked(desk: Desk, field: str) -> None:
    before = len(entries(desk.deps))
    WRITERS[field](desk, CNI_NOTE)
    assert len(entries(desk.deps)) > before
    assert_nowhere(desk.deps, "123456789012")
    assert any("CNIn°…9012" in text for _, text in texts(desk.deps))  # compacted
