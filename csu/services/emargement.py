"""Émargement: which scrutins of a material are voted, and what that still allows.

The platform is the truth about votes (DESIGN, invariant 9). It reports them per
material and scrutin through CSU's API (:func:`ingest_emargements`, a batch of events,
idempotent by their ``event_id``, all or nothing, one journal entry) or, as a fallback,
in a file (``csu import votes``, :func:`record_votes`).

Every action on a material reads its émargement in the transaction of its change,
after locking the material row (``FOR UPDATE`` on PostgreSQL; SQLite serialises
writers): the recording of a vote locks the same rows first, so whichever commits
first wins, and a reissue or a substitution never follows the vote that closed it.
The rules themselves are in csu.domain.scrutins; :func:`require_reissuable` is what
``usable_material`` checks for every reissue.

``Material.voted_at`` stays the summary: set, to the last vote's time, once every
scrutin of the material is voted, and cleared when a roll import gives it a scrutin
not voted yet (:func:`refresh_summaries`). A material marked so without émargement
rows, from before scrutins were known, counts every scrutin voted then.
"""

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Any, Protocol

from sqlalchemy import Table, and_, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from csu.domain import scrutins as rules
from csu.domain.election import ElectionDefinition
from csu.domain.errors import InvalidValue
from csu.domain.plural import counted, plural_of
from csu.domain.scrutins import FROM_FILE, FROM_PLATFORM, ScrutinState
from csu.services.context import Deps, ServiceError, retried
from csu.services.elections import get_definition
from csu.services.platform_clients import Platform, require_election
from csu.store import journal
from csu.store.among import in_chunks
from csu.store.tables import Emargement, Material, folded, holds_at

ACTION = "emargement_feed"
MAX_EVENTS = 10_000
MAX_EVENT_ID = 100
MAX_LISTED = 50  # bad events named in the detail (all of them in ``faults``)

_material: Table = Material.__table__  # type: ignore[attr-defined]
_emargement: Table = Emargement.__table__  # type: ignore[attr-defined]
_STATES = select(_emargement.c.scrutin_id, _emargement.c.voted_at).where(
    _emargement.c.material_id == bindparam("m")
)


# ------------------------------------------------------------------ reading states


class MaterialRow(Protocol):
    """What the states of a material are computed from (a Material, or a row of it)."""

    @property
    def id(self) -> int | None: ...
    @property
    def capacity(self) -> str: ...
    @property
    def bureau_code(self) -> str: ...
    @property
    def scrutins(self) -> str | None: ...
    @property
    def voted_at(self) -> datetime | None: ...


def material_states(
    session: Session, definition: ElectionDefinition, material: MaterialRow
) -> tuple[ScrutinState, ...]:
    """Each scrutin of ``material``, voted or not (read now: lock the row first)."""
    voted: dict[str, datetime] = {
        scrutin: voted_at
        for scrutin, voted_at in session.connection().execute(_STATES, {"m": material.id})
    }
    return states_from(definition, material, voted)


def states_of(
    session: Session, materials: Sequence[Material]
) -> dict[int, tuple[ScrutinState, ...]]:
    """The scrutin states of several materials (a voter's file), by material id."""
    ids = [m.id for m in materials if m.id is not None]
    voted: dict[int, dict[str, datetime]] = {}
    for among in _among(session, _emargement.c.material_id, ids):
        rows = session.execute(
            select(_emargement.c.material_id, _emargement.c.scrutin_id, _emargement.c.voted_at)
            .where(among)
        )  # fmt: skip
        for material_id, scrutin, voted_at in rows:
            voted.setdefault(material_id, {})[scrutin] = voted_at
    found = {}
    for material in materials:
        if material.id is None:
            continue
        definition = get_definition(session, material.election_id)
        found[material.id] = states_from(definition, material, voted.get(material.id, {}))
    return found


def states_from(
    definition: ElectionDefinition, material: MaterialRow, voted: Mapping[str, datetime]
) -> tuple[ScrutinState, ...]:
    """The states of a material from its émargement rows (scrutin -> time). Its own
    mark (voted_at) counts for every scrutin only when it has none: a vote recorded
    before scrutins were known. With rows, they alone say what is voted, so that a
    scrutin a roll import added since is open, whatever the mark says."""
    return rules.states(
        definition, material.capacity, material.bureau_code, material.scrutins, voted,
        None if voted else material.voted_at,
    )  # fmt: skip


def require_reissuable(
    session: Session, definition: ElectionDefinition, material: Material
) -> None:
    """Refuses a reissue (key, password, vote code, identifier) that the election's
    rule forbids, naming the scrutins voted. ``material`` must be locked."""
    refusal = rules.reissue_refusal(
        definition.emargement, material_states(session, definition, material)
    )
    if refusal is not None:
        raise ServiceError(refusal)


def substitution_voted(
    session: Session, definition: ElectionDefinition, material: Material
) -> tuple[str, ...]:
    """The scrutins voted when they forbid substituting ``material`` (locked)."""
    return rules.substitution_voted(
        definition.emargement, material_states(session, definition, material)
    )


def open_scrutins(session: Session, material: Material) -> list[str]:
    """The scrutins an active material may still vote in."""
    if material.status != "active":
        return []
    definition = get_definition(session, material.election_id)
    return rules.open_ids(material_states(session, definition, material))


# ------------------------------------------------------------------ recording votes


def platform_identifier(typed: str) -> str:
    """A material's identifier as a platform sends it (a login check, an émargement):
    without the spaces around it, which no identifier holds (csu.domain.roll), so that
    " ABC123 " and "ABC123" name the same material."""
    return typed.strip()


def is_address(identifier: str) -> bool:
    """Whether a typed identifier is an e-mail address (men-2022: the voter's academic
    address), which the platform's calls find whatever its case: the domain's case never
    matters, and a ministry's mailboxes ignore the local part's too. Other identifiers
    (a matricule, a notice number) are compared as typed. ASCII only: the roll's
    identifiers are (csu.domain.roll), and Python's lower() of other letters could give
    ASCII ones (the Kelvin sign gives k) that SQL's would not."""
    return "@" in identifier and identifier.isascii()


def compared_identifier(identifier: str) -> str:
    """The form in which two identifiers a platform sends are the same: an address in
    lower case, any other as typed."""
    return identifier.lower() if is_address(identifier) else identifier


@dataclass(frozen=True, slots=True)
class EmargementEvent:
    """One vote as the platform reports it: ``voted_at`` RFC 3339 text (or aware)."""

    event_id: str
    identifier: str
    scrutin: str
    voted_at: str | datetime


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: int
    duplicates: int


class BadEvents(InvalidValue):
    """A batch refused whole: ``faults`` holds (field, French message) for every bad
    event, e.g. ``("events.3.identifier", "identifiant inconnu …")``."""

    def __init__(self, faults: Sequence[tuple[str, str]], what: str = "événement") -> None:
        self.faults = list(faults)
        count = len(self.faults)
        listed = " ; ".join(f"{name} : {message}" for name, message in self.faults[:MAX_LISTED])
        more = f" ; et {counted(count - MAX_LISTED, 'autre')}" if count > MAX_LISTED else ""
        invalid = f"{counted(count, what)} {plural_of(count, 'invalide')}"
        super().__init__(
            "Émargements",
            f"lot refusé, rien n'est enregistré : {invalid} — {listed}{more}.",
        )


@dataclass
class _Vote:
    """A vote to record, from an event or a file line."""

    at: Any  # where it came from: the event's index, or the file's line
    identifier: str
    scrutin: str | None  # None: every scrutin of the material (a file's two columns)
    moment: datetime
    event_id: str | None = None


@dataclass
class _Outcome:
    faults: list[tuple[Any, str, str]] = field(default_factory=list)  # (at, column, message)
    accepted: int = 0
    duplicates: int = 0
    materials: set[int] = field(default_factory=set)


@retried
def ingest_emargements(
    deps: Deps, platform: Platform, election: str, events: Sequence[EmargementEvent]
) -> IngestResult:
    """Records a batch of votes reported by ``platform`` for ``election``: all of it,
    or nothing (:class:`BadEvents` names every bad event); events already received
    (same ``event_id``) or scrutins already voted count as duplicates. One journal
    entry, naming the materials by number."""
    require_election(platform, election)
    if len(events) > MAX_EVENTS:
        raise InvalidValue("Émargements", f"{MAX_EVENTS} événements au plus par appel")
    now = deps.clock()
    faults: list[tuple[str, str]] = []
    votes: list[_Vote] = []
    seen: dict[str, int] = {}
    duplicates = 0
    for index, event in enumerate(events):
        where = f"events.{index}"
        before = len(faults)
        identifier = platform_identifier(event.identifier)
        if not event.event_id or len(event.event_id) > MAX_EVENT_ID:
            faults.append((f"{where}.event_id", f"1 à {MAX_EVENT_ID} caractères"))
        if event.identifier and not identifier:  # as the API's NOT_BLANK says it
            faults.append((f"{where}.identifier", "texte vide (des espaces seulement)"))
        elif not identifier or len(identifier) > 100:
            faults.append((f"{where}.identifier", "1 à 100 caractères"))
        try:
            moment = rules.parse_vote_moment(event.voted_at)
        except InvalidValue as error:
            faults.append((f"{where}.voted_at", error.fault))
        if len(faults) > before:
            continue
        first = seen.setdefault(event.event_id, index)
        if first != index:
            earlier = events[first]
            earlier_vote = (compared_identifier(platform_identifier(earlier.identifier)),
                            earlier.scrutin)  # fmt: skip
            if earlier_vote != (compared_identifier(identifier), event.scrutin):
                faults.append((f"{where}.event_id",
                               f"event_id déjà donné par events.{first} à un autre vote"))
            else:
                duplicates += 1
            continue
        votes.append(_Vote(index, identifier, event.scrutin, moment, event.event_id))
    with deps.writing() as session:
        definition = get_definition(session, election, for_share=True)
        outcome = _record(session, definition, votes, now, FROM_PLATFORM,
                          platform.actor.operator or platform.name)  # fmt: skip
        faults += [(f"events.{at}.{column}", message) for at, column, message in outcome.faults]
        if faults:
            faults.sort(key=lambda fault: _event_order(fault[0]))
            raise BadEvents(faults)
        journal.append(
            session,
            actor=platform.actor,
            action=ACTION,
            outcome="ok",
            at=now,
            election=election,
            details={
                "events": len(events),
                "accepted": outcome.accepted,
                "duplicates": outcome.duplicates + duplicates,
                "materials": sorted(outcome.materials),
            },
        )
    return IngestResult(outcome.accepted, outcome.duplicates + duplicates)


def record_votes(
    session: Session,
    definition: ElectionDefinition,
    votes: Iterable[tuple[int, str, str | None, datetime]],
    now: datetime,
    recorded_by: str,
) -> tuple[int, list[tuple[int, str, str]]]:
    """A vote file's lines, ``(line, identifier, scrutin or None, vote time)``, in the
    caller's transaction: how many émargements it adds, and the faults of its lines
    (line, column, message); on a fault, nothing is written."""
    found = [_Vote(line, identifier, scrutin, moment) for line, identifier, scrutin, moment
             in votes]  # fmt: skip
    outcome = _record(session, definition, found, now, FROM_FILE, recorded_by)
    return outcome.accepted, outcome.faults


def _record(
    session: Session,
    definition: ElectionDefinition,
    votes: Sequence[_Vote],
    now: datetime,
    source: str,
    recorded_by: str,
) -> _Outcome:
    """Checks every vote, then (when all are good) records them, in bulk."""
    outcome = _Outcome()
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Every look-up of a batch is driven by its keys (at most MAX_EVENTS): an index
        # probe per key is always right, and a hash or merge join (chosen on a table
        # not analysed yet, or from a generic plan) reads the whole election instead.
        session.connection().exec_driver_sql(_PG_NESTED_LOOPS)
    titles = {s.id: s for s in rules.ballots(definition)}
    materials, voted = _locked(session, definition.id, {vote.identifier for vote in votes})
    # Each material's states before the batch, computed once whatever its events.
    states = {m.id: states_from(definition, m, voted.get(m.id, {})) for m in materials.values()}
    ids = {key: [s.id for s in found] for key, found in states.items()}
    done = {key: {s.id for s in found if s.voted} for key, found in states.items()}
    by_event = _events(session, definition.id, _to_look_up(votes, materials, done))
    rows: list[dict[str, Any]] = []
    taken: dict[int, set[str]] = {}  # material -> scrutins recorded by this batch
    inserted: dict[str, Any] = {}  # event_id -> where the vote came from
    for vote in votes:
        material = materials.get(vote.identifier)
        fault = rules.vote_time_fault(definition, vote.moment, now)
        if fault:
            outcome.faults.append((vote.at, "voted_at" if vote.event_id else "vote_le", fault))
        if material is None:
            outcome.faults.append((vote.at, "identifier" if vote.event_id else "identifiant",
                                   "identifiant inconnu"))
            continue  # fmt: skip
        given = ids[material.id]
        wanted = given if vote.scrutin is None else [vote.scrutin]
        if vote.scrutin is not None and vote.scrutin not in given:
            reason = (
                rules.unknown(vote.scrutin, titles)
                if vote.scrutin not in titles
                else f"ce matériel ne donne pas accès au scrutin {vote.scrutin}"
            )
            outcome.faults.append((vote.at, "scrutin", reason))
            continue
        if vote.event_id is not None and vote.event_id in by_event:
            if by_event[vote.event_id] != (material.id, vote.scrutin):
                outcome.faults.append((vote.at, "event_id",
                                       "event_id déjà reçu pour un autre vote"))
            else:
                outcome.duplicates += 1
            continue  # fmt: skip
        if fault:
            continue
        already = done[material.id] | taken.get(material.id, set())
        new = [scrutin for scrutin in wanted if scrutin not in already]
        if not new and vote.event_id is not None:
            outcome.duplicates += 1
        for scrutin in new:
            taken.setdefault(material.id, set()).add(scrutin)
            rows.append({
                "election_id": definition.id, "material_id": material.id,
                "scrutin_id": scrutin, "voted_at": vote.moment, "source": source,
                "event_id": vote.event_id, "recorded_at": now, "recorded_by": recorded_by,
            })  # fmt: skip
            voted.setdefault(material.id, {})[scrutin] = vote.moment
        if new:
            if vote.event_id is not None:
                inserted[vote.event_id] = vote.at
            outcome.accepted += 1 if vote.event_id is not None else len(new)
            outcome.materials.add(material.id)
    # The events to insert were not looked up: an event_id another vote already has
    # (a scrutin not voted yet has no row, and the material's lock keeps any other
    # writer of its rows out) shows as a conflict of the insert, or, when the batch is
    # refused anyway, is looked for to be named with the other faults.
    if not rows:
        return outcome
    if not outcome.faults:
        written = _insert(session, rows)
        if written == len(rows):
            _mark_all_voted(session, definition, materials, voted, outcome.materials)
            return outcome
    mine = {row["event_id"]: (row["material_id"], row["scrutin_id"]) for row in rows}
    stored = _events(session, definition.id, list(inserted))
    outcome.faults += [
        (at, "event_id", "event_id déjà reçu pour un autre vote")
        for event_id, at in inserted.items()
        if event_id in stored and stored[event_id] != mine[event_id]
    ]
    if not outcome.faults:  # not a conflict of event_ids: the rows' own, unforeseen
        raise ServiceError("Émargements : lot en conflit avec un enregistrement concurrent.")
    outcome.faults.sort(key=lambda fault: fault[0])
    return outcome


def _to_look_up(
    votes: Sequence[_Vote],
    materials: Mapping[str, "_Material"],
    done: Mapping[int, set[str]],
) -> list[str]:
    """The event_ids to look for before recording: those of votes that will not be
    inserted (their scrutin voted already, or by an earlier event of the batch), whose
    event_id may name another vote. Any other event is inserted, and an event_id already
    stored then shows as a conflict (``_insert``)."""
    found: list[str] = []
    seen: set[tuple[int, str]] = set()
    for vote in votes:
        material = materials.get(vote.identifier)
        if vote.event_id is None or vote.scrutin is None or material is None:
            continue
        key = (material.id, vote.scrutin)
        if vote.scrutin in done[material.id] or key in seen:
            found.append(vote.event_id)
        seen.add(key)
    return found


# On PostgreSQL a batch's keys and rows go as one JSON text (json_to_recordset,
# json_array_elements_text): one parameter that the driver sends as it is, where
# arrays are converted element by element in Python (a third of a batch's time).
_PG_NESTED_LOOPS = (
    "SELECT set_config('enable_hashjoin', 'off', true), "
    "set_config('enable_mergejoin', 'off', true)"
)
_PG_KEYS = "ARRAY(SELECT json_array_elements_text(%s::json))"
_PG_LOCKED = (
    "SELECT m.identifier, m.id, m.capacity, m.bureau_code, m.scrutins, m.voted_at, "
    "e.scrutin_id, e.voted_at FROM material m "
    "LEFT JOIN emargement e ON e.material_id = m.id "
    f"WHERE m.election_id = %s AND (m.identifier = ANY({_PG_KEYS}) "
    # An address in another case, through the index of addresses by their lower-case
    # form (its expression and condition word for word: csu.store.tables).
    f"""OR (lower(m.identifier COLLATE "C") = ANY({_PG_KEYS}) """
    "AND strpos(m.identifier, '@') > 0)) "
    "ORDER BY m.id FOR UPDATE OF m"
)
_PG_EVENTS = (
    "SELECT event_id, material_id, scrutin_id FROM emargement "
    f"WHERE election_id = %s AND event_id = ANY({_PG_KEYS})"
)
# What a batch shares (election, source, time, recorder) goes once, not in each row.
_PG_INSERT = (
    "INSERT INTO emargement (election_id, source, recorded_at, recorded_by, material_id, "
    "scrutin_id, voted_at, event_id) SELECT %s, %s, %s, %s, v.m, v.s, v.t, v.e "
    "FROM json_to_recordset(%s::json) AS v(m int4, s varchar, t timestamptz, e varchar) "
    "ON CONFLICT DO NOTHING"
)
_PG_VOTED = (
    "UPDATE material SET voted_at = v.t "
    "FROM json_to_recordset(%s::json) AS v(i int4, t timestamptz) WHERE material.id = v.i"
)


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    """Inserts the rows (an event_id already stored is left out): how many went in."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        first = rows[0]  # what the rows share
        shared = (first["election_id"], first["source"], first["recorded_at"],
                  first["recorded_by"])  # fmt: skip
        values = json.dumps([
            {"m": row["material_id"], "s": row["scrutin_id"],
             "t": row["voted_at"].isoformat(), "e": row["event_id"]}
            for row in rows
        ])  # fmt: skip
        return connection.exec_driver_sql(_PG_INSERT, (*shared, values)).rowcount
    statement = sqlite_insert(_emargement).on_conflict_do_nothing()
    return session.execute(statement, rows).rowcount


@dataclass(frozen=True, slots=True)
class _Material:
    id: int
    capacity: str
    bureau_code: str
    scrutins: str | None
    voted_at: datetime | None


def _locked(
    session: Session, election: str, identifiers: set[str]
) -> tuple[dict[str, _Material], dict[int, dict[str, datetime]]]:
    """The election's materials of these identifiers (an address in any case, as a login
    check finds it: :func:`_resolve`), locked in id order (PostgreSQL: FOR UPDATE above
    the sort, the lock every change of a material takes first; one order for every
    batch, so two batches never wait for each other in a cycle; on SQLite, chunked, the
    writer holds the whole database anyway), and their émargements by scrutin."""
    stored: dict[str, _Material] = {}
    voted: dict[int, dict[str, datetime]] = {}
    addresses = sorted({i.lower() for i in identifiers if is_address(i)})
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql(
            _PG_LOCKED, (election, json.dumps(sorted(identifiers)), json.dumps(addresses))
        )
        for identifier, material_id, capacity, bureau, scrutins, mark, scrutin, at in rows:
            stored[identifier] = _Material(material_id, capacity, bureau, scrutins, mark)
            if scrutin is not None:
                voted.setdefault(material_id, {})[scrutin] = at
        return _resolve(identifiers, stored), voted
    columns = (_material.c.identifier, _material.c.id, _material.c.capacity,
               _material.c.bureau_code, _material.c.scrutins, _material.c.voted_at)  # fmt: skip
    typed = _among(session, _material.c.identifier, sorted(identifiers))
    # Through the index of addresses by their lower-case form (csu.store.tables).
    lowered = (
        and_(among, holds_at(_material.c.identifier))
        for among in _among(session, folded(_material.c.identifier), addresses)
    )
    for condition in chain(typed, lowered):
        rows = session.execute(
            select(*columns).where(_material.c.election_id == election, condition)
            .order_by(_material.c.id).with_for_update()
        )  # fmt: skip
        for identifier, *values in rows:
            stored[identifier] = _Material(*values)
    found = _resolve(identifiers, stored)
    for among in _among(session, _emargement.c.material_id, [m.id for m in found.values()]):
        rows = session.execute(
            select(_emargement.c.material_id, _emargement.c.scrutin_id, _emargement.c.voted_at)
            .where(among)
        )  # fmt: skip
        for material_id, scrutin, at in rows:
            voted.setdefault(material_id, {})[scrutin] = at
    return found, voted


def _resolve(identifiers: set[str], stored: Mapping[str, _Material]) -> dict[str, _Material]:
    """Each identifier's material: the one stored as typed; else, for an address, the
    one stored in another case, when only one is (two whose addresses differ only in
    case: neither, as a login check says, since nothing tells which is meant)."""
    cases: dict[str, list[str]] = {}
    for identifier in stored:
        if is_address(identifier):
            cases.setdefault(identifier.lower(), []).append(identifier)
    found: dict[str, _Material] = {}
    for identifier in identifiers:
        if identifier in stored:
            found[identifier] = stored[identifier]
        elif is_address(identifier) and len(same := cases.get(identifier.lower(), [])) == 1:
            found[identifier] = stored[same[0]]
    return found


def _events(session: Session, election: str, event_ids: list[str]) -> dict[str, tuple[int, str]]:
    """Events already received: event_id -> (material, scrutin)."""
    found: dict[str, tuple[int, str]] = {}
    if not event_ids:
        return found
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql(_PG_EVENTS, (election, json.dumps(event_ids)))
        return {event_id: (material_id, scrutin) for event_id, material_id, scrutin in rows}
    for among in _among(session, _emargement.c.event_id, event_ids):
        rows = session.execute(
            select(_emargement.c.event_id, _emargement.c.material_id, _emargement.c.scrutin_id)
            .where(_emargement.c.election_id == election, among)
        )  # fmt: skip
        for event_id, material_id, scrutin in rows:
            found[event_id] = (material_id, scrutin)
    return found


def _mark_all_voted(
    session: Session,
    definition: ElectionDefinition,
    materials: dict[str, _Material],
    voted: dict[int, dict[str, datetime]],
    touched: set[int],
) -> None:
    """Material.voted_at, the summary of a touched material's rows: the last vote's
    time once every scrutin is voted (none otherwise, e.g. a scrutin a roll import
    added since an earlier summary)."""
    params = []
    for material in materials.values():
        if material.id not in touched:
            continue
        last = rules.all_voted_at(states_from(definition, material, voted.get(material.id, {})))
        if last != material.voted_at:
            params.append({"i": material.id, "t": last})
    if not params:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        times = [{"i": p["i"], "t": p["t"].isoformat() if p["t"] else None} for p in params]
        connection.exec_driver_sql(_PG_VOTED, (json.dumps(times),))
    else:
        session.execute(
            update(_material).where(_material.c.id == bindparam("i"))
            .values(voted_at=bindparam("t")),
            params,
        )  # fmt: skip


def refresh_summaries(session: Session, definition: ElectionDefinition) -> int:
    """After a roll import (which may give materials other scrutins): Material.voted_at
    of every material with émargements made their summary again, set once all its
    scrutins are voted, cleared when one is not (a scrutin the roll added). Materials
    without émargement rows keep their own mark. How many changed."""
    rows = session.execute(
        select(_material.c.id, _material.c.capacity, _material.c.bureau_code,
               _material.c.scrutins, _material.c.voted_at, _emargement.c.scrutin_id,
               _emargement.c.voted_at)
        .join(_emargement, _emargement.c.material_id == _material.c.id)
        .where(_material.c.election_id == definition.id)
    )  # fmt: skip
    materials: dict[int, _Material] = {}
    voted: dict[int, dict[str, datetime]] = {}
    for material_id, capacity, bureau, scrutins, mark, scrutin, at in rows:
        materials[material_id] = _Material(material_id, capacity, bureau, scrutins, mark)
        voted.setdefault(material_id, {})[scrutin] = at
    changed = [
        {"i": material.id, "t": last}
        for material in materials.values()
        if (last := rules.all_voted_at(states_from(definition, material, voted[material.id])))
        != material.voted_at
    ]
    if changed:
        session.execute(
            update(_material).where(_material.c.id == bindparam("i"))
            .values(voted_at=bindparam("t")),
            changed,
        )  # fmt: skip
    return len(changed)


def _event_order(name: str) -> tuple[int, str]:
    parts = name.split(".")
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1, name)


def _among(session: Session, column: Any, values: Sequence[Any]) -> Iterator[Any]:
    """``column IN values`` conditions: on PostgreSQL one array parameter (``= ANY``: the
    same SQL text whatever the batch, parsed once), elsewhere chunks of IN_CHUNK values."""
    if not values:
        return
    if session.get_bind().dialect.name == "postgresql":
        yield column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        return
    for chunk in in_chunks(values):
        yield column.in_(chunk)

