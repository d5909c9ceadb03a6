"""Reviewing the journal: filtered pages of entries, their detail, journalled searches.

A supervisor (or an administrator) looks for entries by period, operator, voter
(matricule), action, outcome, election, intervention and number (« N° »: one entry, or
a range of them), newest first, one page at a time: each page starts below the last
entry of the previous one (keyset on seq), so that the thousandth page costs what the
first does, on a journal of any length.

Every search is journalled (``journal_search``, with its filter; a matricule filter
goes in as the voter's pseudonym, in the entry's subject, never in clear) before
anything is read. The next pages of a search refer to that entry and are not new
searches. Opening an entry that names a voter, or an intervention, is journalled too
(``journal_entry_view``, ``journal_intervention_view``): the detail shows the voter's
name.

What is shown comes from each entry's hashed body, never from the index columns
(on PostgreSQL they could be edited without breaking the chain, until verified).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, select, text
from sqlmodel import Session

from csu.domain.actions import ACTIONS
from csu.domain.clock import parse_rfc3339, parse_typed_moment, rfc3339, to_paris
from csu.domain.errors import InvalidValue
from csu.domain.hashing import pseudonym
from csu.domain.identifiers import typed_matricule
from csu.domain.labels import MATERIAL_KEYS, MATERIAL_LIST_KEYS
from csu.domain.masking import mask_identifier
from csu.domain.numbers import french_number
from csu.domain.roles import Role
from csu.domain.text import single_line, visible_text
from csu.services.context import Deps, NotFound, OperatorContext, ServiceError, require_role
from csu.services.operator_names import display_name
from csu.services.sessions import require_live_in, require_live_session
from csu.store import journal
from csu.store.tables import (
    Election,
    Intervention,
    JournalEntry,
    Material,
    Operator,
    Voter,
    ends_with,
)

REVIEWERS: tuple[Role, ...] = ("superviseur", "admin")
PAGE_SIZE = 100

# The journal's numbers: from 1, within the seq column (INTEGER on PostgreSQL; a bound
# past it would be compared as numeric there, and overflow SQLite's driver past 2**63).
FIRST_SEQ = 1
MAX_SEQ = 2_147_483_647
_MAX_SEQ_TEXT = french_number(MAX_SEQ)  # « 2 147 483 647 »
NUMBER_FIELD = "N°"

SEARCH = "journal_search"
ENTRY_VIEW = "journal_entry_view"
INTERVENTION_VIEW = "journal_intervention_view"


@dataclass(frozen=True, slots=True)
class ReviewFilter:
    """What a supervisor looks for in the journal; every field set narrows the view.

    ``seqs`` restricts the view to given entries (an alert's evidence); ``numbers``
    to the entries numbered from its first to its last (both included: one entry when
    they are equal). ``until`` is excluded; both bounds are aware datetimes."""

    since: datetime | None = None
    until: datetime | None = None
    operator: str | None = None
    matricule: str | None = None
    action: str | None = None
    outcome: str | None = None
    election: str | None = None
    intervention: str | None = None
    seqs: tuple[int, ...] | None = None
    numbers: tuple[int, int] | None = None

    @property
    def is_empty(self) -> bool:
        return self == ReviewFilter()

    @property
    def empty_period(self) -> bool:
        """Whether the period can hold no entry (its start not before its end): the
        review and the export refuse it, as « aucune entrée » would read as a quiet
        journal, not as a period typed wrong."""
        return self.since is not None and self.until is not None and self.since >= self.until

    def normalised(self) -> "ReviewFilter":
        """Blank texts mean "any"; logins are lower case; a matricule is checked. A
        filter wider than the journal column it is compared with is refused
        (:class:`InvalidValue`): it could match no entry, and would be quoted back and
        journalled whole with the search or the export."""

        def clean(value: str | None, field: str, column: str | None = None) -> str | None:
            value = " ".join(single_line(value, field).split()) if value else None
            if value and column is not None:
                width = JournalEntry.__table__.c[column].type.length  # type: ignore[attr-defined]
                if len(value) > width:
                    raise InvalidValue(field, f"{width} caractères au plus, {len(value)} reçus")
            return value or None

        operator = clean(self.operator, "Opérateur", "operator")
        matricule = clean(self.matricule, "Matricule")
        return ReviewFilter(
            since=self.since,
            until=self.until,
            operator=operator.lower() if operator else None,
            matricule=typed_matricule(matricule) if matricule else None,
            action=clean(self.action, "Action", "action"),
            outcome=clean(self.outcome, "Résultat", "outcome"),
            election=clean(self.election, "Scrutin", "election"),
            intervention=intervention_typed(
                clean(self.intervention, "Intervention", "intervention")
            ),
            seqs=tuple(sorted(set(self.seqs))) if self.seqs is not None else None,
            numbers=checked_numbers(*self.numbers) if self.numbers is not None else None,
        )


# « 1200 », « 1 200 », « n° 1200 », « 1200-1250 », « 1200 – 1250 »: digits only (no
# other script's digits, which int() would take), a hyphen or a dash between two.
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
                         "\u2014": "-", "\u2212": "-"})  # fmt: skip
_NUMBERS = re.compile(r"(?:n°|no|n)?([0-9]+)(?:-([0-9]+))?", re.IGNORECASE)
_EXAMPLE = "tapez un numéro (1200) ou une plage (1200-1250)"
_SHOWN = 24  # characters of a wrong value quoted back


def parse_numbers(value: str, field: str = NUMBER_FIELD) -> tuple[int, int]:
    """The entry numbers an operator typed: one (« 1200 ») or a range (« 1200-1250 »,
    both included), as (first, last). Refused in French: letters, a negative or zero
    number, a range the wrong way round, a number past the journal's largest possible,
    a control character or bidirectional mark."""
    text = single_line(value, field)
    compact = _SPACES.sub("", text).translate(_DASHES)
    shown = text.strip() if len(text.strip()) <= _SHOWN else text.strip()[: _SHOWN - 1] + "…"
    if not compact:
        raise InvalidValue(field, f"vide : {_EXAMPLE}")
    found = _NUMBERS.fullmatch(compact)
    if found is None:
        if re.fullmatch(r"-[0-9]+(?:-[0-9]*)?", compact):
            raise InvalidValue(
                field, f"« {shown} » : un numéro d'entrée est positif, le journal commence au n° 1"
            )
        if re.fullmatch(r"(?:n°|no|n)?[0-9]+-", compact, re.IGNORECASE):
            raise InvalidValue(field, f"plage « {shown} » incomplète : {_EXAMPLE}")
        raise InvalidValue(field, f"« {shown} » n'est pas un numéro d'entrée : {_EXAMPLE}")
    bounds = []
    for digits in (found.group(1), found.group(2) or found.group(1)):
        digits = digits.lstrip("0") or "0"
        # Its length first: int() of thousands of digits is slow, then refused.
        if len(digits) > len(str(MAX_SEQ)) or int(digits) > MAX_SEQ:
            raise InvalidValue(
                field,
                f"« {shown} » dépasse le plus grand numéro d'entrée possible ({_MAX_SEQ_TEXT})",
            )
        bounds.append(int(digits))
    return checked_numbers(bounds[0], bounds[1], field)


def checked_numbers(first: int, last: int, field: str = NUMBER_FIELD) -> tuple[int, int]:
    """(first, last) if they bound entries of a journal, else InvalidValue in French."""
    if type(first) is not int or type(last) is not int:
        raise InvalidValue(field, f"numéros d'entrée attendus : {_EXAMPLE}")
    if first < FIRST_SEQ or last < FIRST_SEQ:
        raise InvalidValue(field, "le journal commence au n° 1")
    if first > MAX_SEQ or last > MAX_SEQ:
        raise InvalidValue(field, f"le plus grand numéro d'entrée possible est {_MAX_SEQ_TEXT}")
    if first > last:
        raise InvalidValue(
            field, f"plage à l'envers : {first} vient après {last} ; tapez {last}-{first}"
        )
    return first, last


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One line of the review's table."""

    seq: int
    at: datetime | None  # aware, Europe/Paris; None: an entry whose body is unreadable
    operator: str | None
    role: str | None
    workstation: str | None
    election: str | None
    matricule: str | None  # None: no voter, or the voter is no longer on record
    intervention: str | None
    action: str  # a code: the screens name it
    outcome: str
    # As recorded, keyed by code: the screens name an entry by them (a credential's kind).
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReviewPage:
    """A page of a search; ``search`` is the seq of the search's own journal entry,
    which the next pages refer to."""

    search: int
    rows: tuple[EntryRow, ...]
    more: bool  # older entries may match: ask for the next page

    @property
    def last_seq(self) -> int | None:
        return self.rows[-1].seq if self.rows else None


@dataclass(frozen=True, slots=True)
class EntryDetail:
    """Everything one entry says, as codes and values: the screen names them."""

    seq: int
    at: datetime  # aware, Europe/Paris
    operator: str | None
    operator_name: str | None
    role: str | None
    workstation: str | None
    election: str | None
    election_title: str | None
    subject: str | None  # the voter's pseudonym
    matricule: str | None
    voter_name: str | None
    intervention: str | None
    action: str
    outcome: str
    details: Mapping[str, Any] = field(default_factory=dict)  # as recorded, keyed by code
    event_id: str = ""
    hash: str = ""
    material: str | None = None
    """The material the details name by its number in the store, as the voter file names
    it (masked identifier and capacity); None when they name none, or one no longer kept."""
    materials: Mapping[int, str] = field(default_factory=dict)
    """The materials a list of the details names by number (a substitution's), each as
    ``material`` is named, those of the entry's voter still kept."""


@dataclass(frozen=True, slots=True)
class TimelineStep:
    seq: int
    at: datetime | None  # aware, Europe/Paris; None: an entry whose body is unreadable
    operator: str | None
    workstation: str | None
    action: str
    outcome: str
    details: Mapping[str, Any] = field(default_factory=dict)  # as recorded, keyed by code


@dataclass(frozen=True, slots=True)
class Timeline:
    """An intervention from its opening to its close, step by step."""

    intervention: str
    operator: str | None
    channel: str | None  # a code (« phone »)
    election: str | None
    matricule: str | None
    voter_name: str | None
    opened_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    verified_factors: tuple[str, ...]  # codes
    note: str | None
    steps: tuple[TimelineStep, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class FilterChoices:
    """What the filters offer: the actions and outcomes present in the journal, the
    elections and the operators."""

    actions: tuple[str, ...]  # codes
    outcomes: tuple[str, ...]
    elections: tuple[tuple[str, str], ...]  # (id, title)
    operators: tuple[tuple[str, str], ...]  # (login, display name)


# --- the filter, in SQL -----------------------------------------------------------


def conditions(
    session: Session, key: bytes, where: ReviewFilter, *, window: bool = True
) -> list[ColumnElement[bool]]:
    """The SQL conditions of a filter on journal_entry (the export shares them).

    ``window``: also bound a period by seq (see _period); without it, a period alone
    is counted from the ts index without reading an entry."""
    found: list[ColumnElement[bool]] = []
    if where.seqs is not None:
        found.append(JournalEntry.seq.in_(where.seqs))  # type: ignore[attr-defined]
    if where.numbers is not None:  # a range of the primary key
        first, last = where.numbers
        found.append(
            JournalEntry.seq == first  # type: ignore[arg-type]
            if first == last
            else JournalEntry.seq.between(first, last)  # type: ignore[attr-defined]
        )
    equal = (
        (JournalEntry.operator, where.operator),
        (JournalEntry.action, where.action),
        (JournalEntry.outcome, where.outcome),
        (JournalEntry.election, where.election),
        (JournalEntry.subject, pseudonym(key, where.matricule) if where.matricule else None),
    )
    for column, value in equal:
        if value is not None:
            found.append(column == value)  # type: ignore[arg-type]
    if where.intervention is not None:
        found.append(JournalEntry.intervention == where.intervention)  # type: ignore[arg-type]
    if where.since is not None or where.until is not None:
        found.extend(_period(session, where.since, where.until, window))
    return found


# An intervention's number is a uuid (36 characters): 8 of its characters, its first or
# its last, as a person copies them from an entry's detail, are enough to look it up.
# Its beginning is the moment it was opened (time-ordered ids): every call of the same
# minute shares its first 8, and the filter then asks for more.
INTERVENTION_PART = 8
INTERVENTION_ID = 36


def intervention_typed(typed: str | None) -> str | None:
    """The intervention filter as typed: a whole number, or 8 of its characters."""
    if typed is None:
        return None
    # No invisible character counted among the 8, and the width checked once lowered
    # (« İ » lowers to two characters): a number holds neither.
    typed = visible_text(typed, "Intervention").lower()
    if len(typed) > INTERVENTION_ID:
        raise InvalidValue("Intervention", f"{INTERVENTION_ID} caractères au plus")
    if len(typed) < INTERVENTION_PART:
        raise InvalidValue(
            "Intervention",
            f"son n° complet, ou ses {INTERVENTION_PART} premiers ou derniers caractères au "
            "moins (ex. 01a24e56)",
        )
    return typed


def intervention_matches(typed: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The interventions whose number begins with ``typed``, then those whose number ends
    with it, ``typed`` taken literally: each read from an index on PostgreSQL."""
    return (
        Intervention.id.startswith(typed, autoescape=True),  # type: ignore[union-attr]
        ends_with(Intervention.id, typed),
    )


def settled(deps: Deps, where: ReviewFilter) -> ReviewFilter:
    """``where`` normalised, its intervention named by a part of its number replaced by
    the whole number: before the search is journalled (the journal keeps the number)
    or an export writes its first line. A part that several numbers share is refused,
    saying how many: their entries, mixed, read as one intervention's."""
    where = where.normalised()
    typed = where.intervention
    if typed is None or len(typed) >= INTERVENTION_ID:
        return where
    with deps.reading() as session:
        for matching in intervention_matches(typed):
            ids = list(session.execute(select(Intervention.id).where(matching).limit(21)).scalars())
            if len(ids) == 1:
                return replace(where, intervention=ids[0])
            if ids:
                many = "plus de 20" if len(ids) > 20 else french_number(len(ids))
                raise InvalidValue(
                    "Intervention",
                    f"{many} interventions ont un n° contenant « {typed} » à son début ou à "
                    "sa fin : tapez-en davantage (ses derniers caractères le distinguent)",
                )
    return where  # none: an entry may name an intervention no longer in the table


def _period(
    session: Session, since: datetime | None, until: datetime | None, window: bool
) -> list[ColumnElement[bool]]:
    """The period as bounds on ts and, with ``window``, as the range of seq its
    entries span.

    With the ts bounds alone the database would either sort every entry of the
    period or walk the other filter's index from the newest entry down to the
    period. The range of seq is read from the ts index alone (no entry is read), and
    is exact whatever the order of the entries' times (clocks of workstations apart,
    an entry dated when its action began): a page is then read from the other
    filter's index within that range, in seq order.
    """
    # A bound that leaves no entry out (« since the opening », « until now ») is
    # dropped: one probe of the index instead of reading the whole journal's range.
    if since is not None and not _any(session, JournalEntry.ts < rfc3339(since)):  # type: ignore[arg-type]
        since = None
    if until is not None and not _any(session, JournalEntry.ts >= rfc3339(until)):  # type: ignore[arg-type]
        until = None
    found: list[ColumnElement[bool]] = []
    if since is not None:
        found.append(JournalEntry.ts >= rfc3339(since))  # type: ignore[arg-type]
    if until is not None:
        found.append(JournalEntry.ts < rfc3339(until))  # type: ignore[arg-type]
    if not window or not found:
        return found
    # « seq + 0 »: PostgreSQL would otherwise look for min(seq) by walking the primary
    # key from one end, testing each entry's ts, instead of reading the (ts, seq) index.
    number = JournalEntry.seq + 0  # type: ignore[operator]
    low, high = session.execute(select(func.min(number), func.max(number)).where(*found)).one()
    if low is None:
        return [false()]
    found.append(JournalEntry.seq.between(low, high))  # type: ignore[attr-defined]
    return found


def _any(session: Session, condition: ColumnElement[bool]) -> bool:
    return session.execute(select(JournalEntry.seq).where(condition).limit(1)).first() is not None


def filter_record(key: bytes, where: ReviewFilter) -> tuple[str | None, dict[str, Any]]:
    """The subject and details that journal a search or an export with this filter:
    the voter of a matricule filter as their pseudonym, never the matricule."""
    subject = pseudonym(key, where.matricule) if where.matricule else None
    details: dict[str, Any] = {
        "since": rfc3339(where.since) if where.since else None,
        "until": rfc3339(where.until) if where.until else None,
        "operator": where.operator,
        "matricule": bool(where.matricule),
        "action": where.action,
        "outcome": where.outcome,
        "election": where.election,
        "intervention": where.intervention,
        "seqs": list(where.seqs) if where.seqs is not None else None,
    }
    if where.numbers is not None:  # only when set: the searches journalled before read alike
        details["seq_from"], details["seq_to"] = where.numbers
    return subject, details


# --- searching ----------------------------------------------------------------------


def search_journal(
    deps: Deps, who: OperatorContext, where: ReviewFilter, *, limit: int = PAGE_SIZE
) -> ReviewPage:
    """A new search: journalled first (the entry is committed before anything is
    read), then its first page, newest first."""
    require_role(deps, who, *REVIEWERS)
    where = settled(deps, where)
    subject, details = filter_record(deps.key, where)
    with deps.writing() as session:
        require_live_in(session, who)
        appended = journal.append(
            session,
            actor=who.actor,
            action=SEARCH,
            outcome="ok",
            at=deps.clock(),
            subject=subject,
            details=details,
        )
    # Its position names the search for the next pages (PostgreSQL: once chained).
    search = journal.position(deps.engine, appended)
    if search is None:
        raise ServiceError("Le journal est en cours d'intégration : relancez la recherche.")
    with deps.reading() as session:
        return _page(session, deps.key, where, search, None, limit)


def next_page(
    deps: Deps,
    who: OperatorContext,
    where: ReviewFilter,
    search: int,
    after: int,
    *,
    limit: int = PAGE_SIZE,
) -> ReviewPage:
    """The entries older than ``after`` of the search journalled as ``search``: the
    same search scrolled further, not a new one (its entry must be this operator's
    search with this very filter)."""
    require_role(deps, who, *REVIEWERS)
    require_live_session(deps, who)
    where = settled(deps, where)
    with deps.reading() as session:
        entry = session.get(JournalEntry, search)
        fields = journal.entry_fields(entry) if entry is not None else {}
        subject, details = filter_record(deps.key, where)
        if (
            fields.get("action") != SEARCH
            or fields.get("operator") != who.login
            or fields.get("subject") != subject
            or fields.get("details") != details
        ):
            raise ServiceError("Recherche inconnue : relancez la recherche.")
        return _page(session, deps.key, where, search, after, limit)


def _page(
    session: Session,
    key: bytes,
    where: ReviewFilter,
    search: int,
    after: int | None,
    limit: int,
) -> ReviewPage:
    query = _with_voter(
        select(JournalEntry.seq, JournalEntry.body, Voter.matricule)  # type: ignore[call-overload]
    )
    query = query.where(*conditions(session, key, where))
    if after is not None:
        query = query.where(JournalEntry.seq < after)  # type: ignore[arg-type]
    result = session.execute(
        query.order_by(JournalEntry.seq.desc()).limit(limit + 1)  # type: ignore[attr-defined]
    ).all()
    rows = tuple(_row(seq, body, matricule) for seq, body, matricule in result[:limit])
    return ReviewPage(search=search, rows=rows, more=len(result) > limit)


def _with_voter(query: Select[Any]) -> Select[Any]:
    # The voter's matricule while they are on record (a purged voter keeps only the
    # pseudonym in the journal).
    return query.select_from(JournalEntry).outerjoin(
        Voter,
        Voter.pseudonym == JournalEntry.subject,  # type: ignore[arg-type]
    )


def _row(seq: int, body: bytes, matricule: str | None) -> EntryRow:
    fields = journal.body_fields(seq, body, "")
    return EntryRow(
        seq=seq,
        at=to_paris(parse_rfc3339(fields["ts"])) if fields["ts"] is not None else None,
        operator=fields.get("operator"),
        role=fields.get("role"),
        workstation=fields.get("workstation"),
        election=fields.get("election"),
        matricule=matricule,
        intervention=fields.get("intervention"),
        action=fields["action"],
        outcome=fields["outcome"],
        details=dict(fields.get("details") or {}),
    )


def count_entries(deps: Deps, who: OperatorContext, where: ReviewFilter) -> int:
    """How many entries match (part of a journalled search: not journalled again).

    The whole journal is counted by its head; a broad filter may take a second on a
    million entries, which is why the screen shows the first page before the count."""
    require_role(deps, who, *REVIEWERS)
    require_live_session(deps, who)
    where = settled(deps, where)
    with deps.reading() as session:
        if where.is_empty:
            return journal.head(session)[0]
        if where.numbers is not None and replace(where, numbers=None).is_empty:
            # The journal's numbers have no gap (verification says so otherwise): a range
            # holds those up to the head, with no entry read.
            first, last = where.numbers
            return max(0, min(last, journal.head(session)[0]) - first + 1)
        # A period alone is counted on the ts index; with another filter, on that
        # filter's index within the period's range of seq.
        period_only = replace(where, since=None, until=None).is_empty
        found = conditions(session, deps.key, where, window=not period_only)
        query = select(func.count()).select_from(JournalEntry).where(*found)
        return int(session.execute(query).scalar_one())


# --- one entry ------------------------------------------------------------------------


def entry_detail(deps: Deps, who: OperatorContext, seq: int) -> EntryDetail:
    """One entry in full; reading one that names a voter is journalled."""
    require_role(deps, who, *REVIEWERS)
    with deps.reading() as session:
        # Its body and hash alone: the columns SQLite derives from a body that is not
        # UTF-8 would fail to read, in English.
        found = session.execute(
            select(JournalEntry.body, JournalEntry.hash).where(JournalEntry.seq == seq)  # type: ignore[call-overload, arg-type]
        ).one_or_none()
        if found is None:
            raise NotFound(f"Entrée n° {seq} introuvable dans le journal.")
        fields = _readable(seq, found[0], found[1])
    subject = fields.get("subject")
    with deps.writing() as session:
        require_live_in(session, who)
        if subject:
            journal.append(
                session,
                actor=who.actor,
                action=ENTRY_VIEW,
                outcome="ok",
                at=deps.clock(),
                subject=subject,
                details={"seq": seq},
            )
        voter = _voter(session, subject)
        material = _material_named(session, fields.get("details") or {}, voter)
        materials = _materials_named(session, fields.get("details") or {}, voter)
        operator = display_name(session, fields.get("operator"))
        election = session.get(Election, fields["election"]) if fields.get("election") else None
    return EntryDetail(
        seq=seq,
        at=to_paris(parse_rfc3339(fields["ts"])),
        operator=fields.get("operator"),
        operator_name=operator,
        role=fields.get("role"),
        workstation=fields.get("workstation"),
        election=fields.get("election"),
        election_title=election.title if election is not None else None,
        subject=subject,
        matricule=voter.matricule if voter is not None else None,
        voter_name=_full_name(voter),
        intervention=fields.get("intervention"),
        action=fields["action"],
        outcome=fields["outcome"],
        details=dict(fields.get("details") or {}),
        event_id=fields.get("event_id", ""),
        hash=fields.get("hash", ""),
        material=material,
        materials=materials,
    )


def _material_named(
    session: Session, details: Mapping[str, Any], voter: Voter | None
) -> str | None:
    """The material a detail names by its store number (« n° 128 » says nothing to a
    supervisor), if it is the entry's voter's: its masked identifier and capacity."""
    number = next((details[k] for k in MATERIAL_KEYS if type(details.get(k)) is int), None)
    if number is None or voter is None:
        return None
    material = session.get(Material, number)
    if material is None or material.voter_id != voter.id:
        return None
    return f"{mask_identifier(material.identifier)} ({material.capacity})"


def _materials_named(
    session: Session, details: Mapping[str, Any], voter: Voter | None
) -> dict[int, str]:
    """The materials a list of the details names by number (« matériels 2002 » said
    nothing), those of the entry's voter: each by its masked identifier and capacity."""
    numbers = {
        number
        for key in MATERIAL_LIST_KEYS
        if isinstance(details.get(key), list)
        for number in details[key]
        if type(number) is int
    }
    if not numbers or voter is None:
        return {}
    found = session.execute(
        select(Material).where(
            Material.id.in_(sorted(numbers)),  # type: ignore[union-attr]
            Material.voter_id == voter.id,
        )
    ).scalars()
    return {
        material.id or 0: f"{mask_identifier(material.identifier)} ({material.capacity})"
        for material in found
    }


def _readable(seq: int, body: bytes, chained: str) -> dict[str, Any]:
    """The entry's fields, or a refusal in French when its body is no longer an entry's
    (altered in the base: the integrity check names it, F8 opens it here)."""
    fields = journal.body_fields(seq, body, chained)
    if isinstance(fields, journal.Unreadable):
        why = fields["details"]["problem"]
        raise ServiceError(
            f"Entrée n° {seq} illisible : son contenu n'est plus celui d'une entrée du "
            f"journal ({why} ; altéré dans la base ?). Vérifiez le journal (F8)."
        )
    return fields


def _voter(session: Session, subject: str | None) -> Voter | None:
    if not subject:
        return None
    found = select(Voter).where(Voter.pseudonym == subject)  # type: ignore[arg-type]
    return session.execute(found).scalar_one_or_none()


def _full_name(voter: Voter | None) -> str | None:
    if voter is None or voter.purged_at is not None:
        return None
    return f"{voter.last_name.upper()} {voter.first_name}".strip() or None


# --- one intervention -----------------------------------------------------------------


def intervention_timeline(deps: Deps, who: OperatorContext, intervention_id: str) -> Timeline:
    """An intervention and its steps, oldest first; reading it is journalled (it
    names the voter)."""
    require_role(deps, who, *REVIEWERS)
    intervention_id = intervention_id.strip()
    with deps.reading() as session:
        row = session.get(Intervention, intervention_id)
        entries = session.execute(
            select(JournalEntry.seq, JournalEntry.body)  # type: ignore[call-overload]
            .where(JournalEntry.intervention == intervention_id)  # type: ignore[arg-type]
            .order_by(JournalEntry.seq)  # type: ignore[arg-type]
        ).all()
    if row is None and not entries:
        raise NotFound("Intervention introuvable.")
    steps = [(seq, journal.body_fields(seq, body, "")) for seq, body in entries]
    subject = next((fields["subject"] for _, fields in steps if fields.get("subject")), None)
    with deps.writing() as session:
        require_live_in(session, who)
        journal.append(
            session,
            actor=who.actor,
            action=INTERVENTION_VIEW,
            outcome="ok",
            at=deps.clock(),
            subject=subject,
            details={"intervention": intervention_id},
        )
        voter = _voter(session, subject)
        if voter is None and row is not None and row.voter_id is not None:
            voter = session.get(Voter, row.voter_id)
    first = steps[0][1] if steps else {}
    return Timeline(
        intervention=intervention_id,
        operator=row.operator_login if row is not None else first.get("operator"),
        channel=row.channel if row is not None else None,
        election=row.election_id if row is not None else first.get("election"),
        matricule=voter.matricule if voter is not None else None,
        voter_name=_full_name(voter),
        opened_at=to_paris(row.opened_at) if row is not None else None,
        closed_at=to_paris(row.closed_at) if row is not None and row.closed_at else None,
        outcome=row.outcome if row is not None else None,
        verified_factors=tuple(
            name
            for name in ((row.verified_factors or "") if row is not None else "").split(",")
            if name
        ),
        note=row.note if row is not None else None,
        steps=tuple(_step(seq, fields) for seq, fields in steps),
    )


def _step(seq: int, fields: dict[str, Any]) -> TimelineStep:
    return TimelineStep(
        seq=seq,
        at=to_paris(parse_rfc3339(fields["ts"])) if fields["ts"] is not None else None,
        operator=fields.get("operator"),
        workstation=fields.get("workstation"),
        action=fields["action"],
        outcome=fields["outcome"],
        details=dict(fields.get("details") or {}),
    )


# --- what the filters offer -----------------------------------------------------------


def filter_choices(deps: Deps, who: OperatorContext) -> FilterChoices:
    """The actions and outcomes found in the journal (each distinct value found by one
    index probe, not by reading the journal), the elections and the operators."""
    require_role(deps, who, *REVIEWERS)
    require_live_session(deps, who)  # a disabled account reads nothing more
    with deps.reading() as session:
        actions = _distinct(session, "action")
        outcomes = _distinct(session, "outcome")
        elections = session.execute(
            select(Election.id, Election.title).order_by(Election.id)  # type: ignore[call-overload]
        ).all()
        operators = session.execute(
            select(Operator.login, Operator.display_name).order_by(Operator.login)  # type: ignore[call-overload]
        ).all()
        # Logins that wrote to the journal without being operators (« cli:… »).
        writers = _distinct(session, "operator")
    names = {login: name for login, name in operators}
    return FilterChoices(
        actions=tuple(sorted(set(actions) | ACTIONS)),
        outcomes=tuple(sorted(set(outcomes) | {"ok", "refusé"})),
        elections=tuple((e, t) for e, t in elections),
        operators=tuple((login, names.get(login, "")) for login in sorted({*names, *writers})),
    )


def _distinct(session: Session, column: str) -> list[str]:
    # A loose index scan: from each value, the next one up the (column, seq) index.
    assert column in ("action", "outcome", "operator")  # never a user's text in the SQL
    rows = session.execute(
        text(
            f"WITH RECURSIVE v(x) AS (SELECT min({column}) FROM journal_entry "
            f"UNION ALL SELECT (SELECT min({column}) FROM journal_entry "
            f"WHERE {column} > v.x) FROM v WHERE v.x IS NOT NULL) "
            "SELECT x FROM v WHERE x IS NOT NULL"
        )
    ).scalars()
    return list(rows)


# --- typing a period ------------------------------------------------------------------


# The screen's name for it (the CLI calls the same rule).
parse_moment = parse_typed_moment
