"""Proving the journal intact, and exporting it for the election commission."""

import csv
import difflib
import errno
import itertools
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

from sqlalchemy import func, select
from sqlmodel import Session

from csu.domain.actions import ACTIONS
from csu.domain.clock import paris_seconds_text, parse_rfc3339, to_paris
from csu.domain.entry_details import in_french
from csu.domain.hashing import pseudonym
from csu.domain.interventions import OUTCOMES as INTERVENTION_OUTCOMES
from csu.domain.journal import GENESIS_HASH, ChainCheck
from csu.domain.labels import entry_label
from csu.domain.merkle import CompactRange
from csu.domain.numbers import french_number
from csu.domain.plural import counted, plural_of
from csu.domain.text import FORMULA_FIRST, escaped, single_line, spreadsheet_safe
from csu.services.context import (
    Deps,
    NotFound,
    OperatorContext,
    ServiceError,
    require_role,
    retried,
)
from csu.services.journal_review import (
    REVIEWERS,
    ReviewFilter,
    _distinct,
    conditions,
    filter_record,
    settled,
)
from csu.services.reasons import typed_reason
from csu.services.sessions import require_live_in, require_live_session
from csu.store import chain, journal, sequencer
from csu.store.cells import CellFault, read_rows
from csu.store.chain import TARGET_VARIABLE
from csu.store.sequencer import Pending
from csu.store.tables import (
    ChainHead,
    Election,
    Intervention,
    JournalEntry,
    JournalQueued,
    Operator,
    Voter,
)

_log = logging.getLogger(__name__)

ExportFormat = Literal["jsonl", "csv"]

EXPORT_COLUMNS = (
    "seq",
    "ts",
    "operator",
    "role",
    "workstation",
    "election",
    "matricule",
    "subject",
    "intervention",
    "action",
    "outcome",
    "details",
    "event_id",
    "hash",
)


# The spreadsheet's columns, titled in French for the supervisor who opens it (the JSON
# Lines keep the codes). Three are written for a person and are not in the hashed body:
# the entry's name as the review gives it, its time in Paris, and its details in French
# (« canal : téléphone ; facteurs essayés : date de naissance, … ») beside them as hashed,
# in JSON with the journal's keys, which a reader of the CSV alone could not decode.
CSV_TITLES: dict[str, str] = {
    "seq": "n°",
    "ts": "horodatage (UTC)",
    "paris_time": "heure de Paris",
    "operator": "opérateur",
    "role": "rôle",
    "workstation": "poste",
    "election": "élection",
    "matricule": "matricule",
    "subject": "sujet",
    "intervention": "intervention",
    "action": "action",
    "label": "libellé",
    "outcome": "résultat",
    "readable_details": "précisions",
    "details": "détails (JSON)",
    "event_id": "événement",
    "hash": "empreinte",
}

EXPORT_BATCH = 5_000  # entries an export reads at a time: its memory stays bounded
SPLIT_FROM = 200_000  # entries from which the chain is checked by two processes

# Told (entries checked, entries in all) as a verification goes; it may be called from
# two threads at once (the second part's progress is read from its process).
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ChainProof:
    """A verification of the chain, with the RFC 6962 tree head of its first
    ``tree_size`` entries when they were all read and checked (else ``root`` is None),
    and those of its first ``m`` entries for each mark ``m`` asked for and reached."""

    check: ChainCheck
    tree_size: int = 0
    root: bytes | None = None
    roots: Mapping[int, bytes] = field(default_factory=dict)
    tree: CompactRange | None = None  # the range of the first tree_size, with root


# --- what a hand on a SQLite file may have left in the journal's other tables -------

# Each column's name in a sentence, for the journal's tables a check reads cell by cell.
HEAD_COLUMNS = {"seq": "numéro", "hash": "empreinte"}
QUEUE_COLUMNS = {"event_id": "événement", "body": "contenu", "queued_at": "date de mise en file"}
_SHOWN_AT_MOST = 40  # characters of a stored value quoted in a finding


def said_faults(faults: Sequence[CellFault], labels: Mapping[str, str]) -> str:
    """What is wrong with a row's values, in French: « date d'enregistrement « garbage »
    invalide ; note signée : valeur binaire (BLOB) inattendue »."""
    said = []
    for fault in faults:
        label = labels.get(fault.column, fault.column)
        if fault.kind == "absent":
            said.append(f"{label} : valeur absente")
        elif fault.kind == "binary":
            said.append(f"{label} : valeur binaire (BLOB) inattendue")
        elif fault.kind == "not_utf8":
            said.append(f"{label} : octets qui ne forment pas un texte UTF-8")
        else:
            shown = fault.shown or ""
            if len(shown) > _SHOWN_AT_MOST:
                shown = shown[: _SHOWN_AT_MOST - 1] + "…"
            said.append(f"{label} « {escaped(shown)} » invalide")
    return " ; ".join(said)


@dataclass(frozen=True, slots=True)
class Head:
    """The chain head as stored: its number and hash, or why its row cannot be read
    (``seq`` is then the last entry's number, for the check's progress)."""

    seq: int
    hash: str
    fault: str | None = None


def chain_head(session: Session) -> Head:
    """The chain head, read cell by cell: a number or a hash that is not of its type (a
    hand on a SQLite file) is a fault of the journal to report, not a crash."""
    rows = read_rows(session, [ChainHead.seq, ChainHead.hash], where=[ChainHead.id == 1])
    if not rows:
        return Head(0, GENESIS_HASH)
    [row] = rows
    if not row.faults:
        return Head(row.values["seq"], row.values["hash"])
    last = session.execute(select(func.max(JournalEntry.seq))).scalar() or 0
    fault = f"tête du journal illisible : {said_faults(row.faults, HEAD_COLUMNS)}"
    return Head(last, GENESIS_HASH, fault)


def foreign_queue_rows(session: Session) -> list[str]:
    """On SQLite, each row of the journal's queue, and what is wrong with it: SQLite
    chains every entry as it is written, so nothing of CSU ever waits there."""
    if session.get_bind().dialect.name != "sqlite":
        return []  # PostgreSQL's queue is checked by queue_health
    columns = [JournalQueued.id, JournalQueued.event_id, JournalQueued.body,
               JournalQueued.queued_at]  # fmt: skip
    found = []
    for row in read_rows(session, columns, order_by=[JournalQueued.id], limit=11):
        told = (
            f"file d'attente du journal, ligne n° {row.values['id']} : écrite hors de CSU "
            "(sur SQLite chaque entrée est intégrée dès son écriture)"
        )
        if row.faults:
            told += f" ; {said_faults(row.faults, QUEUE_COLUMNS)}"
        found.append(told)
    if len(found) > 10:
        more = session.execute(select(func.count()).select_from(JournalQueued)).scalar_one()
        others = counted(more - 10, "autre ligne", "autres lignes")
        found[10:] = [f"file d'attente du journal : {others} de même"]
    return found


def verify_journal(
    deps: Deps, who: OperatorContext, *, progress: Progress | None = None
) -> ChainCheck:
    """Check every hash of the chain, the index columns against the hashed bodies,
    and that the last entry is the chain head; name the first entry that fails."""
    return prove_journal(deps, who, progress=progress).check


def prove_journal(
    deps: Deps,
    who: OperatorContext,
    *,
    tree_size: int = 0,
    marks: Collection[int] = (),
    progress: Progress | None = None,
) -> ChainProof:
    """:func:`verify_journal`, computing on the way the Merkle tree head of the first
    ``tree_size`` entries (to hold up against a signed checkpoint), and of the first
    ``m`` entries for each of ``marks`` (the checkpoints the journal mentions)."""
    require_role(deps, who, "superviseur", "admin")
    require_live_session(deps, who)  # a disabled account reads nothing more
    return prove_chain(deps, tree_size=tree_size, marks=marks, progress=progress)


def prove_chain(
    deps: Deps,
    *,
    tree_size: int = 0,
    marks: Collection[int] = (),
    progress: Progress | None = None,
    whole: bool = True,
    vouched: int = 0,
) -> ChainProof:
    """:func:`prove_journal` without the role's check (the terminal's automatic signer
    acts for no operator). ``whole``: also the index columns and the chain head (a
    signature vouches for the hashed entries alone, and entries may come meanwhile).
    The bodies after entry ``vouched`` (the size of a checkpoint whose signature was
    checked: the signer read those it covers) are read as entries too."""
    with deps.reading() as session:
        head = chain_head(session)
    wanted = {*marks, tree_size}
    bodies_from = vouched + 1
    with ThreadPoolExecutor(max_workers=1) as side:
        columns = side.submit(_column_check, deps) if whole else None
        check, ranges = _check_chain(
            deps, head.seq, max(wanted), progress, wanted, bodies_from
        )
        mismatch = columns.result() if columns is not None else None
    if whole:
        check = _with_head(check, mismatch, head)
    roots = {size: tree.root() for size, tree in ranges.items()}
    return ChainProof(check, tree_size, roots.get(tree_size), roots, ranges.get(tree_size))


def journal_backlog(deps: Deps, who: OperatorContext) -> Pending:
    """How many entries are committed but not yet chained (PostgreSQL: the
    sequencer's queue, see csu/store/sequencer.py), and since when the oldest waits.
    The verification covers the chain only: these come after it."""
    require_role(deps, who, "superviseur", "admin")
    require_live_session(deps, who)  # a disabled account reads nothing more
    with deps.reading() as session:
        return sequencer.pending(session)


# Entries waiting longer than this are stuck: a workstation chains its own at once, the
# sequencer on duty within a fraction of a second, anyone seeing one waiting 2 s.
STUCK_AFTER = 60.0
_UNREADABLE_LOOKED_AT = 10_000  # the oldest queued bodies read for ones that are no entry


@dataclass(frozen=True, slots=True)
class QueueHealth:
    """The queue (PostgreSQL) as ``csu audit verify`` reports it: what waits, and what is
    wrong with it (French sentences): entries stuck, rows that are no entry, an
    integration that fails."""

    backlog: Pending
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def queue_health(deps: Deps, who: OperatorContext) -> QueueHealth:
    """Chain what waits (so that what still waits after is stuck, not merely left by a
    workstation that stopped), then what waits and what is wrong with it."""
    require_role(deps, who, "superviseur", "admin")
    require_live_session(deps, who)  # a disabled account reads nothing more
    problems: list[str] = []
    postgresql = deps.engine.dialect.name == "postgresql"
    if postgresql:
        try:
            integrate_journal(deps, who)
        except ServiceError as error:
            problems.append(str(error))
        except Exception as error:  # no right to integrate (an auditor's account): look only
            _log.info("verification without integration (%s: %s)", type(error).__name__, error)
    with deps.reading() as session:
        backlog = sequencer.pending(session)
        # SQLite queues nothing: a row there, foreign, is among the report's findings
        # (foreign_queue_rows), not an entry that will be set aside.
        unreadable = journal.unreadable_waiting(session, _UNREADABLE_LOOKED_AT) if (
            backlog.count and postgresql
        ) else []  # fmt: skip
    problems.extend(
        f"l'entrée en attente n° {queued} n'est pas une entrée du journal ({reason}) : "
        "elle sera mise à l'écart à sa prochaine intégration"
        for queued, reason in unreadable
    )
    if backlog.count and backlog.waited > STUCK_AFTER:
        problems.append(describe_stuck(backlog.count))
    return QueueHealth(backlog, tuple(problems))


def describe_stuck(count: int) -> str:
    """Entries waiting longer than ``STUCK_AFTER``: what ``csu audit verify`` reports."""
    waiting = counted(count, "entrée") + " " + plural_of(count, "attend", "attendent")
    them = plural_of(count, "l'intègre", "les intègre")
    return (
        f"{waiting} depuis plus de {STUCK_AFTER:.0f} s d'être {plural_of(count, 'intégrée')} "
        f"à la chaîne : aucun séquenceur ne {them} ; lancez « csu audit integrate »"
    )


ACKNOWLEDGE = "journal_set_aside_ack"
# How migration 0021 opens the reason of a row the server itself failed to chain.
_REFUSED_BY_SERVER = "refusée par la base"


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """A supervisor's or administrator's word that an entry set aside was looked into:
    who, when (Paris), why; from the journal's own entry (``ACKNOWLEDGE``)."""

    seq: int  # of the acknowledging entry
    operator: str
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class SetAside:
    """An entry the sequencer chained in place of a queued row it could not chain, and
    whether it was acknowledged since (:func:`acknowledge_set_aside`)."""

    seq: int
    queue: int | None  # the row's id in the queue
    event_id: str | None  # the row's own
    reason: str
    acknowledged: Acknowledged | None = None

    @property
    def said_reason(self) -> str:
        """The reason in French: one the server gave (« refusée par la base : » and
        PostgreSQL's own message, often English) is named, its text left in the entry."""
        if self.reason.startswith(_REFUSED_BY_SERVER):
            return f"{_REFUSED_BY_SERVER} ; son message est dans le détail de l'entrée"
        return self.reason

    def describe(self) -> str:
        told = (
            f"entrée n° {self.seq} : une ligne de la file d'attente (n° {self.queue}) n'était "
            f"pas une entrée du journal ({self.said_reason}) et a été mise à l'écart"
        )
        seen = self.acknowledged
        if seen is None:
            return f"{told} : écrite dans la base sans passer par CSU ?"
        return (
            f"{told} ; examinée par {seen.operator} le {to_paris(seen.at):%d/%m/%Y à %H:%M} "
            f"(entrée n° {seen.seq}) : {seen.reason}"
        )


def set_aside_entries(session: Session, after: int = 0) -> list[SetAside]:
    """The entries the sequencer chained in place of queued rows it could not chain
    (PostgreSQL, migration 0021), read from their hashed bodies, after entry ``after``."""
    rows = session.execute(
        select(JournalEntry.seq, JournalEntry.body)  # type: ignore[call-overload]
        .where(JournalEntry.action == sequencer.SET_ASIDE)  # type: ignore[arg-type]
        .where(JournalEntry.seq > after)  # type: ignore[arg-type]
        .order_by(JournalEntry.seq)  # type: ignore[arg-type]
    )
    found = []
    acknowledged: dict[int, Acknowledged] | None = None
    for seq, body in rows:
        details = journal.body_fields(seq, body, "").get("details") or {}
        if not isinstance(details, dict):  # a body chained by hand: read as such
            details = {}
        if acknowledged is None:  # read once, and only when something was set aside
            acknowledged = acknowledgements(session)
        found.append(SetAside(seq, details.get("queue"), details.get("event_id"),
                              str(details.get("reason") or "motif inconnu"),
                              acknowledged.get(seq)))  # fmt: skip
    return found


def acknowledgements(session: Session) -> dict[int, Acknowledged]:
    """The first acknowledgement of each entry set aside, by its number: read from the
    hashed bodies of the journal's ``ACKNOWLEDGE`` entries (few: one an entry)."""
    found: dict[int, Acknowledged] = {}
    rows = session.execute(
        select(JournalEntry.seq, JournalEntry.body)  # type: ignore[call-overload]
        .where(JournalEntry.action == ACKNOWLEDGE)  # type: ignore[arg-type]
        .order_by(JournalEntry.seq)  # type: ignore[arg-type]
    )
    for seq, body in rows:
        try:
            fields = json.loads(body)
            details = fields["details"]
            target = int(details["seq"])
            at = parse_rfc3339(fields["ts"])
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            continue  # an altered entry: the chain's check names it
        found.setdefault(target, Acknowledged(seq, str(fields.get("operator") or "?"), at,
                                              str(details.get("reason") or "")))  # fmt: skip
    return found


@retried
def acknowledge_set_aside(deps: Deps, who: OperatorContext, seq: int, reason: str) -> SetAside:
    """Records, after looking into it, that entry ``seq`` set aside from the queue is
    understood (``reason``: what it was, what was done): journalled (``ACKNOWLEDGE``,
    with the number and the reason), it no longer makes the journal « NON conforme »,
    and every check still names it with who acknowledged it. Supervisors and
    administrators; once an entry."""
    require_role(deps, who, "superviseur", "admin")
    text = typed_reason(reason)
    with deps.writing() as session:
        require_live_in(session, who)
        entry = session.get(JournalEntry, seq)
        if entry is None or entry.action != sequencer.SET_ASIDE:
            raise NotFound(
                f"L'entrée n° {seq} n'est pas une entrée mise à l'écart de la file d'attente "
                "(csu audit verify les nomme)."
            )
        earlier = acknowledgements(session).get(seq)
        if earlier is not None:
            raise ServiceError(
                f"L'entrée n° {seq} a déjà été examinée par {earlier.operator} le "
                f"{to_paris(earlier.at):%d/%m/%Y à %H:%M}."
            )
        journal.append(session, actor=who.actor, action=ACKNOWLEDGE, outcome="ok",
                       at=deps.clock(), details={"seq": seq, "reason": text})  # fmt: skip
    with deps.reading() as session:
        [found] = [e for e in set_aside_entries(session, after=seq - 1) if e.seq == seq]
    return found


def set_aside_after(deps: Deps, who: OperatorContext, seq: int) -> list[SetAside]:
    """The entries set aside from the queue after entry ``seq`` (``csu audit integrate``
    names those its integration made)."""
    require_role(deps, who, "superviseur", "admin")
    require_live_session(deps, who)
    with deps.reading() as session:
        return set_aside_entries(session, after=seq)


def describe_backlog(backlog: Pending) -> str:
    """The backlog in words, for ``csu audit verify`` and the screens."""
    if not backlog.count:
        return "aucune entrée en attente d'intégration"
    waited = backlog.waited
    since = f"{french_number(waited, 1)} s" if waited < 120 else f"{french_number(waited / 60)} min"
    return (
        f"{counted(backlog.count, 'entrée')} en attente d'intégration à la chaîne "
        f"(la plus ancienne depuis {since})"
    )


def resident_sequencer(deps: Deps) -> AbstractContextManager[None]:
    """The journal's sequencer inside a long-lived server (``csu api``) for as long as
    the block runs: its requests queue their entries and return, the sequencer chains
    them within a twentieth of a second (csu/store/sequencer.py, ``resident``)."""
    return sequencer.resident(deps.engine)


def integrate_journal(deps: Deps, who: OperatorContext) -> int:
    """Chain what waits in the queue now (``csu audit integrate``), unless another
    sequencer is at work (it chains them); returns how many this call chained."""
    require_role(deps, who, "superviseur", "admin")
    require_live_session(deps, who)  # a disabled account reads nothing more
    if deps.engine.dialect.name != "postgresql":
        return 0  # SQLite chains every entry at once
    try:
        return sequencer.integrate(deps.engine)
    except sequencer.IntegrationRefused as refusal:
        raise ServiceError(
            f"Intégration refusée : {refusal} ; les entrées restent en attente."
        ) from None
    except Exception as error:
        if _is_store_error(error):
            raise ServiceError(
                "Intégration interrompue : la base de données est injoignable ou occupée ; "
                "les entrées restent en attente."
            ) from error
        raise


def _is_store_error(error: BaseException) -> bool:
    from csu.store.engine import transient

    return transient(error)


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """An entry committed with its action, not yet chained: no position, no hash yet.
    What the review and the export show of it (its body, as it will be hashed)."""

    queued: int  # its rank in the queue (1: the oldest waiting)
    at: datetime  # aware, Europe/Paris
    operator: str | None
    role: str | None
    workstation: str | None
    election: str | None
    matricule: str | None
    subject: str | None
    intervention: str | None
    action: str  # its code: the screens give its label
    outcome: str
    event_id: str
    details: dict[str, Any]


def pending_entries(
    deps: Deps, who: OperatorContext, where: ReviewFilter | None = None, *, limit: int = 200
) -> list[PendingEntry]:
    """The waiting entries that match the review's filter, oldest first (at most
    ``limit``): the review shows them above the chain, marked « en attente »."""
    require_role(deps, who, *REVIEWERS)
    require_live_session(deps, who)
    where = settled(deps, where or ReviewFilter())
    with deps.reading() as session:
        return _pending(session, deps.key, where, limit)


def _pending(
    session: Session, key: bytes, where: ReviewFilter, limit: int | None
) -> list[PendingEntry]:
    return [
        PendingEntry(
            queued=queued,
            at=to_paris(parse_rfc3339(fields["ts"])),
            operator=fields.get("operator"),
            role=fields.get("role"),
            workstation=fields.get("workstation"),
            election=fields.get("election"),
            matricule=fields["matricule"],
            subject=fields.get("subject"),
            intervention=fields.get("intervention"),
            action=fields["action"],
            outcome=fields["outcome"],
            event_id=fields["event_id"],
            details=fields.get("details") or {},
        )
        for queued, fields in _pending_fields(session, key, where, limit)
    ]


def _pending_fields(
    session: Session, key: bytes, where: ReviewFilter, limit: int | None
) -> list[tuple[int, dict[str, Any]]]:
    """``(queue id, the body's fields + matricule)`` of the waiting entries that match."""
    if where.seqs is not None or where.numbers is not None:
        return []  # positions asked for: waiting entries have none yet
    subject = pseudonym(key, where.matricule) if where.matricule else None
    found: list[tuple[int, dict[str, Any]]] = []
    for queued, fields in enumerate(journal.waiting(session), start=1):
        if _matches(fields, where, subject):
            found.append((queued, fields))
            if limit is not None and len(found) >= limit:
                break
    subjects = {f["subject"] for _, f in found if f.get("subject")}
    matricules: dict[str, str] = {}
    if subjects:
        rows = session.execute(
            select(Voter.pseudonym, Voter.matricule).where(
                Voter.pseudonym.in_(subjects)  # type: ignore[attr-defined]
            )
        )
        matricules = {row[0]: row[1] for row in rows}
    for _, fields in found:
        fields["matricule"] = matricules.get(fields.get("subject") or "")
    return found


def _matches(fields: dict[str, Any], where: ReviewFilter, subject: str | None) -> bool:
    """The review's filter (``conditions``) applied to a waiting entry's body."""
    for name, wanted in (
        ("operator", where.operator),
        ("action", where.action),
        ("outcome", where.outcome),
        ("election", where.election),
        ("intervention", where.intervention),
        ("subject", subject),
    ):
        if wanted is not None and fields.get(name) != wanted:
            return False
    if where.since is not None or where.until is not None:
        at = parse_rfc3339(fields["ts"])
        if where.since is not None and at < where.since:
            return False
        if where.until is not None and at >= where.until:
            return False
    return True


def _with_head(check: ChainCheck, mismatch: tuple[int, str] | None, head: Head) -> ChainCheck:
    if mismatch is not None and (check.ok or mismatch[0] < (check.failed_seq or 0)):
        return ChainCheck(check.count, check.last_hash, *mismatch)
    if not check.ok:
        return check
    if head.fault is not None:  # said at the last entry, as a head that differs from it
        return ChainCheck(check.count, check.last_hash, check.count, head.fault)
    head_seq, head_hash = head.seq, head.hash
    if check.count < head_seq:
        reason = f"entrées absentes en fin de journal (la tête en annonce {head_seq})"
        return ChainCheck(check.count, check.last_hash, check.count + 1, reason)
    if check.count > head_seq:
        reason = "entrée ajoutée au-delà de la tête du journal"
        return ChainCheck(check.count, check.last_hash, head_seq + 1, reason)
    if check.last_hash != head_hash:
        reason = "dernière empreinte différente de celle de la tête du journal"
        return ChainCheck(check.count, check.last_hash, check.count, reason)
    return check


def _column_check(deps: Deps) -> tuple[int, str] | None:
    with deps.reading() as session:
        return journal.column_check(session)


def _check_chain(
    deps: Deps,
    size: int,
    tree_stop: int = 0,
    progress: Progress | None = None,
    marks: Collection[int] = (),
    bodies_from: int | None = None,
) -> tuple[ChainCheck, dict[int, CompactRange]]:
    """The chain check, and the Merkle ranges of its first ``m`` leaves for each of
    ``marks`` (up to ``tree_stop``) that the check reached; a long journal is cut in two
    parts checked side by side, the tail by a second process (``csu.store.chain``) so
    that both cores work, each hashing its part of the tree. The bodies from
    ``bodies_from`` on are read as entries too."""
    tree = CompactRange()
    done = [0, 0]  # entries checked by this process, by the second one
    marks = sorted({m for m in marks if 0 <= m <= tree_stop})
    roots = {0: CompactRange()} if 0 in marks else {}  # the empty tree, whatever follows

    def report(part: int) -> Callable[[int], None] | None:
        if progress is None:
            return None

        def told(count: int) -> None:
            done[part] = count
            progress(min(done[0] + done[1], size), size)

        return told

    def heads(snapshots: Mapping[int, list[tuple[int, bytes]]]) -> dict[int, CompactRange]:
        return {m: CompactRange.from_nodes(0, nodes) for m, nodes in snapshots.items()}

    if size < SPLIT_FROM:
        with deps.reading() as session:
            check, snapshots = chain.verify_marked(
                journal.iter_chain(session), tree=tree, tree_stop=tree_stop, marks=marks,
                progress=report(0), bodies_from=bodies_from,
            )  # fmt: skip
        if progress is not None:
            progress(min(check.count, size), size)
        return check, {**roots, **heads(snapshots)}
    # The second process starts late by its start-up time: give it a little less. Any
    # cut works for the tree: the second part's nodes sit where they are in the whole.
    middle = int(size * 0.53)
    url = deps.engine.url
    if url.get_backend_name() == "sqlite":
        target = url.database or ""
    else:
        target = url.set(drivername="postgresql").render_as_string(hide_password=False)
    tail_marks = ",".join(str(m) for m in marks if m > middle)
    tail_bodies = "" if bodies_from is None else str(bodies_from)
    # The database URL (its password) goes by the environment, not the process list.
    # -P: `python -m` would look first in the current folder, where a `csu` package
    # planted there would check the tail in CSU's stead and call it intact.
    tail = subprocess.Popen(
        [
            sys.executable, "-P", "-m", "csu.store.chain", url.get_backend_name(), "-",
            str(middle + 1), str(tree_stop), tail_marks, tail_bodies,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, TARGET_VARIABLE: target},
    )  # fmt: skip
    told_tail = report(1)
    answer: list[str] = []

    def read_tail() -> None:
        assert tail.stdout is not None
        for line in tail.stdout:
            if line.startswith("progress "):
                if told_tail is not None:
                    told_tail(int(line.split()[1]))
            else:
                answer.append(line)

    reader = threading.Thread(target=read_tail, daemon=True)
    reader.start()
    try:
        with deps.reading() as session:
            first, snapshots = chain.verify_marked(
                journal.iter_chain(session, stop=middle),
                tree=tree,
                tree_stop=min(tree_stop, middle),
                marks=[m for m in marks if m <= middle],
                progress=report(0),
                bodies_from=bodies_from,
            )
        reader.join()
        tail.wait()
        err = tail.stderr.read() if tail.stderr is not None else ""
    finally:
        if tail.poll() is None:
            tail.kill()
        for stream in (tail.stdout, tail.stderr):
            if stream is not None:
                stream.close()
    if tail.returncode != 0 or not answer:
        last = err.strip().splitlines()[-1] if err.strip() else f"code {tail.returncode}"
        raise ServiceError(f"Vérification interrompue : {last}")
    result = json.loads(answer[-1])
    second = ChainCheck(**result["check"])
    if progress is not None:
        progress(min(first.count + second.count, size), size)
    roots.update(heads(snapshots))
    if not first.ok:
        return first, roots
    if first.count < middle:  # the first part ends early: entries are missing
        reason = f"entrée absente (la suivante porte le n° {first.count + 2} ou plus)"
        return ChainCheck(first.count, first.last_hash, first.count + 1, reason), roots
    for mark, nodes in result.get("marks", {}).items():
        whole = CompactRange.from_nodes(0, tree.nodes)
        whole.join(CompactRange.from_nodes(middle, _nodes(nodes)))
        roots[int(mark)] = whole
    total = first.count + second.count
    if not second.ok:
        return ChainCheck(total, second.last_hash, second.failed_seq, second.reason), roots
    return ChainCheck(total, second.last_hash if second.count else first.last_hash), roots


def _nodes(encoded: list[list[Any]]) -> list[tuple[int, bytes]]:
    return [(level, bytes.fromhex(digest)) for level, digest in encoded]


# The export takes the review's filter: the CLI and the review screen export through
# one code path (the name stays for the callers of ``csu audit export``).
ExportFilter = ReviewFilter

EXPORT = "journal_export"
EVERYTHING = ReviewFilter()
EXPORT_SUFFIXES: dict[str, str] = {"csv": ".csv", "jsonl": ".jsonl"}

# What the system says when the file cannot be created, in French.
_OS_REASONS = {
    errno.ENOENT: "dossier introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EACCES: "accès refusé",
    errno.EPERM: "opération non permise",
    errno.ENOSPC: "disque plein",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENAMETOOLONG: "nom trop long",
    errno.EISDIR: "c'est un dossier",
}


class ExportFileExists(ServiceError):
    """The export's file is already there (the command line offers ``--force``)."""


# Outcomes any journal may hold before its first entry of them (the others are those
# found in the journal: each service writes its own words).
_KNOWN_OUTCOMES = frozenset({"ok", "refusé", *INTERVENTION_OUTCOMES})


def export_filter_warnings(deps: Deps, who: OperatorContext, where: ReviewFilter) -> list[str]:
    """Check an export's filter before the export (``csu audit export``): an unknown
    action or outcome code, or a period that ends before it begins, is refused
    (:class:`ServiceError`, listing what is valid); an operator, election or
    intervention the store does not know gives a warning (returned, in French), since
    the export will then be empty."""
    require_role(deps, who, "superviseur", "admin")
    require_live_session(deps, who)  # a disabled account reads nothing more
    where = settled(deps, where)  # a filter wider than its column is refused
    warnings = []
    with deps.reading() as session:
        _refuse_filter(session, where)
        for value, key, column, what, e in (
            (where.operator, Operator.login, JournalEntry.operator, "opérateur", ""),
            (where.election, Election.id, JournalEntry.election, "scrutin", ""),
            (where.intervention, Intervention.id, JournalEntry.intervention, "intervention", "e"),
        ):
            if value is not None and not _known(session, key, column, value):
                warnings.append(
                    f"Attention : {what} « {value} » inconnu{e} de la base et absent{e} du "
                    "journal : l'export sera vide."
                )
    return warnings


def _refuse_filter(session: Session, where: ReviewFilter) -> None:
    """Refuses a filter that can only select nothing by mistake (see above)."""
    if where.empty_period:
        assert where.since is not None and where.until is not None
        raise ServiceError(
            f"Période vide : son début ({to_paris(where.since):%d/%m/%Y %H:%M}) n'est pas "
            f"avant sa fin ({to_paris(where.until):%d/%m/%Y %H:%M}, exclue)."
        )
    known = ACTIONS | {sequencer.SET_ASIDE}  # the server writes that one (migration 0021)
    if where.action is not None and where.action not in known and not _in_journal(
        session, JournalEntry.action, where.action
    ):
        valid = sorted(known | set(_distinct(session, "action")))
        raise ServiceError(
            f"Action « {where.action} » inconnue{_hint(where.action, valid)}. Codes valides "
            f"(csu/domain/actions.py) : {', '.join(valid)}."
        )
    if where.outcome is not None and where.outcome not in _KNOWN_OUTCOMES and not (
        _in_journal(session, JournalEntry.outcome, where.outcome)
    ):
        valid = sorted(_KNOWN_OUTCOMES | set(_distinct(session, "outcome")))
        raise ServiceError(
            f"Résultat « {where.outcome} » inconnu{_hint(where.outcome, valid)}. Résultats "
            f"valides : {', '.join(valid)}."
        )


def _hint(value: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(value, valid, n=1, cutoff=0.6)
    return f" (vouliez-vous dire « {close[0]} » ?)" if close else ""


def _in_journal(session: Session, column: Any, value: str) -> bool:
    """One probe of the column's index."""
    found = select(JournalEntry.seq).where(column == value).limit(1)  # type: ignore[call-overload]
    return session.execute(found).first() is not None


def _known(session: Session, key: Any, column: Any, value: str) -> bool:
    """Whether ``value`` is a row's ``key``, or in the journal's ``column``."""
    if session.execute(select(key).where(key == value).limit(1)).first() is not None:
        return True
    return _in_journal(session, column, value)


def export_journal(
    deps: Deps,
    who: OperatorContext,
    out: IO[str],
    *,
    fmt: ExportFormat = "jsonl",
    where: ReviewFilter = EVERYTHING,
    notices: list[str] | None = None,
) -> int:
    """Write the filtered journal to ``out``, oldest first; returns the number of
    entries written. Entries still waiting to be chained (PostgreSQL, see
    csu/store/sequencer.py) come last, without position nor hash (empty ``seq`` and
    ``hash``): committed, but not yet covered by the chain. A waiting row that is no
    entry (written into the queue by hand) is left out, and named in ``notices``.

    Pseudonyms are resolved to matricules while the voter still exists; the
    export itself is journalled with its filter (a matricule as the voter's
    pseudonym, never in clear), as a review's search is.
    """
    require_role(deps, who, "superviseur", "admin")
    require_live_session(deps, who)
    if fmt not in EXPORT_SUFFIXES:
        raise ServiceError(f"Format « {fmt} » inconnu : jsonl ou csv.")
    where = settled(deps, where)  # refused before a line is written, and journalled
    count = 0
    if deps.engine.dialect.name == "postgresql":
        # Chain what waits, if no sequencer is at work: fewer entries without position.
        sequencer.integrate_quietly(deps.engine)
    with deps.reading() as session:
        _refuse_filter(session, where)
        if notices is not None:
            notices.extend(
                f"Entrée en attente n° {queued} absente de l'export : ce n'est pas une entrée "
                f"du journal ({reason})."
                for queued, reason in journal.unreadable_waiting(session)
            )
        rows = itertools.chain(
            _export_rows(session, deps.key, where), _pending_rows(session, deps.key, where)
        )
        if fmt == "csv":
            writer = csv.writer(out, delimiter=";")
            writer.writerow(CSV_TITLES.values())
            for row in rows:
                writer.writerow(_spreadsheet_row(row))
                count += 1
        else:
            for row in rows:
                out.write(_json(row) + "\n")
                count += 1
    subject, details = filter_record(deps.key, where)
    # Not checked again here: what was written to ``out`` is journalled, whatever came.
    with deps.writing() as session:
        journal.append(
            session,
            actor=who.actor,
            action=EXPORT,
            outcome="ok",
            at=deps.clock(),
            subject=subject,
            details={"format": fmt, "count": count, **details},
        )
    return count


def export_journal_file(
    deps: Deps,
    who: OperatorContext,
    path: Path,
    *,
    fmt: ExportFormat = "csv",
    where: ReviewFilter = EVERYTHING,
    force: bool = False,
    make_folder: bool = False,
    notices: list[str] | None = None,
    own_suffix: bool = False,
    within: Path | None = None,
) -> int:
    """The export written to a new file (``csu audit export -o``, the review screen):
    created readable by its owner only (0600), since it names voters; an existing file
    is replaced only with ``force``; a failed export leaves no partial file behind.
    ``make_folder`` creates a missing folder (the screen's default exports folder); a
    path typed on the command line must name an existing one.

    From the review screen, ``own_suffix``: the file's name ends with its format's
    (« .csv », « .jsonl »); and in a browser, ``within``: the file is in that folder (the
    server's exports). A note an agent wrote is exported as typed, line breaks
    included: written as « site-packages/x.pth » (attack run), its lines were Python
    that the next start ran; from a browser, any path was one on the server."""
    require_role(deps, who, "superviseur", "admin")
    require_live_session(deps, who)
    where.normalised()  # a filter refused before the file is created
    single_line(str(path), "Fichier d'export")
    try:
        path = path.expanduser()
    except RuntimeError:  # « ~someone » with no such user
        raise ServiceError(f"{path} : dossier personnel introuvable.") from None
    try:
        folder = path.is_dir()
    except OSError as error:  # a name too long…
        raise _os_refusal(path, error) from None
    if folder:
        raise ServiceError(f"{path} est un dossier : indiquez un nom de fichier.")
    _refuse_elsewhere(path, fmt, own_suffix, within)
    target, descriptor = _create_export(path, force, make_folder)
    try:
        # A CSV file begins with the byte order mark: without it a spreadsheet opened
        # by a double click reads it as ANSI (« opÃ©rateur »). JSON Lines never do.
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        with os.fdopen(descriptor, "w", encoding=encoding, newline="") as handle:
            count = export_journal(deps, who, handle, fmt=fmt, where=where, notices=notices)
        if target != path:
            os.replace(target, path)  # the old file stays whole until the new one is
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return count


def _refuse_elsewhere(path: Path, fmt: str, own_suffix: bool, within: Path | None) -> None:
    """The screen's rules of :func:`export_journal_file`: its format's suffix, and in a
    browser its folder (links followed: a link in it to elsewhere is elsewhere)."""
    suffix = EXPORT_SUFFIXES.get(fmt, "")
    if own_suffix and path.suffix.casefold() != suffix:
        raise ServiceError(
            f"Fichier d'export « {path.name} » : un export {fmt.upper()} s'écrit dans un "
            f"fichier « {suffix} »."
        )
    if within is None:
        return
    try:
        inside = path.parent.resolve().is_relative_to(within.resolve())
    except (OSError, RuntimeError) as error:  # a link loop…
        raise ServiceError(f"{path} : chemin illisible ({error}).") from None
    if not inside:
        raise ServiceError(
            f"Fichier d'export {path} : depuis un navigateur, l'export s'écrit dans le "
            f"dossier des exports du serveur ({within}) ; indiquez un nom de fichier seulement."
        )


def _create_export(path: Path, force: bool, make_folder: bool) -> tuple[Path, int]:
    """A new file, 0600, created with O_EXCL (never a file or link someone else made):
    the file itself, or with ``force`` a partial file beside it (``mkstemp``: O_EXCL,
    0600 too) that replaces it at the end."""
    try:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        if force:
            descriptor, partial = tempfile.mkstemp(
                prefix=f".{path.name}.", suffix=".partiel", dir=path.parent
            )
            return Path(partial), descriptor
        return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ExportFileExists(
            f"Le fichier {path} existe déjà : choisissez un autre nom."
        ) from None
    except OSError as error:
        raise _os_refusal(path, error) from None


def _os_refusal(path: Path, error: OSError) -> ServiceError:
    reason = _OS_REASONS.get(error.errno or 0, "erreur d'entrée-sortie")
    return ServiceError(f"Impossible d'écrire {path} : {reason}.")


# json.dumps(…, ensure_ascii=False, sort_keys=True), whose encoder json.dumps would build
# again for each of a million rows.
_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def _spreadsheet_row(row: dict[str, Any]) -> list[Any]:
    """The row's cells in CSV_TITLES order, every text cell made safe to open in a
    spreadsheet (no formula runs). ``row`` is the export's own, completed here."""
    details = row["details"]
    row["paris_time"] = paris_seconds_text(row["ts"]) if row["ts"] else ""
    row["label"] = entry_label(row["action"], details if isinstance(details, dict) else {})
    row["readable_details"] = _in_french(row["action"], details)
    row["details"] = _json(details)
    # spreadsheet_safe called only where the first character may start a formula: a
    # million rows of 16 cells, most a name, a code or a number.
    return [
        spreadsheet_safe(value)
        if value.__class__ is str and value and (value[0] in FORMULA_FIRST or value[0].isspace())
        else value
        for value in (row[name] for name in _CSV_COLUMNS)
    ]


_CSV_COLUMNS = tuple(CSV_TITLES)


def _in_french(action: str, details: object) -> str:
    """The details as the entry's window lays them out, on one line; a value that holds
    « ; » itself (a reason typed so) between « », not read as two details."""
    if not isinstance(details, dict):
        return ""
    return " ; ".join(
        f"{label} : {f'« {value} »' if ';' in value else value}"
        for label, value in in_french(action, details)
    )


def _export_rows(session: Session, key: bytes, where: ReviewFilter) -> Iterator[dict[str, Any]]:
    """The entries of ``where`` in order, each as its hashed body says it, with its
    position, hash and voter's matricule. Read as plain rows (no ORM entity per entry:
    an export of a national cell's journal reads a million), in batches."""
    query = (
        select(JournalEntry.seq, JournalEntry.body, JournalEntry.hash, Voter.matricule)  # type: ignore[call-overload]
        .outerjoin(Voter, Voter.pseudonym == JournalEntry.subject)  # type: ignore[arg-type]
        .where(*conditions(session, key, where))
        .order_by(JournalEntry.seq)  # type: ignore[arg-type]
    )
    connection = session.connection().execution_options(yield_per=EXPORT_BATCH)
    for seq, body, chained, matricule in connection.execute(query):
        fields = journal.body_fields(seq, body, chained)
        fields["matricule"] = matricule
        yield {name: fields.get(name) for name in EXPORT_COLUMNS}


def _pending_rows(session: Session, key: bytes, where: ReviewFilter) -> Iterator[dict[str, Any]]:
    for _, fields in _pending_fields(session, key, where, None):
        yield {name: fields.get(name) for name in EXPORT_COLUMNS}  # seq, hash: None


def journal_size(deps: Deps) -> int:
    with deps.reading() as session:
        return chain_head(session).seq
