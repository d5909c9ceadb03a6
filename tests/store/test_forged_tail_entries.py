"""An entry added at the end of the journal by someone who can write to the database
(the row inserted, the unkeyed chain hash computed, the head moved one step as its
trigger allows) that ``journal.append`` could never have written: the verification names
it (« journal intègre » before), where an entry written by CSU still verifies."""

import json
from typing import Any

import pytest
from sqlalchemy import Engine, text

from csu.domain.journal import (
    NOT_CANONICAL,
    canonical_bytes,
    chain_hash,
)
from csu.services.audit import verify_journal
from csu.services.checkpoints import CheckpointRefused, sign_checkpoint
from csu.services.context import Deps
from csu.store import journal
from tests.conftest import SUPERVISOR
from tests.services.test_checkpoints import SIGNER
from tests.store.test_journal import append_entries

ENTRY = {
    "action": "consultation", "details": {}, "election": None, "event_id": "e",
    "intervention": None, "operator": "agent", "outcome": "ok", "role": "agent",
    "subject": None, "ts": "", "workstation": "poste-1",
}  # fmt: skip


def last_fields(engine: Engine) -> dict[str, Any]:
    """The fields of the last entry CSU wrote, under a new event id: a forgery's start."""
    with engine.connect() as conn:
        body = conn.execute(
            text("SELECT body FROM journal_entry ORDER BY seq DESC LIMIT 1")
        ).scalar_one()
    return json.loads(bytes(body)) | {"event_id": "e-forged"}


def forge_tail(engine: Engine, body: bytes) -> int:
    """What a holder of write access to the database does: the row inserted after the
    last, chained as CSU chains one, and the head moved onto it (SQLite derives the
    indexed columns from the body; on PostgreSQL they are written from it)."""
    fields = json.loads(body)
    with engine.begin() as conn:
        seq, previous = conn.execute(text("SELECT seq, hash FROM journal_head")).one()
        number = seq + 1
        values = {"seq": number, "body": body, "hash": chain_hash(number, previous, body)}
        if engine.dialect.name != "sqlite":
            values |= {name: fields[name] for name in journal.INDEXED_FIELDS}
        conn.execute(
            text(
                f"INSERT INTO journal_entry ({', '.join(values)}) "
                f"VALUES ({', '.join(':' + name for name in values)})"
            ),
            values,
        )
        conn.execute(
            text("UPDATE journal_head SET seq = :s, hash = :h"),
            {"s": number, "h": values["hash"]},
        )
    return number


def forged_check(deps: Deps, body_of: Any) -> tuple[int, str | None]:
    """The verification of a journal of three entries CSU wrote and one forged after
    them, ``body_of`` making its body of the last entry's fields."""
    append_entries(deps.engine, 3)
    seq = forge_tail(deps.engine, body_of(last_fields(deps.engine)))
    check = verify_journal(deps, SUPERVISOR)
    assert check.failed_seq == seq, check.describe()
    return seq, check.reason


def test_verify_names_a_forged_tail_entry_written_with_spaces(deps: Deps) -> None:
    _, reason = forged_check(
        deps, lambda fields: json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()
    )
    assert reason == NOT_CANONICAL


def test_verify_names_a_forged_tail_entry_with_its_keys_out_of_order(deps: Deps) -> None:
    def reversed_keys(fields: dict[str, Any]) -> bytes:
        backwards = dict(sorted(fields.items(), reverse=True))
        return json.dumps(backwards, separators=(",", ":"), ensure_ascii=False).encode()

    assert forged_check(deps, reversed_keys)[1] == NOT_CANONICAL


def test_verify_names_a_forged_tail_entry_with_an_extra_float_key(deps: Deps) -> None:
    _, reason = forged_check(
        deps,
        lambda fields: canonical_bytes(fields).replace(
            b',"intervention"', b',"extra":1.5,"intervention"'
        ),
    )
    assert reason == "clé « extra » que le journal n'écrit pas"


def test_verify_names_a_forged_tail_entry_with_a_float_in_its_details(deps: Deps) -> None:
    _, reason = forged_check(
        deps, lambda fields: canonical_bytes(fields).replace(b'"number":2', b'"number":1.5')
    )
    assert reason == "valeur que le journal n'écrit pas (1.5)"


def test_a_forged_tail_entry_whose_hash_is_also_wrong_is_named_for_its_hash(
    sqlite_deps: Deps,
) -> None:
    """The chain is checked first: an entry altered is said to be, not only ill-written."""
    append_entries(sqlite_deps.engine, 3)
    spaced = json.dumps(last_fields(sqlite_deps.engine), sort_keys=True).encode()
    with sqlite_deps.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO journal_entry (seq, body, hash) VALUES (4, :b, :h)"),
            {"b": spaced, "h": "0" * 64},
        )
        conn.execute(text("UPDATE journal_head SET seq = 4, hash = :h"), {"h": "0" * 64})
    check = verify_journal(sqlite_deps, SUPERVISOR)
    assert (check.failed_seq, check.reason) == (
        4, "empreinte incorrecte (contenu modifié ou chaîne rompue)"
    )  # fmt: skip


def test_the_signer_refuses_to_sign_over_a_forged_tail_entry(sqlite_deps: Deps) -> None:
    append_entries(sqlite_deps.engine, 3)
    seq = forge_tail(
        sqlite_deps.engine, json.dumps(last_fields(sqlite_deps.engine), sort_keys=True).encode()
    )
    with pytest.raises(CheckpointRefused, match=f"entrée {seq} : contenu qui n'est pas sous"):
        sign_checkpoint(sqlite_deps, SUPERVISOR, SIGNER)

