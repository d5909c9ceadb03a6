"""A body written into the SQLite journal by hand and chained as CSU chains one, but that
is no entry every reader reads alike: the verification names it (« journal intègre »
before, while the export ended in a traceback), the signer refuses to sign over it, and
the review and the export show it as an unreadable entry, never a traceback."""


import io
import json
from typing import Any

import pytest
from sqlalchemy import Engine, text

from csu.domain.entry_body import entry_fault
from csu.domain.journal import canonical_bytes, chain_hash
from csu.services import audit
from csu.services.audit import export_journal, verify_journal
from csu.services.checkpoints import CheckpointRefused, check_integrity, sign_checkpoint
from csu.services.context import Deps, ServiceError
from csu.services.journal_review import ReviewFilter, entry_detail, search_journal
from csu.store import chain, journal
from tests.conftest import SUPERVISOR
from tests.services.test_checkpoints import SIGNER
from tests.store.test_journal import append_entries

ENTRY = {
    "action": "login", "details": {}, "election": None, "event_id": "e-forged",
    "intervention": None, "operator": "agent", "outcome": "ok", "role": "agent",
    "subject": None, "ts": "2022-12-01T09:00:00Z", "workstation": "poste-1",
}  # fmt: skip
ENTRY_BYTES = canonical_bytes(ENTRY)

NOT_ENTRIES = {
    "a list": (b"[1,2,3]", "contenu JSON qui n'est pas un objet"),
    "a NUL then more": (ENTRY_BYTES + b"\x00garbage", "contenu illisible (ni texte UTF-8 ni JSON)"),
    "not UTF-8": (
        ENTRY_BYTES.replace(b"poste-1", b"poste-\xff"),
        "contenu illisible (ni texte UTF-8 ni JSON)",
    ),
    "a key twice": (
        ENTRY_BYTES.replace(b'{"action":"login"', b'{"action":"login","action":"verification"'),
        "clé « action » en double dans un objet",
    ),
    "a key twice, spaced": (
        ENTRY_BYTES[:-1] + b', "action" : "verification"}',
        "clé « action » en double dans un objet",
    ),
    "a key twice in the details": (
        ENTRY_BYTES.replace(b'"details":{}', b'"details":{"a":1,"a":2}'),
        "clé « a » en double dans un objet",
    ),
    "a field missing, another in its place": (
        canonical_bytes({k: v for k, v in ENTRY.items() if k != "operator"} | {"zz": "x"}),
        "champ « operator » absent",
    ),
    "a field not text": (
        canonical_bytes(ENTRY | {"operator": 5}), "champ « operator » qui n'est pas du texte"
    ),
    "a time that is none": (
        canonical_bytes(ENTRY | {"ts": "garbage"}), "horodatage « ts » illisible"
    ),
    "an infinite number": (
        ENTRY_BYTES.replace(b'"details":{}', b'"details":{"x":1e999}'),
        "nombre hors des limites d'un flottant (1e999)",
    ),
    "NaN": (
        ENTRY_BYTES.replace(b'"details":{}', b'"details":{"x":NaN}'),
        "contenu qui n'est pas du JSON strict (NaN ou infini)",
    ),
    "nested 40 levels": (
        canonical_bytes(ENTRY | {"details": {"a": json.loads("[" * 40 + "]" * 40)}}),
        "contenu imbriqué sur plus de 32 niveaux",
    ),
}


def chain_in(engine: Engine, body: bytes) -> int:
    """What a holder of the database file does: the body appended and chained."""
    with engine.begin() as conn:
        seq, previous = conn.execute(text("SELECT seq, hash FROM journal_head")).one()
        number = seq + 1
        digest = chain_hash(number, previous, body)
        conn.execute(
            text("INSERT INTO journal_entry (seq, body, hash) VALUES (:s, :b, :h)"),
            {"s": number, "b": body, "h": digest},
        )
        conn.execute(
            text("UPDATE journal_head SET seq = :s, hash = :h"), {"s": number, "h": digest}
        )
    return number


@pytest.mark.parametrize(("body", "fault"), NOT_ENTRIES.values(), ids=NOT_ENTRIES)
def test_a_body_that_is_no_entry_is_named_with_why(body: bytes, fault: str) -> None:
    assert entry_fault(body) == fault


def test_an_entry_holding_a_quote_and_a_colon_in_a_value_is_an_entry() -> None:
    said = canonical_bytes(ENTRY | {"details": {"note": 'il a dit "oui": appel clos'}})
    assert b'\\":' in said
    assert entry_fault(said) is None
    assert entry_fault(ENTRY_BYTES) is None


# SQLite itself refuses to store NaN: its indexed columns cannot read the body.
CHAINABLE = {name: case for name, case in NOT_ENTRIES.items() if name != "NaN"}


@pytest.mark.parametrize(("body", "fault"), CHAINABLE.values(), ids=CHAINABLE)
def test_verify_names_a_chained_body_that_is_no_entry(
    sqlite_deps: Deps, body: bytes, fault: str
) -> None:
    append_entries(sqlite_deps.engine, 3)
    seq = chain_in(sqlite_deps.engine, body)
    check = verify_journal(sqlite_deps, SUPERVISOR)
    assert (check.failed_seq, check.count) == (seq, 3)
    assert check.reason == f"contenu qui n'est pas une entrée du journal : {fault}"


def test_a_journal_checked_in_two_parts_names_it_in_the_second(
    sqlite_deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "SPLIT_FROM", 2)
    append_entries(sqlite_deps.engine, 8)  # 1-4 here, 5 on by the second process
    seq = chain_in(sqlite_deps.engine, b"[1,2,3]")
    append_entries(sqlite_deps.engine, 1)
    check = verify_journal(sqlite_deps, SUPERVISOR)
    assert check.failed_seq == seq
    assert check.reason == (
        "contenu qui n'est pas une entrée du journal : contenu JSON qui n'est pas un objet"
    )


def test_verify_still_passes_on_an_entry_with_a_quoted_colon(sqlite_deps: Deps) -> None:
    append_entries(sqlite_deps.engine, 2, note='il a dit "oui": appel clos')
    assert verify_journal(sqlite_deps, SUPERVISOR).describe() == "journal intègre : 2 entrées"


def test_the_signer_refuses_to_sign_over_a_body_that_is_no_entry(sqlite_deps: Deps) -> None:
    append_entries(sqlite_deps.engine, 3)
    seq = chain_in(sqlite_deps.engine, b"[1,2,3]")
    refused = f"entrée {seq} : contenu qui n'est pas une entrée du journal"
    with pytest.raises(CheckpointRefused, match=refused):
        sign_checkpoint(sqlite_deps, SUPERVISOR, SIGNER)


def test_a_body_after_the_latest_signed_checkpoint_is_read_as_an_entry(sqlite_deps: Deps) -> None:
    append_entries(sqlite_deps.engine, 3)
    sign_checkpoint(sqlite_deps, SUPERVISOR, SIGNER)  # entries 1-3, then its own entry 4
    seq = chain_in(sqlite_deps.engine, ENTRY_BYTES + b"\x00garbage")
    report = check_integrity(sqlite_deps, SUPERVISOR, SIGNER.verifier)
    assert not report.ok
    assert report.check.failed_seq == seq


UNREADABLE = {name: NOT_ENTRIES[name] for name in ("a list", "a NUL then more", "not UTF-8")}


@pytest.mark.parametrize(("body", "fault"), UNREADABLE.values(), ids=UNREADABLE)
def test_the_export_lists_an_unreadable_entry_in_its_place(
    sqlite_deps: Deps, body: bytes, fault: str
) -> None:
    append_entries(sqlite_deps.engine, 2)
    seq = chain_in(sqlite_deps.engine, body)
    append_entries(sqlite_deps.engine, 1)
    out = io.StringIO()
    assert export_journal(sqlite_deps, SUPERVISOR, out) == 4
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [row["seq"] for row in rows] == [1, 2, 3, 4]
    assert (rows[2]["action"], rows[2]["outcome"]) == ("journal_entry_unreadable", "illisible")
    assert rows[2]["details"] == {"problem": fault} and rows[2]["seq"] == seq


def test_the_csv_export_names_an_unreadable_entry(sqlite_deps: Deps) -> None:
    append_entries(sqlite_deps.engine, 1)
    chain_in(sqlite_deps.engine, b"[1,2,3]")
    out = io.StringIO()
    export_journal(sqlite_deps, SUPERVISOR, out, fmt="csv")
    [line] = [line for line in out.getvalue().splitlines() if line.startswith("2;")]
    assert "entrée illisible (altérée ?)" in line and "contenu JSON qui n'est pas un objet" in line


def test_the_review_shows_an_unreadable_entry_as_such(sqlite_deps: Deps) -> None:
    append_entries(sqlite_deps.engine, 1)
    seq = chain_in(sqlite_deps.engine, b"[1,2,3]")
    page = search_journal(sqlite_deps, SUPERVISOR, ReviewFilter())
    [row] = [row for row in page.rows if row.seq == seq]
    assert (row.at, row.action, row.outcome) == (None, "journal_entry_unreadable", "illisible")


def test_the_detail_of_an_entry_not_in_utf8_is_refused_in_french(sqlite_deps: Deps) -> None:
    append_entries(sqlite_deps.engine, 1)
    seq = chain_in(sqlite_deps.engine, NOT_ENTRIES["not UTF-8"][0])
    with pytest.raises(ServiceError, match=rf"Entrée n° {seq} illisible : .*ni texte UTF-8"):
        entry_detail(sqlite_deps, SUPERVISOR, seq)


def test_a_checkpoint_whose_signer_did_not_read_the_bodies_vouches_for_none(
    sqlite_deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint signed before CSU read the bodies (its entry says nothing of it):
    a body it covers is read all the same."""
    append_entries(sqlite_deps.engine, 2)
    seq = chain_in(sqlite_deps.engine, ENTRY_BYTES[:-1] + b', "action" : "x"}')
    # As the signer of the version before: no body read, nothing said of it.
    with monkeypatch.context() as before:
        before.setattr(chain, "entry_fault", lambda body: None)
        append = journal.append

        def unsaid(*args: Any, details: Any = None, **kwargs: Any) -> Any:
            kept = {k: v for k, v in (details or {}).items() if k != "bodies_read"}
            return append(*args, details=kept, **kwargs)

        before.setattr(journal, "append", unsaid)
        assert sign_checkpoint(sqlite_deps, SUPERVISOR, SIGNER).size == seq
    report = check_integrity(sqlite_deps, SUPERVISOR, SIGNER.verifier)
    assert report.check.failed_seq == seq


def test_a_body_saying_it_is_unreadable_is_read_as_what_it_says(sqlite_deps: Deps) -> None:
    """Its action is the code an unreadable body reads as, its details lack the reason:
    the entry's window read it as unreadable and ended in a KeyError."""
    append_entries(sqlite_deps.engine, 1)
    forged = canonical_bytes(ENTRY | {"action": "journal_entry_unreadable"})
    seq = chain_in(sqlite_deps.engine, forged)
    assert entry_detail(sqlite_deps, SUPERVISOR, seq).action == "journal_entry_unreadable"


def test_a_body_nested_past_pythons_reach_is_named_not_a_traceback(sqlite_deps: Deps) -> None:
    """SQLite's JSON reads 1,500 levels, Python's stops before: every reader of the
    checkpoints' entries ended in a RecursionError."""
    append_entries(sqlite_deps.engine, 1)
    deep = "[" * 1500 + "]" * 1500
    body = ENTRY_BYTES.replace(b'"action":"login"', b'"action":"journal_checkpoint"').replace(
        b'"details":{}', b'"details":{"a":' + deep.encode() + b"}"
    )
    seq = chain_in(sqlite_deps.engine, body)
    report = check_integrity(sqlite_deps, SUPERVISOR, SIGNER.verifier)
    assert report.check.failed_seq == seq
    assert "imbriqué" in (report.check.reason or "") or "illisible" in (report.check.reason or "")
    page = search_journal(sqlite_deps, SUPERVISOR, ReviewFilter())
    assert seq in [row.seq for row in page.rows]
