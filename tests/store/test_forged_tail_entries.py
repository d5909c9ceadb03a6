"""An entry added at the end of the journal by someone who can write to the database
(the row inserted, the unkeyed chain hash computed, the head moved one step as its
trigger allows) that ``journal.append`` could never have written: the verification names
it (« journal intègre » before), where an entry written by CSU still verifies."""

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from csu.domain.clock import rfc3339
from csu.domain.journal import (
    GENESIS_HASH,
    NOT_CANONICAL,
    TIME_TOLERANCE,
    canonical_bytes,
    chain_hash,
)
from csu.domain.merkle import CompactRange
from csu.services import audit
from csu.services.audit import verify_journal
from csu.services.checkpoints import CheckpointRefused, sign_checkpoint
from csu.services.context import Deps
from csu.store import chain, journal
from tests.conftest import NOW, SUPERVISOR
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


def test_verify_names_a_forged_tail_entry_dated_before_the_previous_beyond_tolerance(
    deps: Deps,
) -> None:
    """Dated 1999, after entries of 2022: the chain and its form hold, its time does not."""
    _, reason = forged_check(
        deps, lambda fields: canonical_bytes(fields | {"ts": "1999-12-31T23:00:00.000000Z"})
    )
    assert reason == (
        "horodatage 1999-12-31T23:00:00.000000Z antérieur de plus de 5 minutes à celui de "
        f"l'entrée précédente ({rfc3339(NOW)})"
    )


def test_verify_passes_an_entry_dated_before_the_previous_within_tolerance(
    sqlite_deps: Deps,
) -> None:
    """Two workstations' clocks a little apart, a transaction that took its time early:
    an entry a few minutes older than the one before it is no forgery."""
    append_entries(sqlite_deps.engine, 3)
    earlier = rfc3339(NOW - TIME_TOLERANCE)
    fields = last_fields(sqlite_deps.engine) | {"ts": earlier}
    forge_tail(sqlite_deps.engine, canonical_bytes(fields))
    assert verify_journal(sqlite_deps, SUPERVISOR).describe() == "journal intègre : 4 entrées"


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


def test_a_journal_checked_in_two_parts_names_a_back_dated_first_entry_of_the_second(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second process reads the time of the entry before its part."""
    monkeypatch.setattr(audit, "SPLIT_FROM", 2)
    append_entries(deps.engine, 1)  # entry 1 here, entry 2 on by the second process
    fields = last_fields(deps.engine) | {"ts": "1999-12-31T23:00:00.000000Z"}
    seq = forge_tail(deps.engine, canonical_bytes(fields))
    check = verify_journal(deps, SUPERVISOR)
    assert check.failed_seq == seq == 2
    assert (check.reason or "").startswith("horodatage 1999-12-31T23:00:00.000000Z antérieur")


def test_the_time_of_an_entry_a_checkpoint_vouches_for_is_what_the_next_follows() -> None:
    """Its body is not read again, its time is."""
    times = [rfc3339(NOW), rfc3339(NOW + timedelta(days=1)), "1999-12-31T23:00:00.000000Z"]
    rows, previous = [], GENESIS_HASH
    for seq, ts in enumerate(times, start=1):
        body = canonical_bytes(ENTRY | {"event_id": f"e-{seq}", "ts": ts})
        previous = chain_hash(seq, previous, body)
        rows.append((seq, body, previous))
    check, _ = chain.verify_marked(rows, tree=CompactRange(), bodies_from=3)
    assert check.failed_seq == 3
    assert (check.reason or "").endswith(f"à celui de l'entrée précédente ({times[1]})")


def test_the_signer_refuses_to_sign_over_a_forged_tail_entry(sqlite_deps: Deps) -> None:
    append_entries(sqlite_deps.engine, 3)
    seq = forge_tail(
        sqlite_deps.engine, json.dumps(last_fields(sqlite_deps.engine), sort_keys=True).encode()
    )
    with pytest.raises(CheckpointRefused, match=f"entrée {seq} : contenu qui n'est pas sous"):
        sign_checkpoint(sqlite_deps, SUPERVISOR, SIGNER)

