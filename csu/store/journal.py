"""Appending to and reading the hash-chained journal.

``append`` runs inside the caller's transaction, as its last statement, so
that a change and its entry commit or roll back together. Appends are
serialised: SQLite write transactions start with BEGIN IMMEDIATE (see
engine.py); PostgreSQL locks the one-row chain head FOR UPDATE.
"""

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from csu.domain.clock import rfc3339
from csu.domain.journal import GENESIS_HASH, canonical_form, chain_hash
from csu.store.tables import ChainHead, JournalEntry

INDEXED_FIELDS = (
    "event_id",
    "ts",
    "operator",
    "role",
    "workstation",
    "election",
    "subject",
    "intervention",
    "action",
    "outcome",
)
_COLUMNS = ("seq", *INDEXED_FIELDS, "body", "hash")


def _statements(dialect: str) -> tuple[str, str, str]:
    """The three statements of an append, in the driver's own placeholders: they run
    on the driver's cursor, the ORM's per-statement machinery costing more than them."""
    mark = "?" if dialect == "sqlite" else "%s"
    lock = "" if dialect == "sqlite" else " FOR UPDATE"  # SQLite: BEGIN IMMEDIATE
    return (
        f"SELECT seq, hash FROM journal_head WHERE id = 1{lock}",
        f"INSERT INTO journal_entry ({', '.join(_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(_COLUMNS))})",
        f"UPDATE journal_head SET seq = {mark}, hash = {mark} WHERE id = 1",
    )


_STATEMENTS = {name: _statements(name) for name in ("sqlite", "postgresql")}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: written into every entry."""

    operator: str | None
    role: str | None
    workstation: str | None


@dataclass(frozen=True, slots=True)
class Appended:
    seq: int
    event_id: str
    hash: str


def append(
    session: Session,
    *,
    actor: Actor,
    action: str,
    outcome: str,
    at: datetime,
    election: str | None = None,
    subject: str | None = None,
    intervention: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> Appended:
    """Append one entry in the session's transaction; flushes pending changes first."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # the change goes to the database before its entry
    connection = session.connection()
    read_head, insert_entry, move_head = _STATEMENTS[connection.dialect.name]
    cursor = connection.connection.cursor()
    try:
        cursor.execute(read_head)
        row = cursor.fetchone()
        if row is None:
            raise RuntimeError("journal head missing: run the migrations (csu init)")
        fields = {
            "event_id": str(uuid.uuid4()),
            "ts": rfc3339(at),
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
        stored, body = canonical_form(fields)  # stored: the NFC values, exactly as hashed
        seq = row[0] + 1
        digest = chain_hash(seq, row[1], body)
        cursor.execute(
            insert_entry, (seq, *(stored[name] for name in INDEXED_FIELDS), body, digest)
        )
        cursor.execute(move_head, (seq, digest))
    finally:
        cursor.close()
    return Appended(seq=seq, event_id=stored["event_id"], hash=digest)




def iter_chain(session: Session, batch: int = 20_000) -> Iterator[tuple[int, bytes, str]]:
    """``(seq, body, hash)`` of every entry in sequence order, streamed.

    Straight from the driver's cursor: a million rows through SQLAlchemy's result
    objects would cost more than checking them.
    """
    connection = session.connection()
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        cursor = driver.cursor(name="csu_journal_chain")  # server-side: streams
    else:
        cursor = driver.cursor()
    try:
        cursor.execute("SELECT seq, body, hash FROM journal_entry ORDER BY seq")
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def first_column_mismatch(session: Session) -> int | None:
    """The first entry whose index columns disagree with its hashed body, if any.

    Runs inside the database (JSON functions in C), so it can overlap with the
    hash check done in Python.
    """
    if session.get_bind().dialect.name == "sqlite":
        field = "json_extract(CAST(body AS TEXT), '$.{0}') IS NOT {0}"
    else:
        field = "(convert_from(body, 'UTF8')::jsonb ->> '{0}') IS DISTINCT FROM {0}"
    where = " OR ".join(field.format(name) for name in INDEXED_FIELDS)
    return session.execute(text(f"SELECT min(seq) FROM journal_entry WHERE {where}")).scalar()


def entry_fields(entry: JournalEntry) -> dict[str, Any]:
    """What an entry says, read from its hashed body (never from the index columns)."""
    fields: dict[str, Any] = json.loads(entry.body)
    fields["seq"] = entry.seq
    fields["hash"] = entry.hash
    return fields


def head(session: Session) -> tuple[int, str]:
    row = session.get(ChainHead, 1)
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)
