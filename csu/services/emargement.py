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
scrutin of the material is voted (a material marked so without émargement rows,
from before scrutins were known, counts every scrutin voted then).
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Table, any_, bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session

from csu.domain import scrutins as rules
from csu.domain.election import ElectionDefinition
from csu.domain.errors import InvalidValue
from csu.domain.scrutins import FROM_FILE, FROM_PLATFORM, ScrutinState
from csu.services.context import Deps, ServiceError, retried
from csu.services.elections import get_definition
from csu.services.platform_clients import Platform, require_election
from csu.store import journal
from csu.store.tables import Emargement, Material

ACTION = "emargement_feed"
MAX_EVENTS = 10_000
MAX_EVENT_ID = 100
MAX_LISTED = 50  # bad events named in the detail (all of them in ``faults``)
_CHUNK = 500  # values per IN (...) on SQLite: well under its limit of parameters

_material: Table = Material.__table__  # type: ignore[attr-defined]
_emargement: Table = Emargement.__table__  # type: ignore[attr-defined]
T = TypeVar("T")


# ------------------------------------------------------------------ reading states


def material_states(
    session: Session, definition: ElectionDefinition, material: Material
) -> tuple[ScrutinState, ...]:
    """Each scrutin of ``material``, voted or not (read now: lock the row first)."""
    voted: dict[str, datetime] = {
        scrutin: voted_at
        for scrutin, voted_at in session.execute(
            select(_emargement.c.scrutin_id, _emargement.c.voted_at).where(
                _emargement.c.material_id == material.id
            )
        )
    }
    return rules.states(
        definition, material.capacity, material.bureau_code, material.scrutins, voted,
        material.voted_at,
    )  # fmt: skip


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
        found[material.id] = rules.states(
            definition, material.capacity, material.bureau_code, material.scrutins,
            voted.get(material.id, {}), material.voted_at,
        )  # fmt: skip
    return found


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
        more = f" ; et {count - MAX_LISTED} autre(s)" if count > MAX_LISTED else ""
        plural = "s" if count > 1 else ""
        super().__init__(
            "Émargements",
            f"lot refusé, rien n'est enregistré : {count} {what}{plural} invalide{plural} "
            f"— {listed}{more}.",
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
        if not event.event_id or len(event.event_id) > MAX_EVENT_ID:
            faults.append((f"{where}.event_id", f"1 à {MAX_EVENT_ID} caractères"))
        if not event.identifier or len(event.identifier) > 100:
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
            same = (earlier.identifier, earlier.scrutin) == (event.identifier, event.scrutin)
            if not same:
                faults.append((f"{where}.event_id",
                               f"event_id déjà donné par events.{first} à un autre vote"))
            else:
                duplicates += 1
            continue
        votes.append(_Vote(index, event.identifier, event.scrutin, moment, event.event_id))
    with deps.writing() as session:
        definition = get_definition(session, election)
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
    if session.get_bind().dialect.name == "postgresql":
        # Plan each look-up for its own array: a generic plan (psycopg prepares a
        # statement run five times) may filter a whole election row by row against
        # the array, quadratic in the batch, e.g. before the tables were analysed.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    ballots = rules.ballots(definition)
    titles = {s.id: s for s in ballots}
    materials = _locked(session, definition.id, {vote.identifier for vote in votes})
    voted = _voted(session, list(materials.values()))
    by_event = _events(session, definition.id, [v.event_id for v in votes if v.event_id])
    rows: list[dict[str, Any]] = []
    taken: dict[int, set[str]] = {}  # material -> scrutins recorded by this batch
    for vote in votes:
        material = materials.get(vote.identifier)
        fault = rules.vote_time_fault(definition, vote.moment, now)
        if fault:
            outcome.faults.append((vote.at, "voted_at" if vote.event_id else "vote_le", fault))
        if material is None:
            outcome.faults.append((vote.at, "identifier" if vote.event_id else "identifiant",
                                   "identifiant inconnu"))
            continue  # fmt: skip
        states = rules.states(definition, material.capacity, material.bureau_code,
                              material.scrutins, voted.get(material.id, {}),
                              material.voted_at)  # fmt: skip
        wanted = [s.id for s in states] if vote.scrutin is None else [vote.scrutin]
        if vote.scrutin is not None and vote.scrutin not in {s.id for s in states}:
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
        already = {s.id for s in states if s.voted} | taken.get(material.id, set())
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
            outcome.accepted += 1 if vote.event_id is not None else len(new)
            outcome.materials.add(material.id)
    if outcome.faults or not rows:
        return outcome
    _insert(session, rows)
    _mark_all_voted(session, definition, materials, voted, outcome.materials)
    return outcome


# On PostgreSQL a batch is one INSERT and one UPDATE over arrays (unnest): a statement
# per row, even pipelined, costs several times more. What a batch shares (election,
# source, time, recorder) goes once, not as arrays: building the arrays is the
# client's main cost of the INSERT (bench/emargement.py: about 15 % of a batch).
_SHARED = ("election_id", "source", "recorded_at", "recorded_by")
_COLUMNS = ("material_id", "scrutin_id", "voted_at", "event_id")
_PG_TYPES = ("int4", "varchar", "timestamptz", "varchar")
_PG_INSERT = (
    f"INSERT INTO emargement ({', '.join(_SHARED + _COLUMNS)}) "
    f"SELECT %s, %s, %s::timestamptz, %s, * "
    f"FROM unnest({', '.join(f'%s::{kind}[]' for kind in _PG_TYPES)})"
)
_PG_VOTED = (
    "UPDATE material SET voted_at = v.voted_at "
    "FROM unnest(%s::int4[], %s::timestamptz[]) AS v(id, voted_at) WHERE material.id = v.id"
)


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        shared = tuple(rows[0][name] for name in _SHARED)  # the same in every row
        columns = tuple([row[name] for row in rows] for name in _COLUMNS)
        connection.exec_driver_sql(_PG_INSERT, shared + columns)
    else:
        session.execute(insert(_emargement), rows)


@dataclass(frozen=True, slots=True)
class _Material:
    id: int
    capacity: str
    bureau_code: str
    scrutins: str | None
    voted_at: datetime | None


def _locked(session: Session, election: str, identifiers: set[str]) -> dict[str, _Material]:
    """The election's materials of these identifiers, locked in id order (PostgreSQL:
    FOR UPDATE above the sort, the lock every change of a material takes first; one
    order for every batch, so two batches never wait for each other in a cycle; on
    SQLite, chunked, the writer holds the whole database anyway)."""
    found: dict[str, _Material] = {}
    columns = (_material.c.identifier, _material.c.id, _material.c.capacity,
               _material.c.bureau_code, _material.c.scrutins, _material.c.voted_at)  # fmt: skip
    for among in _among(session, _material.c.identifier, sorted(identifiers)):
        rows = session.execute(
            select(*columns).where(_material.c.election_id == election, among)
            .order_by(_material.c.id).with_for_update()
        )  # fmt: skip
        for identifier, *values in rows:
            found[identifier] = _Material(*values)
    return found


def _voted(session: Session, materials: Sequence[_Material]) -> dict[int, dict[str, datetime]]:
    voted: dict[int, dict[str, datetime]] = {}
    for among in _among(session, _emargement.c.material_id, [m.id for m in materials]):
        rows = session.execute(
            select(_emargement.c.material_id, _emargement.c.scrutin_id, _emargement.c.voted_at)
            .where(among)
        )  # fmt: skip
        for material_id, scrutin, voted_at in rows:
            voted.setdefault(material_id, {})[scrutin] = voted_at
    return voted


def _events(session: Session, election: str, event_ids: list[str]) -> dict[str, tuple[int, str]]:
    """Events already received: event_id -> (material, scrutin)."""
    found: dict[str, tuple[int, str]] = {}
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
    """Material.voted_at, once every scrutin of a touched material is voted."""
    params = []
    for material in materials.values():
        if material.id not in touched:
            continue
        states = rules.states(definition, material.capacity, material.bureau_code,
                              material.scrutins, voted.get(material.id, {}),
                              material.voted_at)  # fmt: skip
        last = rules.all_voted_at(states)
        if last is not None and material.voted_at is None:
            params.append({"i": material.id, "v": last})
    if not params:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        ids, times = [p["i"] for p in params], [p["v"] for p in params]
        connection.exec_driver_sql(_PG_VOTED, (ids, times))
    else:
        session.execute(
            update(_material).where(_material.c.id == bindparam("i"))
            .values(voted_at=bindparam("v")),
            params,
        )  # fmt: skip


def _event_order(name: str) -> tuple[int, str]:
    parts = name.split(".")
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1, name)


def _among(session: Session, column: Any, values: Sequence[Any]) -> Iterator[Any]:
    """``column IN values`` conditions: on PostgreSQL one array parameter (``= ANY``: the
    same SQL text whatever the batch, parsed once), elsewhere chunks of _CHUNK values."""
    if not values:
        return
    if session.get_bind().dialect.name == "postgresql":
        yield column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        return
    for chunk in _chunks(values):
        yield column.in_(chunk)


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
