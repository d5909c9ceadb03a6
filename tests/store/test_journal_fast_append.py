"""The journal's append without a Session (``entry_cursor`` and
``append_on_cursor``, which journalled searches use): the same entries as ``append``, a
chain the audit verifies, one transaction that commits whole or not at all, and the
retries of a service as with ``write_session``."""

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from csu.domain import journal as journal_maths
from csu.domain.clock import fixed_clock, rfc3339
from csu.domain.journal import GENESIS_HASH, NotCanonical, canonical_form, chain_hash
from csu.services.audit import verify_journal
from csu.services.context import Deps, PartlyRecorded, StoreBusy, retried
from csu.services.voters import record_search, search_voters
from csu.store import engine as store
from csu.store import journal
from csu.store.engine import make_engine, read_session, write_session
from csu.store.journal import Actor
from tests.conftest import AGENT, NOW, SUPERVISOR, TEST_KEY, sqlite_engine
from tests.examples import examples

ACTOR = Actor(operator="agent", role="agent", workstation="poste-1")

# The inputs of ``append``: every kind of value an entry holds, decomposed accents
# included (stored NFC), nested details, absent fields.
CASES: list[dict[str, Any]] = [
    {"action": "recherche", "outcome": "ok", "details": {"query": "AB***4", "results": 1}},
    {"action": "consultation", "outcome": "ok", "subject": "pseudo-1", "election": "e1"},
    {"action": "note", "outcome": "refusé", "details": {"nom": "Zoe\u0301", "Zoe\u0301": None}},
    {"action": "x", "outcome": "ok", "intervention": "i-1", "details": {"ok": True, "n": -3}},
    {"action": "x", "outcome": "ok", "details": {"liste": ["a", 1, {"b": "e\u0301"}]}},
    {"action": "x", "outcome": "ok", "details": {"sous": {"clé": {"x": 1}}, "vide": {}}},
    {"action": "Cafe\u0301", "outcome": "ok", "election": "E\u0301", "details": None},
]


def rows(engine: Engine) -> list[tuple[int, bytes, str]]:
    with read_session(engine) as session:
        return list(journal.iter_chain(session))


def columns(engine: Engine, seq: int) -> dict[str, Any]:
    names = ", ".join(journal.INDEXED_FIELDS)
    with read_session(engine) as session:
        row = session.execute(
            text(f"SELECT {names} FROM journal_entry WHERE seq = :seq"), {"seq": seq}
        ).one()
    return dict(zip(journal.INDEXED_FIELDS, row, strict=True))


def head(engine: Engine) -> tuple[int, str]:
    with read_session(engine) as session:
        return journal.head(session)


def by_session(engine: Engine, case: dict[str, Any]) -> journal.Appended:
    with write_session(engine) as session:
        return journal.append(session, actor=ACTOR, at=NOW, **case)


def by_cursor(engine: Engine, case: dict[str, Any]) -> journal.Appended:
    with journal.entry_cursor(engine) as cursor:
        return journal.append_on_cursor(cursor, actor=ACTOR, at=NOW, **case)


def reference(case: dict[str, Any], event_id: str) -> tuple[dict[str, Any], bytes]:
    """What ``append`` stored before it had a fast path: ``canonical_form`` of the
    whole entry."""
    return canonical_form(
        {
            "event_id": event_id,
            "ts": rfc3339(NOW),
            "operator": ACTOR.operator,
            "role": ACTOR.role,
            "workstation": ACTOR.workstation,
            "election": case.get("election"),
            "subject": case.get("subject"),
            "intervention": case.get("intervention"),
            "action": case["action"],
            "outcome": case["outcome"],
            "details": dict(case.get("details") or {}),
        }
    )


def test_cursor_appends_store_the_entry_append_stores(sqlite_store: Engine) -> None:
    appended = []
    for case in CASES:
        appended.append((case, by_session(sqlite_store, case)))
        appended.append((case, by_cursor(sqlite_store, case)))

    stored = rows(sqlite_store)
    assert [seq for seq, _, _ in stored] == list(range(1, 2 * len(CASES) + 1))
    previous = GENESIS_HASH
    for (case, entry), (seq, body, digest) in zip(appended, stored, strict=True):
        fields, expected = reference(case, entry.event_id)
        assert body == expected
        assert (entry.seq, entry.hash) == (seq, digest) == (seq, chain_hash(seq, previous, body))
        assert columns(sqlite_store, seq) == {n: fields[n] for n in journal.INDEXED_FIELDS}
        previous = digest
    # The two ways differ by their event_id only.
    for first, second in zip(stored[0::2], stored[1::2], strict=True):
        one, two = json.loads(first[1]), json.loads(second[1])
        assert one.pop("event_id") != two.pop("event_id")
        assert one == two
    assert head(sqlite_store) == (stored[-1][0], stored[-1][2])


def test_cursor_appends_verify_as_the_audit_does(sqlite_deps: Deps) -> None:
    for _ in range(3):
        search_voters(sqlite_deps, AGENT, "dupont")
        record_search(sqlite_deps, AGENT, "ab1234", [])
        by_session(sqlite_deps.engine, CASES[2])
        by_cursor(sqlite_deps.engine, CASES[4])

    check = verify_journal(sqlite_deps, SUPERVISOR)

    assert check.ok, check.describe()
    assert check.count == 12


def test_event_ids_are_time_ordered_uuids(sqlite_store: Engine) -> None:
    # Version 7: the index of event_id filled at its right edge (csu/domain/ids.py).
    ids = [by_cursor(sqlite_store, CASES[0]).event_id for _ in range(50)]
    assert len(set(ids)) == 50
    for event_id in ids:
        parsed = uuid.UUID(event_id)
        assert (str(parsed), parsed.version, parsed.variant) == (event_id, 7, uuid.RFC_4122)
    assert [event_id[:13] for event_id in ids] == sorted(event_id[:13] for event_id in ids)


def test_an_error_in_the_transaction_keeps_nothing(sqlite_store: Engine) -> None:
    by_cursor(sqlite_store, CASES[0])
    before = head(sqlite_store)

    with pytest.raises(LookupError), journal.entry_cursor(sqlite_store) as cursor:
        journal.append_on_cursor(cursor, actor=ACTOR, at=NOW, **CASES[1])
        raise LookupError("après l'entrée")

    assert head(sqlite_store) == before
    assert len(rows(sqlite_store)) == 1
    by_cursor(sqlite_store, CASES[1])  # the pooled connection came back usable
    assert len(rows(sqlite_store)) == 2


def test_a_refused_value_keeps_nothing(sqlite_store: Engine) -> None:
    with pytest.raises(NotCanonical):
        by_cursor(sqlite_store, {"action": "x", "outcome": "ok", "details": {"taux": 0.5}})
    assert rows(sqlite_store) == []


def test_the_transaction_counts_in_the_attempt_of_a_retried_service(
    sqlite_store: Engine,
) -> None:
    with store.attempt() as state:
        assert not store.in_transaction()
        with journal.entry_cursor(sqlite_store) as cursor:
            assert store.in_transaction()
            journal.append_on_cursor(cursor, actor=ACTOR, at=NOW, **CASES[0])
        assert not store.in_transaction()
    assert (state.committed, state.failed_at_commit, state.open) == (1, False, 0)


def test_on_postgresql_the_entry_is_queued_and_chained_once_committed(
    postgres_store: Engine,
) -> None:
    with journal.entry_cursor(postgres_store) as cursor:
        appended = journal.append_on_cursor(cursor, actor=ACTOR, at=NOW, **CASES[0])
        assert (appended.seq, appended.hash) == (None, None)
    # Integrated by the connection that committed it, before it went back to the pool.
    assert [json.loads(body)["event_id"] for _, body, _ in rows(postgres_store)] == [
        appended.event_id
    ]


def test_on_postgresql_an_error_in_the_transaction_queues_nothing(
    postgres_store: Engine,
) -> None:
    with pytest.raises(LookupError), journal.entry_cursor(postgres_store) as cursor:
        journal.append_on_cursor(cursor, actor=ACTOR, at=NOW, **CASES[0])
        raise LookupError("après l'entrée")
    with read_session(postgres_store) as session:
        assert journal.waiting(session) == []
    assert rows(postgres_store) == []


# ------------------------------------------------------------ a locked SQLite file


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[tuple[Deps, Path]]:
    """A store waiting 20 ms only for another workstation's write lock."""
    sqlite_engine(tmp_path).dispose()
    path = tmp_path / "csu.sqlite"
    engine = make_engine(f"sqlite:///{path}", sqlite_busy_timeout_ms=20)
    yield Deps(engine=engine, key=TEST_KEY, clock=fixed_clock(NOW)), path
    engine.dispose()


def write_lock(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_journalled_search_on_a_locked_file_records_nothing(
    impatient: tuple[Deps, Path],
) -> None:
    deps, path = impatient
    other = write_lock(path)

    with pytest.raises(StoreBusy, match="rien n'a été enregistré"):
        search_voters(deps, AGENT, "dupont")

    other.rollback()
    assert rows(deps.engine) == []


def test_a_journalled_search_is_retried_once_the_file_is_released(
    impatient: tuple[Deps, Path],
) -> None:
    deps, path = impatient
    other = write_lock(path)
    release = threading.Timer(0.03, other.rollback)  # during the first pause (>= 50 ms)
    release.start()

    assert search_voters(deps, AGENT, "dupont") == []

    release.join()
    assert len(rows(deps.engine)) == 1


def test_a_service_whose_search_committed_is_not_run_again(
    impatient: tuple[Deps, Path],
) -> None:
    deps, path = impatient
    attempts: list[int] = []
    holder: list[sqlite3.Connection] = []

    @retried
    def search_then_note() -> None:
        attempts.append(1)
        search_voters(deps, AGENT, "dupont")  # committed: a retry would journal it twice
        holder.append(write_lock(path))
        with deps.writing() as session:
            journal.append(session, actor=AGENT.actor, action="note", outcome="ok", at=NOW)

    with pytest.raises(PartlyRecorded):
        search_then_note()

    holder[0].rollback()
    assert attempts == [1]
    assert len(rows(deps.engine)) == 1


# ------------------------------------------------- the body, for any value


# Text often not in NFC: letters and combining accents, besides any character.
_text = st.text(st.sampled_from("eEzZ \u0301\u0300\u0327\u00e9") | st.characters(), max_size=8)
_scalars = st.none() | st.booleans() | st.integers() | _text
_values = st.recursive(
    _scalars | st.floats(allow_nan=False),  # a float is refused, either way
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_field = st.none() | _text


@settings(
    max_examples=examples(300),
    deadline=timedelta(seconds=1),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    actor=st.builds(Actor, _field, _field, _field),
    action=_text,
    outcome=_text,
    optional=st.tuples(_field, _field, _field),
    details=st.none() | st.dictionaries(_text, _values, max_size=4),
)
def test_the_body_of_any_entry_is_the_generic_walks(
    actor: Actor,
    action: str,
    outcome: str,
    optional: tuple[str | None, str | None, str | None],
    details: dict[str, Any] | None,
) -> None:
    """canonical_form's fast path for flat entries gives what its generic walk gives
    (or refuses alike): the bytes the chain hashes never depend on which ran."""
    election, subject, intervention = optional

    def generic(event_id: str) -> tuple[dict[str, Any], bytes]:
        normalised = journal_maths._normalise(
            {
                "event_id": event_id,
                "ts": rfc3339(NOW),
                "operator": actor.operator,
                "role": actor.role,
                "workstation": actor.workstation,
                "election": election,
                "subject": subject,
                "intervention": intervention,
                "action": action,
                "outcome": outcome,
                "details": dict(details or {}),
            }
        )
        body = json.dumps(normalised, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return normalised, body.encode("utf-8")

    try:
        stored, body = journal._entry(
            actor, action, outcome, NOW, election, subject, intervention, details
        )
    except (NotCanonical, UnicodeEncodeError) as error:  # a float, a lone surrogate
        with pytest.raises(type(error)):  # refused alike
            generic("id")
        return
    assert (stored, body) == generic(stored["event_id"])
