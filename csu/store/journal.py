"""Appending to and reading the hash-chained journal.

``append`` runs inside the caller's transaction, as its last statement, so
that a change and its entry commit or roll back together.

On SQLite (one workstation) the entry is chained at once: write transactions
start with BEGIN IMMEDIATE (see engine.py), which serialises appends. On
PostgreSQL the entry is queued, unsequenced, and chained after the commit by the
sequencer (csu/store/sequencer.py), so that actions never wait for the chain
head; the workstation that committed tries to integrate at once. ``CSU_JOURNAL_APPEND
=direct`` keeps the direct append there too (the chain head locked FOR UPDATE by
every action, as before the queue).

A service whose reads run on the driver's cursor and whose one write is its entry (a
journalled search) appends without an ORM Session: ``entry_cursor`` and
``append_on_cursor``, the same entry by the same statements.
"""

import json
import os
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from csu.domain.clock import rfc3339
from csu.domain.entry_body import INDEXED_FIELDS, entry_fault, read_entry, read_queued
from csu.domain.errors import InvalidValue
from csu.domain.ids import time_ordered_uuid
from csu.domain.journal import GENESIS_HASH, canonical_form, chain_hash
from csu.store import chain, sequencer
from csu.store.engine import write_cursor
from csu.store.tables import JournalEntry

# Every field of an entry's body but its details is repeated in an indexed column.

# The columns' widths, checked before an entry is written: on PostgreSQL a queued entry
# whose field overflows its column would stop the sequencer's every batch, and with it
# the journal of the whole cell (a workstation named in 150 characters, say).
_WIDTHS = {name: JournalEntry.__table__.c[name].type.length for name in INDEXED_FIELDS}
_FIELD_LABELS = {
    "operator": "Opérateur", "role": "Rôle", "workstation": "Poste de travail",
    "election": "Scrutin", "subject": "Électeur", "intervention": "Intervention",
    "action": "Action", "outcome": "Résultat",
}  # fmt: skip


def _statements(dialect: str) -> tuple[str, str, str]:
    """The three statements of an append, in the driver's own placeholders: they run
    on the driver's cursor, the ORM's per-statement machinery costing more than them."""
    mark = "?" if dialect == "sqlite" else "%s"
    lock = "" if dialect == "sqlite" else " FOR UPDATE"  # SQLite: BEGIN IMMEDIATE
    # On SQLite the index columns are generated from the body (see the migration).
    columns = ("seq", "body", "hash") if dialect == "sqlite" else _ALL_COLUMNS
    # SQLite: the hash as bytes, which a hand may have made no UTF-8 (read as text, the
    # driver fails in English before a row is seen): _head_of names it.
    hashed = "CAST(hash AS BLOB)" if dialect == "sqlite" else "hash"
    return (
        f"SELECT seq, {hashed} FROM journal_head WHERE id = 1{lock}",
        f"INSERT INTO journal_entry ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})",
        f"UPDATE journal_head SET seq = {mark}, hash = {mark} WHERE id = 1",
    )


_ALL_COLUMNS = ("seq", "body", "hash", *INDEXED_FIELDS)
_STATEMENTS = {name: _statements(name) for name in ("sqlite", "postgresql")}
_QUEUE = "INSERT INTO journal_queue (event_id, body) VALUES (%s, %s)"
# PostgreSQL: queue the entry for the sequencer (False: lock the head, as SQLite).
QUEUED = os.environ.get("CSU_JOURNAL_APPEND", "queue") != "direct"
_QUEUED_KEY = "csu_journal_queued"  # in Session.info: integrate after the commit


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: written into every entry."""

    operator: str | None
    role: str | None
    workstation: str | None


@dataclass(frozen=True, slots=True)
class Appended:
    """The entry written; ``seq`` and ``hash`` are None while it waits in the queue
    (PostgreSQL): its event_id names it meanwhile (see ``position``)."""

    seq: int | None
    event_id: str
    hash: str | None


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
    dialect = connection.dialect.name
    stored, body = _entry(actor, action, outcome, at, election, subject, intervention, details)
    cursor = connection.connection.cursor()
    try:
        appended = _write(cursor, dialect, stored, body)
    finally:
        cursor.close()
    if appended.seq is None:
        # Queued: the connection that will commit it integrates right after (no other).
        session.info[_QUEUED_KEY] = connection.connection.driver_connection
    return appended


def append_on_cursor(
    cursor: Any,
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
    """``append`` on the driver's cursor of an ``entry_cursor`` transaction, for a
    service without an ORM Session: the same entry, by the same statements (chained
    at once on SQLite, queued on PostgreSQL)."""
    stored, body = _entry(actor, action, outcome, at, election, subject, intervention, details)
    return _write(cursor, "sqlite" if isinstance(cursor, sqlite3.Cursor) else "postgresql",
                  stored, body)  # fmt: skip


def _write(cursor: Any, dialect: str, stored: Mapping[str, Any], body: bytes) -> Appended:
    """The entry's statements on the driver's cursor: queued for the sequencer on
    PostgreSQL (unless ``CSU_JOURNAL_APPEND=direct``), chained at once otherwise."""
    if dialect == "postgresql" and QUEUED:
        cursor.execute(_QUEUE, (stored["event_id"], body))
        return Appended(seq=None, event_id=stored["event_id"], hash=None)
    return _chain(cursor, dialect, stored, body)


def entry_cursor(engine: Engine) -> AbstractContextManager[Any]:
    """``write_cursor`` for a service whose reads run on the driver's cursor and whose
    one write is its entry (``append_on_cursor``): on PostgreSQL the connection that
    committed the entry then integrates it, as after a Session's commit. Its block is
    ``write_cursor``'s own, not one more generator around it."""
    after = None
    if engine.dialect.name == "postgresql" and QUEUED:

        def after(driver: Any) -> None:
            sequencer.integrate_quietly(engine, driver)

    return write_cursor(engine, after_commit=after)


def _entry(
    actor: Actor,
    action: str,
    outcome: str,
    at: datetime,
    election: str | None,
    subject: str | None,
    intervention: str | None,
    details: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], bytes]:
    """The entry's normalised fields (NFC, exactly as hashed) and its canonical body."""
    stored, body = canonical_form(
        {
            "event_id": time_ordered_uuid(),  # a sequence's index locality, unguessable
            "ts": rfc3339(at),
            "operator": actor.operator,
            "role": actor.role,
            "workstation": actor.workstation,
            "election": election,
            "subject": subject,
            "intervention": intervention,
            "action": action,
            "outcome": outcome,
            "details": dict(details) if details else {},
        }
    )
    _fits(stored)
    return stored, body


def _fits(stored: Mapping[str, Any]) -> None:
    """Refuses an entry one of whose fields is wider than its column (see _WIDTHS)."""
    for name, width in _WIDTHS.items():
        value = stored[name]
        if value is not None and width is not None and len(value) > width:
            raise InvalidValue(
                _FIELD_LABELS.get(name, name), f"{width} caractères au plus dans le journal"
            )


def _chain(cursor: Any, dialect: str, stored: Mapping[str, Any], body: bytes) -> Appended:
    """Chain the entry at once in the cursor's transaction: read the head (locked on
    PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers), insert, move the head."""
    read_head, insert_entry, move_head = _STATEMENTS[dialect]
    cursor.execute(read_head)
    last, previous = _head_of(cursor.fetchone())
    seq = last + 1
    digest = chain_hash(seq, previous, body)
    if dialect == "sqlite":
        cursor.execute(insert_entry, (seq, body, digest))
    else:
        cursor.execute(
            insert_entry, (seq, body, digest, *(stored[name] for name in INDEXED_FIELDS))
        )
    cursor.execute(move_head, (seq, digest))
    return Appended(seq=seq, event_id=stored["event_id"], hash=digest)


@event.listens_for(OrmSession, "after_commit")
def _integrate_after_commit(session: OrmSession) -> None:
    """The workstation that queued an entry tries to chain it at once (it does not
    wait if another sequencer is at work: that one looks at the queue again)."""
    if session.in_nested_transaction():
        # A SAVEPOINT was released (``begin_nested``): the outer transaction is still
        # open, and integrating on its connection would end it (its rows rolled back).
        return
    driver = session.info.pop(_QUEUED_KEY, None)
    if driver is not None and not driver.closed:
        bind = session.get_bind()
        sequencer.integrate_quietly(bind, driver)  # type: ignore[arg-type]


@event.listens_for(OrmSession, "after_rollback")
def _forget_rolled_back(session: OrmSession) -> None:
    session.info.pop(_QUEUED_KEY, None)


def position(engine: Engine, appended: Appended, timeout: float = 5.0) -> int | None:
    """The entry's position in the chain, once its transaction has committed: at once
    when it was chained directly, else after waiting (at most ``timeout`` s, helping
    to integrate) for the sequencer; None if it is still queued then."""
    if appended.seq is not None:
        return appended.seq
    return sequencer.wait_integrated(engine, appended.event_id, timeout)


def waiting(session: Session, **equal: str | None) -> list[dict[str, Any]]:
    """What the entries not yet chained say (PostgreSQL: queued for the sequencer),
    oldest first, with ``seq`` and ``hash`` None; only those whose fields equal
    ``equal`` (e.g. ``intervention=...``). For readers by position: a timeline or a
    review shows them as pending. Read from their bodies, as ``entry_fields`` does.
    A body that is no entry (written into the queue by hand) is left out: see
    :func:`unreadable_waiting`, which names it."""
    found = []
    needle = intervention_needle(equal.get("intervention"))
    for _, body in sequencer.queued_bodies(session, containing=needle):
        fields, _problem = read_queued(body)
        if fields is not None and all(fields.get(n) == v for n, v in equal.items()):
            fields["seq"] = fields["hash"] = None
            found.append(fields)
    return found


_PLAIN_ID = re.compile(r"[0-9A-Za-z-]{1,64}")


def intervention_needle(value: str | None) -> bytes | None:
    """The bytes every body of intervention ``value`` holds, as canonical_form writes
    them (sorted keys, no spaces), with no « % », « _ » nor « \\ »: the queue is read in
    SQL for one intervention first, and a close or a timeline no longer parses every
    queued body of a busy cell. None when ``value`` is no such id."""
    if value is None or not _PLAIN_ID.fullmatch(value):
        return None
    return f'"intervention":"{value}"'.encode()


def unreadable_waiting(session: Session, limit: int | None = None) -> list[tuple[int, str]]:
    """``(queue id, why, in French)`` of the waiting bodies that are no entry (among the
    oldest ``limit``): the sequencer sets them aside when it meets them (migration 0021)."""
    return [
        (queued, problem)
        for queued, body in sequencer.queued_bodies(session, limit)
        for _fields, problem in [read_queued(body)]
        if problem is not None
    ]


def iter_chain(
    session: Session, start: int = 1, stop: int | None = None
) -> Iterator[tuple[int, bytes, str]]:
    """``(seq, body, hash)`` of the entries numbered ``start`` to ``stop``, in order.

    Straight from the driver's cursor: a million rows through SQLAlchemy's result
    objects would cost more than checking them.
    """
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    return chain.iter_rows(connection.connection.driver_connection, postgres, start, stop)


_SQLITE_GENERATED = (
    "{0} VARCHAR({1}) GENERATED ALWAYS AS (json_extract(CAST(body AS TEXT), '$.{0}')) VIRTUAL"
)


def column_check(session: Session) -> tuple[int, str] | None:
    """The first entry whose index columns could disagree with its hashed body.

    On SQLite the columns are generated from the body: it is the schema that
    must not have been changed. On PostgreSQL the database compares them (JSON
    functions in C, in the server's process, while Python checks the hashes).
    """
    if session.get_bind().dialect.name == "sqlite":
        ddl = (
            session.execute(
                text(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'journal_entry'"
                )
            ).scalar()
            or ""
        )
        generated = {
            row[1]: row[6] for row in session.execute(text("PRAGMA table_xinfo(journal_entry)"))
        }
        for name in INDEXED_FIELDS:
            size = _SQLITE_SIZES[name]
            if generated.get(name) != 2 or _SQLITE_GENERATED.format(name, size) not in ddl:
                return 1, f"schéma du journal modifié (colonne {name} non dérivée du contenu)"
        return None
    first = session.execute(text(_POSTGRESQL_COLUMN_CHECK)).scalar()
    if first is None:
        return None
    return first, _columns_differ(session, first)


def _columns_differ(session: Session, seq: int) -> str:
    """Which index columns of entry ``seq`` differ from its hashed body, with both values:
    what an auditor needs to know was rewritten."""
    row = session.execute(
        text(
            "SELECT " + ", ".join(INDEXED_FIELDS) + ", csu_journal_fields(body) "
            "FROM journal_entry WHERE seq = :seq"
        ),
        {"seq": seq},
    ).one()
    fields = row[-1] if isinstance(row[-1], dict) else json.loads(row[-1])
    found = [
        f"{_COLUMN_LABELS[name]} ({name}) : colonne {_shown(column)}, "
        f"contenu haché {_shown(fields.get(name))}"
        for name, column in zip(INDEXED_FIELDS, row[:-1], strict=True)
        if column != fields.get(name)
    ]
    described = " ; ".join(found) or "valeurs illisibles"
    return f"colonne d'index différente du contenu haché : {described}"


def _shown(value: Any) -> str:
    if value is None:
        return "vide"
    shown = str(value)
    return f"« {shown if len(shown) <= 80 else shown[:79] + '…'} »"


_COLUMN_LABELS = {
    **{name: label.lower() for name, label in _FIELD_LABELS.items()},
    "event_id": "identifiant", "ts": "horodatage",
}  # fmt: skip


# Each body read once (csu_journal_fields, migration 0019: as the sequencer read it), by
# the LATERAL's OFFSET 0: written in the condition, it was parsed again for each column,
# ten times an entry (28 s for 1,000,000 entries instead of 3).
_POSTGRESQL_COLUMN_CHECK = (
    "SELECT min(seq) FROM journal_entry, "
    "LATERAL (SELECT csu_journal_fields(body) AS fields OFFSET 0) AS read WHERE "
    + " OR ".join(f"(fields ->> '{name}') IS DISTINCT FROM {name}" for name in INDEXED_FIELDS)
)

_SQLITE_SIZES = {
    "event_id": 36,
    "ts": 32,
    "operator": 64,
    "role": 20,
    "workstation": 100,
    "election": 64,
    "subject": 64,
    "intervention": 36,
    "action": 64,
    "outcome": 32,
}


def entry_fields(entry: JournalEntry) -> dict[str, Any]:
    """What an entry says, read from its hashed body (never from the index columns)."""
    return body_fields(entry.seq, entry.body, entry.hash)


def body_fields(seq: int, body: bytes | str, chained: str) -> dict[str, Any]:
    """``entry_fields`` from an entry's columns read as a plain row (an export). A body
    that is no entry (written into the base by hand: the verification names it) reads
    as an entry of action :data:`UNREADABLE`, its other fields empty and its details
    saying why: an export or a review page shows it in its place, rather than ending
    in a traceback for good (the journal keeps it)."""
    fields = read_entry(body)
    if fields is None:
        fields = unreadable_fields(body)
    fields["seq"] = seq
    fields["hash"] = chained
    return fields


UNREADABLE = "journal_entry_unreadable"
"""The action an entry whose body is no entry reads as (never written: read so, one of
``csu.domain.actions.READ_ONLY_ACTIONS``)."""
UNREADABLE_OUTCOME = "illisible"


class Unreadable(dict[str, Any]):
    """The fields an unreadable body reads as: a type of their own, which no body can
    forge (a body may well say its action is :data:`UNREADABLE`)."""


def unreadable_fields(body: bytes | str) -> Unreadable:
    """What a body that is no entry reads as: :data:`UNREADABLE`, and why."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    why = entry_fault(raw) or "contenu illisible"
    return Unreadable({name: None for name in INDEXED_FIELDS} | {
        "action": UNREADABLE, "outcome": UNREADABLE_OUTCOME, "details": {"problem": why},
    })  # fmt: skip


def head(session: Session) -> tuple[int, str]:
    """The chain head's number and hash; a French :class:`InvalidValue` when a hand made
    it unreadable (a number « abc », a hash that is no hash)."""
    hashed = "CAST(hash AS BLOB)" if session.get_bind().dialect.name == "sqlite" else "hash"
    row = session.execute(text(f"SELECT seq, {hashed} FROM journal_head WHERE id = 1")).first()
    return _head_of(tuple(row) if row is not None else None, missing=(0, GENESIS_HASH))


HEAD_UNREADABLE = (
    "tête du journal illisible dans la base (altérée ?) : rien n'a été enregistré. "
    "Prévenez un administrateur : « csu audit verify » dit ce qui a changé"
)


def _head_of(
    row: tuple[Any, ...] | None, missing: tuple[int, str] | None = None
) -> tuple[int, str]:
    """The head's row read: its number and its hash (64 hexadecimal digits), or a
    French refusal (:data:`HEAD_UNREADABLE`): before, every journalled action ended in
    a TypeError on such a base."""
    if row is None:
        if missing is not None:
            return missing
        raise InvalidValue("Journal", "tête du journal absente : lancez « csu init »")
    seq, hashed = row
    if isinstance(hashed, bytes | bytearray | memoryview):
        try:
            hashed = bytes(hashed).decode("ascii")
        except UnicodeDecodeError:
            hashed = None
    if (
        type(seq) is not int
        or seq < 0
        or not isinstance(hashed, str)
        or len(hashed) != 64
        or hashed.strip("0123456789abcdef")
    ):
        raise InvalidValue("Journal", HEAD_UNREADABLE)
    return seq, hashed
