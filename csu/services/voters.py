"""Looking voters up and opening the voter file: every read journalled.

One search box takes a matricule, an identifier of voting material or the
start of a name ("nom prénom" or "prénom nom", accents and case ignored).
Each search appends a ``recherche`` entry holding the query in masked form,
each opening of a file a ``consultation`` entry naming the voter by pseudonym
only, in the same transaction as the read (invariant 1, "one door"). The look-up
box searches as the agent types without journalling each keystroke
(``search_voters(..., journal=False)``), then journals the search the agent
settled on (``record_search``): what was searched, once.

What the voter file shows, and how:

- in full: matricule, last and first names, date of birth (a public fact, not a
  secret), bureaus and their presidents, materials, credential states, the
  interventions and the lock;
- masked (``csu.domain.masking``): the professional e-mail address, the work
  phone and the mobile phone; a supervisor may reveal one of them with a
  reason (``reveal_field``), which is journalled;
- never: the keyed hashes of the identity secrets and of the credentials; the
  file only says which secrets are on record (``secrets_on_record``); nor the home
  address, of which it says only whether the roll gives one (``has_address``).

A president sees only voters having a material in their own bureau; any other
voter answers as if absent.
"""

import functools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Dialect,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlmodel import Session

from csu.domain import masking
from csu.domain.clock import to_paris
from csu.domain.contact_fields import CONTACT_FIELD_LABELS, CONTACT_FIELDS
from csu.domain.election import CREDENTIAL_KINDS, CREDENTIAL_LABELS
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import normalise_name, parse_matricule
from csu.domain.permissions import Situation
from csu.domain.roles import ROLES
from csu.domain.text import visible_text
from csu.domain.verification import CHANNEL_LABELS
from csu.services.context import (
    Deps,
    NotFound,
    OperatorContext,
    ServiceError,
    enforce,
    require_live,
    require_role,
    retried,
)
from csu.services.credential_text import refuse_codes, voter_check
from csu.services.elections import parsed_definition, unknown_election
from csu.services.emargement import states_from
from csu.services.reasons import MIN_REASON_LENGTH, typed_reason
from csu.services.sessions import LIVE_STATE, operator_state, require_live_in
from csu.store import journal
from csu.store.among import AmongSelected
from csu.store.journal import entry_cursor
from csu.store.prepared import Prepared, read_together
from csu.store.tables import (
    Bureau,
    Credential,
    Election,
    Emargement,
    Intervention,
    Material,
    Operator,
    SubstitutionRequest,
    Voter,
    core_tables,
)

__all__ = [
    "MAX_QUERY_LENGTH",
    "MAX_RESULTS",
    "MIN_QUERY_LENGTH",
    "MIN_REASON_LENGTH",
    "REVEALABLE",
    "BureauView",
    "CredentialView",
    "InterventionView",
    "MaterialView",
    "SearchHits",
    "SubstitutionLine",
    "VoterFile",
    "VoterHit",
    "open_voter",
    "outside_bureau",
    "read_query",
    "record_search",
    "reveal_field",
    "search_voters",
]

MAX_RESULTS = 50
MIN_QUERY_LENGTH = 2
# A roll's name holds 200 characters at most, a matricule or identifier far fewer: a
# longer query is a paste gone wrong, said as such rather than « tapez au moins 2 ».
MAX_QUERY_LENGTH = 200
QUERY_FIELD = "Recherche"
REVEALABLE = CONTACT_FIELDS
REVEALABLE_LABELS = CONTACT_FIELD_LABELS

OUT_OF_BUREAU = "Aucun électeur de votre bureau ne correspond."
UNKNOWN_VOTER = "Électeur introuvable."

# French labels of the identity secrets whose keyed hash a voter row may hold.
SECRET_LABELS: tuple[tuple[str, str], ...] = (
    ("iban6_hash", "IBAN (6 derniers)"),
    ("card6_hash", "carte agent (6 premiers)"),
    ("numen_hash", "NUMEN"),
    ("nir10_hash", "NIR (10 premiers chiffres)"),
    ("birth_department_hash", "département de naissance"),
    ("challenge_answer_hash", "réponse secrète"),
)

MATERIAL_STATUS_LABELS: dict[str, str] = {
    "active": "actif",
    "substituted": "substitué",
    "invalidated": "invalidé",
}

# Credential states, as the voter file shows them.
CREDENTIAL_ACTIVE = "actif"
CREDENTIAL_REVOKED = "révoqué"
CREDENTIAL_ORIGINAL = "d'origine (notice)"

_ANY_ROLE = ROLES  # agent, president (scoped), superviseur, admin


# ----------------------------------------------------------------------- views


@dataclass(frozen=True, slots=True)
class VoterHit:
    """One line of a search result."""

    voter_id: int
    matricule: str
    last_name: str
    first_name: str
    bureaus: tuple[str, ...]
    elections: tuple[str, ...]
    status: str  # "actif", "a voté", "a voté (1/2)", "substitué", "verrouillé"...


@dataclass(frozen=True, slots=True)
class CredentialView:
    """The state of one kind of credential of one material; never its hash."""

    kind: str  # security_key, password, vote_code
    label: str  # "clé de sécurité"...
    status: str  # "actif" (reissued by the cell), "révoqué", "d'origine (notice)"
    since: datetime | None  # when the credential shown was issued by the cell
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class ScrutinView:
    """One scrutin a material gives access to: voted or not, and when."""

    id: str
    title: str
    voted_at: datetime | None  # aware, Europe/Paris


@dataclass(frozen=True, slots=True)
class MaterialView:
    material_id: int
    election_id: str
    election_title: str
    capacity: str
    identifier: str
    bureau: str
    status: str  # "actif", "a voté", "substitué", "invalidé"
    voted_at: datetime | None  # aware, Europe/Paris: once every scrutin is voted
    credentials: tuple[CredentialView, ...]
    scrutins: tuple[ScrutinView, ...] = ()


@dataclass(frozen=True, slots=True)
class InterventionView:
    opened_at: datetime  # aware, Europe/Paris
    operator: str  # login
    channel: str  # French label ("téléphone"...)
    outcome: str | None


@dataclass(frozen=True, slots=True)
class SubstitutionLine:
    """A request for substitution material (S5) on the voter, as the file lists it: a
    refusal stays in view after the call, with its reason, for the agent the voter
    calls back (the refusal's notice tells them to call to learn it)."""

    id: int
    election_id: str
    state: str  # code: pending, granted, refused (csu.domain.substitution)
    requested_at: datetime  # aware, Europe/Paris
    decided_at: datetime | None  # aware, Europe/Paris
    reason: str | None  # why it was refused


@dataclass(frozen=True, slots=True)
class BureauView:
    code: str
    name: str
    president: str | None  # the president's name as the bureau records it
    # The operator(s) holding the president role for this bureau: "Name (login)".
    president_operator: str | None = None


@dataclass(frozen=True, slots=True)
class VoterFile:
    voter_id: int
    matricule: str
    last_name: str
    first_name: str
    birth_date: date | None
    email_pro: str | None  # masked
    phone_pro: str | None  # masked
    phone_mobile: str | None  # masked
    bureaus: tuple[BureauView, ...]
    materials: tuple[MaterialView, ...]
    interventions: tuple[InterventionView, ...]  # latest first
    locked_until: datetime | None  # aware, Europe/Paris; None when not locked now
    secrets_on_record: tuple[str, ...]  # e.g. ("IBAN (6 derniers)", "carte agent (6 premiers)")
    challenge_question: str | None = None  # not a secret: the agent reads it out
    # Whether the roll gives a home address (a key by post can go there), never the
    # address itself; None: not known.
    has_address: bool | None = None
    substitutions: tuple[SubstitutionLine, ...] = ()  # latest first


# ----------------------------------------------------------------------- search


class SearchHits(list[VoterHit]):
    """The voters a search found (a list), and how the query was read: ``kind`` is
    ``matricule``, ``identifiant`` or ``nom``, which ``record_search`` journals, and
    the query as read (``request``), which it reads again no more."""

    kind: str = "matricule"
    request: "_Request | None" = None


@retried
def search_voters(
    deps: Deps,
    who: OperatorContext,
    query: str,
    limit: int = MAX_RESULTS,
    *,
    journal: bool = True,
) -> SearchHits:
    """Voters matching ``query``: matricule (exact, its spaces aside:
    :func:`query_matricule`), material identifier (exact) or start of "nom prénom" /
    "prénom nom"; at most ``limit`` (50 at most).

    Matricule hits come first, then identifier hits, then names in alphabetical
    order. A query shorter than 2 characters returns no hit without touching the
    store. With ``journal`` (the default), the search is journalled (action
    ``recherche``, masked query) in the same transaction as the read. Without it,
    the read alone runs, in a read transaction: for the results shown as the agent
    types, the screen then journals the search the agent settles on (paused on, or
    opened a voter from) with :func:`record_search`.
    """
    require_role(deps, who, *_ANY_ROLE)
    request = _request(who, query, limit)
    if request is None:
        return SearchHits()
    if not journal:
        with _read_cursor(deps) as (cursor, dialect):
            return _search(cursor, _statements(dialect), request, deps.clock())
    now = deps.clock()
    # No Session: its unit of work costs more than the reads and the entry together.
    with entry_cursor(deps.engine) as cursor:
        # A search journalled names voters: a session no longer live reads none (the
        # look-up's searches as the agent types, without journal, are not checked: the
        # terminal notices an ended session within seconds, and record_search is).
        _require_live_on(cursor, deps, who)
        hits = _search(cursor, _statements(deps.engine.dialect), request, now)
        _journal_search(cursor, who, request, hits, now)
    return hits


@retried
def record_search(deps: Deps, who: OperatorContext, query: str, hits: Sequence[VoterHit]) -> None:
    """Journal a search run with ``journal=False`` (action ``recherche``, masked query,
    number of results), once the agent settled on it: ``hits`` is what
    :func:`search_voters` returned for ``query``. A query too short to search is not
    journalled, as ``search_voters`` would not have journalled it."""
    require_role(deps, who, *_ANY_ROLE)
    read = hits.request if isinstance(hits, SearchHits) else None
    # The query as the search read it, when these are its hits: not read again (the
    # matricule's patterns cost a settled search a tenth of its time).
    fresh = read is None or read.query != query
    request = _request(who, query, MAX_RESULTS) if fresh else read
    if request is None:
        return
    kind = hits.kind if isinstance(hits, SearchHits) else _kind_of(request, hits)
    found = SearchHits(hits)
    found.kind = kind
    now = deps.clock()
    with entry_cursor(deps.engine) as cursor:
        _require_live_on(cursor, deps, who)
        _journal_search(cursor, who, request, found, now)


def _require_live_on(cursor: Any, deps: Deps, who: OperatorContext) -> None:
    """:func:`csu.services.sessions.require_live_in` on the driver's cursor of an
    ``entry_cursor`` transaction; not read for the command line or the API, which are
    no sessions (as :func:`csu.services.sessions.require_live_session`)."""
    if who.session_id is not None:
        rows = LIVE_STATE.rows(cursor, deps.engine.dialect, login=who.login)
        require_live(who, operator_state(rows))


@dataclass(frozen=True, slots=True)
class _Request:
    """A query as the search reads it (``query``: as typed)."""

    query: str
    text: str
    limit: int
    matricule: str | None
    identifiers: list[str]
    name: str
    scope: str | None


def read_query(query: str) -> str:
    """A look-up's query as searched (trimmed), or a French ``InvalidValue``: a control
    or invisible character (an escape sequence, a zero-width space a paste brought) is
    refused with its position, never searched nor journalled, as the field does not show
    it; so is a query over ``MAX_QUERY_LENGTH`` (« trop long »). Invisible characters
    are refused rather than dropped: what is searched and journalled is what the field
    shows, and a paste that brings one is one to look at again."""
    text = visible_text(query, QUERY_FIELD).strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidValue(
            QUERY_FIELD, f"trop long ({len(text)} caractères, {MAX_QUERY_LENGTH} au plus)"
        )
    return text


def _request(who: OperatorContext, query: str, limit: int) -> _Request | None:
    text = read_query(query)
    if len(text) < MIN_QUERY_LENGTH:
        return None
    return _Request(
        query=query,
        text=text,
        limit=max(1, min(limit, MAX_RESULTS)),
        matricule=query_matricule(text),
        identifiers=_identifier_candidates(text),
        name=_as_name(text),
        scope=_scope(who),
    )


def _journal_search(
    cursor: Any, who: OperatorContext, request: _Request, hits: SearchHits, now: datetime
) -> None:
    """The ``recherche`` entry, on the cursor of an ``entry_cursor`` transaction."""
    masked = _masked_query(hits.kind, request.text, request.matricule, request.name)
    journal.append_on_cursor(
        cursor,
        actor=who.actor,
        action="recherche",
        outcome="ok",
        at=now,
        details={"query": masked, "results": len(hits)},
    )


def _kind_of(request: _Request, hits: Sequence[VoterHit]) -> str:
    """How a query was read, for hits that do not say it (a plain list)."""
    if request.matricule is not None and any(h.matricule == request.matricule for h in hits):
        return "matricule"
    return _guess_kind(request.text, request.name)


def _search(cursor: Any, sql: "_Sql", request: _Request, now: datetime) -> SearchHits:
    """The search's reads, on the driver's cursor (see ``_Sql``)."""
    rows: dict[int, _Row] = {}
    known: dict[int, list[_Material]] = {}  # the materials read with the exact hits
    kind = None
    limit, scope = request.limit, request.scope
    if scope != _NOBODY:
        scoped = scope is not None
        base = {"bureau": scope, "limit": limit}
        if request.matricule is not None or request.identifiers:
            kind = _exact(cursor, sql, request, base, scoped, rows, known)
        if request.name and len(rows) < limit:
            name = request.name
            upper = _upper_bound(name)
            for column in ("search_name", "search_name_rev"):
                if len(rows) >= limit:
                    break
                shape = ("prefix", scoped, column, upper is not None)
                values = {**base, "low": name, "length": len(name), "prefix": name, "high": upper}
                found = sql.voters(cursor, shape, values)
                if found:
                    kind = kind or "nom"
                    _merge(rows, found, limit)
    hits = SearchHits(_hits(cursor, sql, list(rows.values()), known, now))
    hits.kind = kind or _guess_kind(request.text, request.name)
    hits.request = request
    return hits


def _exact(
    cursor: Any,
    sql: "_Sql",
    request: _Request,
    base: dict[str, Any],
    scoped: bool,
    rows: "dict[int, _Row]",
    known: dict[int, list["_Material"]],
) -> str | None:
    """The voter of the matricule first, then the voters of the material identifier,
    each with their materials, in one statement (on PostgreSQL, one round trip where
    three were: a look-up's search by matricule). Fills ``rows`` and ``known``; says how
    the query was read ("matricule", "identifiant", or None: no hit)."""
    shape = (
        "exact",
        sql.dialect.name,
        scoped,
        request.matricule is not None,
        len(request.identifiers),
    )
    values = {**base, **{f"i{i}": v for i, v in enumerate(request.identifiers)}}
    if request.matricule is not None:
        values["matricule"] = request.matricule
    kinds: set[int] = set()
    taken: dict[int, int] = {}  # voter → the part that found it first (0: matricule)
    for part, *voter, election_id, bureau, status, voted_at in sql.voters(cursor, shape, values):
        kinds.add(part)
        voter_id = voter[0]
        if voter_id not in taken:
            if len(rows) >= request.limit:
                continue
            rows[voter_id] = cast(_Row, tuple(voter))
            known[voter_id] = []
            taken[voter_id] = part
        # A voter both parts found comes twice, with the same materials.
        if taken[voter_id] == part and election_id is not None:
            known[voter_id].append((election_id, bureau, status, voted_at))
    if 0 in kinds:
        return "matricule"
    return "identifiant" if kinds else None


@contextmanager
def _read_cursor(deps: Deps) -> Iterator[tuple[Any, Dialect]]:
    """A driver cursor in a read transaction, without a session: the ORM's unit of
    work costs several times the indexed reads of a search."""
    pooled = deps.engine.raw_connection()
    try:
        cursor = pooled.cursor()
        dialect = deps.engine.dialect
        if dialect.name == "sqlite":  # autocommit driver (csu.store.engine): one snapshot
            cursor.execute("BEGIN")
        try:
            yield cursor, dialect
        finally:
            cursor.close()
        # COMMIT, not ROLLBACK (the read wrote nothing): psycopg follows a ROLLBACK with
        # DEALLOCATE ALL, which would throw the connection's prepared statements away at
        # each keystroke. On an error, the pool's reset on return rolls back.
        pooled.commit()
    finally:
        pooled.close()


# (voter id, matricule, last name, first name, locked until)
_Row = tuple[int, str, str, str, datetime | None]
# (election, bureau, status, voted at)
_Material = tuple[str, str, str, datetime | None]
_EVERYONE = None  # scope: no restriction
_NOBODY = ""  # scope: a president without a bureau sees no voter


def _scope(who: OperatorContext) -> str | None:
    """The bureau the operator is confined to, ``_EVERYONE`` or ``_NOBODY``."""
    if who.role != "president":
        return _EVERYONE
    return who.bureau or _NOBODY


class _Sql:
    """The search's statements on one dialect: built with Core for each shape (kind of
    condition, bureau scope, number of values), each a ``Prepared`` (compiled once, run
    on the driver's cursor, read as tuples): SQLAlchemy's per-call statement handling
    and row objects cost more than the indexed reads themselves."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    def _run(self, cursor: Any, shape: tuple[Any, ...], values: dict[str, Any]) -> list[Any]:
        prepared = _SHAPES.get(shape)
        if prepared is None:
            prepared = _SHAPES[shape] = Prepared(functools.partial(_search_statement, shape))
        return prepared.rows(cursor, self.dialect, **values)

    def voters(self, cursor: Any, shape: tuple[Any, ...], values: dict[str, Any]) -> list[_Row]:
        return self._run(cursor, shape, values)

    def materials(
        self, cursor: Any, voter_ids: list[int]
    ) -> list[tuple[int, str, str, str, datetime | None]]:
        values = {f"v{i}": voter_id for i, voter_id in enumerate(voter_ids)}
        return self._run(cursor, ("materials", len(voter_ids)), values)


_SHAPES: dict[tuple[Any, ...], Prepared] = {}


def _search_statement(shape: tuple[Any, ...]) -> Any:
    """The search's statement of one shape (see ``_Sql``)."""
    voter, material = _voter, _material
    c = voter.c
    if shape[0] == "exact":
        return _exact_statement(shape)
    if shape[0] == "materials":
        statement = (
            select(
                material.c.voter_id,
                material.c.election_id,
                material.c.bureau_code,
                material.c.status,
                material.c.voted_at,
            )
            .where(material.c.voter_id.in_([bindparam(f"v{i}") for i in range(shape[1])]))
            .order_by(material.c.voter_id, material.c.election_id, material.c.id)
        )
        return statement
    # A name prefix: a range on the column lets SQLite and PostgreSQL walk its index;
    # the exact ``substr`` test keeps the answer right whatever the database collation
    # (a linguistic PostgreSQL collation may order a few other strings in between).
    # No upper bound when none exists ("zzz").
    _, scoped, column, bounded = shape
    order = c[column]
    statement = select(c.id, c.matricule, c.last_name, c.first_name, c.locked_until).where(
        order >= bindparam("low"),
        func.substr(order, 1, bindparam("length")) == bindparam("prefix"),
    )
    if bounded:
        statement = statement.where(order < bindparam("high"))
    return _in_scope(statement, scoped).order_by(order, c.id).limit(bindparam("limit"))


def _in_scope(statement: Any, scoped: bool) -> Any:
    """``statement`` on voters, kept to those with a material in the bureau, if
    ``scoped`` (a president's search)."""
    if not scoped:
        return statement
    material = _material.c
    return statement.where(
        exists().where(
            material.voter_id == _voter.c.id, material.bureau_code == bindparam("bureau")
        )
    )


def _exact_statement(shape: tuple[Any, ...]) -> Any:
    """The voter by matricule (part 0) and the voters by material identifier (part 1,
    by name, at most ``limit``), each row with one of its materials (or none), in the
    order the search shows them."""
    _, dialect, scoped, by_matricule, identifiers = shape
    c, material = _voter.c, _material.c
    columns = (c.id, c.matricule, c.last_name, c.first_name, c.locked_until, c.search_name)
    parts = []
    if by_matricule:
        parts.append(
            _in_scope(select(literal_column("0").label("part"), *columns), scoped)
            .where(c.matricule == bindparam("matricule"))
            .limit(1)
        )
    if identifiers:
        known = select(material.voter_id).where(
            material.identifier.in_([bindparam(f"i{i}") for i in range(identifiers)])
        )
        parts.append(
            _in_scope(select(literal_column("1").label("part"), *columns), scoped)
            .where(c.id.in_(known.scalar_subquery()))
            .order_by(c.search_name, c.id)
            .limit(bindparam("limit"))
        )
    # Each part keeps its own LIMIT inside a subquery (SQLite refuses one per member of
    # a compound SELECT).
    members = [select(*part.subquery().c) for part in parts]
    found = (union_all(*members) if len(members) > 1 else members[0]).subquery("found")
    f = found.c
    owned: Any = _material
    joined = found.outerjoin(owned, material.voter_id == f.id)
    if dialect == "postgresql":
        # Each voter's materials by the voter_id index: a plain join let the planner
        # guess the few hits were many, and hash them against a scan of every material
        # (3 ms at 20,000 voters, more with the roll). OFFSET 0 keeps the LATERAL
        # subquery from being flattened back into that join. SQLite has no LATERAL,
        # and walks the index for a plain join.
        owned = (
            select(material.election_id, material.bureau_code, material.status,
                   material.voted_at, material.id)
            .where(material.voter_id == f.id)
            .offset(0)
            .lateral("owned")
        )  # fmt: skip
        joined = found.outerjoin(owned, true())
    o = owned.c
    return (
        select(f.part, f.id, f.matricule, f.last_name, f.first_name, f.locked_until,
               o.election_id, o.bureau_code, o.status, o.voted_at)
        .select_from(joined)
        .order_by(f.part, f.search_name, f.id, o.election_id, o.id)
    )  # fmt: skip


def _statements(dialect: Dialect) -> _Sql:
    return _Sql(dialect)


def _merge(rows: dict[int, _Row], found: Iterable[_Row], limit: int) -> None:
    for row in found:
        if len(rows) >= limit:
            return
        rows.setdefault(row[0], row)


def query_matricule(text: str) -> str | None:
    """The matricule a query is (None: it cannot be one), read without its spaces: a
    matricule read out over the phone is typed in groups (« mi 0424 2421 »). A name is
    searched as a name all the same (« martin paul » finds the Martins)."""
    try:
        return parse_matricule("".join(text.split()))
    except InvalidValue:
        return None


def _identifier_candidates(text: str) -> list[str]:
    """An identifier is matched exactly as typed, or upper- or lower-cased."""
    if any(c.isspace() for c in text):
        return []
    return sorted({text, text.upper(), text.lower()})


def _as_name(text: str) -> str:
    """The normalised name prefix, or "" when the query cannot be a name."""
    if "@" in text or any(c.isdigit() for c in text):
        return ""
    return normalise_name(text)


def _upper_bound(prefix: str) -> str | None:
    """The smallest letter-or-digit string above every string starting with ``prefix``.

    "dup" gives "duq", "duz" gives "dv": the bound stays a letter or a digit so
    that it sorts alike in byte order and in linguistic collations, which skip
    punctuation such as "{" (after "z") at their first level.
    """
    chars = list(prefix)
    while chars:
        last = chars.pop()
        following = chr(ord(last) + 1)
        if last.isalnum() and following.isalnum():
            return "".join(chars) + following
    return None


def _guess_kind(text: str, name: str) -> str:
    if name:
        return "nom"
    return "identifiant" if "@" in text else "matricule"


def _masked_query(kind: str, text: str, matricule: str | None, name: str) -> str:
    """The query as the journal keeps it: never a full matricule, name or address."""
    if kind == "nom" and name:
        return name.replace(" ", "")[:3] + "…"
    if "@" in text:
        return masking.mask_email(text)
    return masking.mask_matricule(matricule or text)


def _hits(
    cursor: Any,
    sql: _Sql,
    rows: Sequence[_Row],
    known: dict[int, list["_Material"]],
    now: datetime,
) -> list[VoterHit]:
    """The hits of ``rows``, with their materials: ``known`` ones (read with the voter),
    the others' read here."""
    if not rows:
        return []
    materials = dict(known)
    missing = [row[0] for row in rows if row[0] not in known]
    for voter_id, election_id, bureau, status, voted_at in (
        sql.materials(cursor, missing) if missing else ()
    ):
        materials.setdefault(voter_id, []).append((election_id, bureau, status, voted_at))
    hits = []
    for voter_id, matricule, last_name, first_name, locked_until in rows:
        own = materials.get(voter_id, [])
        active = [m for m in own if m[2] == "active"] or own
        hits.append(
            VoterHit(
                voter_id=voter_id,
                matricule=matricule,
                last_name=last_name,
                first_name=first_name,
                bureaus=tuple(dict.fromkeys(m[1] for m in active)),
                elections=tuple(dict.fromkeys(m[0] for m in own)),
                status=_summary(own, _locked(locked_until, now) is not None),
            )
        )
    return hits


def _summary(materials: Sequence[tuple[str, str, str, datetime | None]], locked: bool) -> str:
    """A short French status for a search line."""
    if locked:
        return "verrouillé"
    active = [m for m in materials if m[2] == "active"]
    voted = sum(1 for m in active if m[3] is not None)
    if active and voted == len(active):
        return "a voté"
    if voted:
        return f"a voté ({voted}/{len(active)})"
    if any(m[2] == "substituted" for m in materials):
        return "substitué"
    if not active:
        return "sans matériel actif"
    return "actif"


def _locked(locked_until: datetime | None, now: datetime) -> datetime | None:
    return locked_until if locked_until is not None and locked_until > now else None


# ------------------------------------------------------------------ voter file


@retried
def open_voter(deps: Deps, who: OperatorContext, voter_id: int) -> VoterFile:
    """The voter file, contact details masked; journalled as a ``consultation``.

    A president asking for a voter outside their bureau gets the same answer as
    for a voter that does not exist; the refusal is journalled for the
    supervisors (outcome ``refusé``).

    Its reads run on the driver's cursor (``csu.store.prepared``), in the session's
    transaction: a look-up opens a file each time, and the ORM's handling of its
    eight reads was a third of a busy cell's client CPU.
    """
    require_role(deps, who, *_ANY_ROLE)
    scope = _scope(who)
    absent = UNKNOWN_VOTER if scope is _EVERYONE else OUT_OF_BUREAU
    now = deps.clock()
    # No Session: reads on the driver's cursor, and one write, the entry (as a search).
    with entry_cursor(deps.engine) as cursor:
        values = {"voter": voter_id, "login": who.login}
        read = dict(zip(_FILE_READS, read_together(
            cursor, deps.engine.dialect, [(statement, values) for statement in _FILE_READS]
        ), strict=True))  # fmt: skip
        # A session no longer live (disabled, replaced…) reads no file: refused before.
        require_live(who, operator_state(read[LIVE_STATE]))
        found = read[_FILE_VOTER]
        result = None
        if found:
            intervention, details = None, dict[str, Any]()
            materials = [_MaterialRow(*row) for row in read[_FILE_MATERIALS]]
            if scope is not _EVERYONE and not _in_bureau(materials, scope):
                outcome, details = "refusé", {"reason": "hors bureau"}
            else:
                result = _voter_file(found[0], materials, read, now)
                outcome = "ok"
                details = {"materials": len(result.materials),
                           "interventions": len(result.interventions)}  # fmt: skip
                # A consultation during a call belongs to its intervention's timeline.
                opened = read[_OPEN_ON]
                intervention = opened[0][0] if opened else None
            journal.append_on_cursor(
                cursor, actor=who.actor, action="consultation", outcome=outcome, at=now,
                subject=found[0][1], intervention=intervention, details=details,
            )  # fmt: skip
    if result is None:
        raise NotFound(absent)
    return result


def _voter_in_bureau(session: Session, voter_id: int, bureau: str | None) -> bool:
    if not bureau:
        return False
    found = session.execute(
        select(Material.id)
        .where(Material.voter_id == voter_id, Material.bureau_code == bureau)
        .limit(1)
    ).first()
    return found is not None


def _in_bureau(materials: Sequence["_MaterialRow"], bureau: str | None) -> bool:
    """Whether one of the voter's materials is of ``bureau`` (a president's)."""
    return bool(bureau) and any(material.bureau_code == bureau for material in materials)


# The tables of the search's and the voter file's reads.
(_voter, _material, _credential, _intervention, _bureau, _operator, _election,
 _emargement, _substitution) = core_tables(
    Voter, Material, Credential, Intervention, Bureau, Operator, Election, Emargement,
    SubstitutionRequest,
)  # fmt: skip
_SECRETS = tuple(_voter.c[column] for column, _ in SECRET_LABELS)
# The voter file's reads, each by the voter's id alone (no list of ids to expand).


def _filled(column: Any) -> Any:
    """Whether the column holds a value (neither NULL nor empty), read in SQL."""
    return func.coalesce(column, "") != ""


def _of_voter(column: Any) -> Any:
    """``column`` among the voter's materials' (a subquery: one parameter)."""
    return AmongSelected(
        column,
        select(_material.c.id).where(_material.c.voter_id == bindparam("voter")).scalar_subquery(),
    )


_FILE_VOTER = Prepared(lambda: select(
    _voter.c.id, _voter.c.pseudonym, _voter.c.matricule, _voter.c.last_name,
    _voter.c.first_name, _voter.c.birth_date, _voter.c.email_pro, _voter.c.phone_pro,
    _voter.c.phone_mobile, _voter.c.locked_until, _voter.c.challenge_question,
    _filled(_voter.c.adresse_postale), *(_filled(column) for column in _SECRETS),
).where(_voter.c.id == bindparam("voter")))  # fmt: skip
_FILE_MATERIALS = Prepared(lambda: select(
    _material.c.id, _material.c.election_id, _material.c.capacity, _material.c.identifier,
    _material.c.bureau_code, _material.c.status, _material.c.voted_at, _material.c.scrutins,
).where(_material.c.voter_id == bindparam("voter"))
 .order_by(_material.c.election_id, _material.c.id))  # fmt: skip
# Each bureau of the voter's materials with its president operators, in login order.
_FILE_BUREAUS = Prepared(lambda: select(
    _bureau.c.code, _bureau.c.name, _bureau.c.president_name, _operator.c.display_name,
    _operator.c.login,
).select_from(_bureau).outerjoin(_operator, and_(
    _operator.c.bureau_code == _bureau.c.code,
    _operator.c.role == "president",
    _operator.c.active == True,  # noqa: E712 (SQL, not Python)
)).where(_bureau.c.code.in_(
    select(_material.c.bureau_code).where(_material.c.voter_id == bindparam("voter"))
    .scalar_subquery()
)).order_by(_bureau.c.code, _operator.c.login))  # fmt: skip
_FILE_ELECTIONS = Prepared(lambda: select(
    _election.c.id, _election.c.title, _election.c.definition,
).where(_election.c.id.in_(
    select(_material.c.election_id).where(_material.c.voter_id == bindparam("voter"))
    .scalar_subquery()
)))  # fmt: skip
_FILE_CREDENTIALS = Prepared(lambda: select(
    _credential.c.material_id, _credential.c.kind, _credential.c.status,
    _credential.c.issued_at, _credential.c.revoked_at,
).where(_of_voter(_credential.c.material_id))
 .order_by(_credential.c.issued_at, _credential.c.id))  # fmt: skip
_FILE_EMARGEMENTS = Prepared(lambda: select(
    _emargement.c.material_id, _emargement.c.scrutin_id, _emargement.c.voted_at,
).where(_of_voter(_emargement.c.material_id)))  # fmt: skip
_FILE_INTERVENTIONS = Prepared(lambda: select(
    _intervention.c.opened_at, _intervention.c.operator_login, _intervention.c.channel,
    _intervention.c.outcome,
).where(_intervention.c.voter_id == bindparam("voter"))
 .order_by(_intervention.c.opened_at.desc(), _intervention.c.id))  # fmt: skip
_FILE_SUBSTITUTIONS = Prepared(lambda: select(
    _substitution.c.id, _substitution.c.election_id, _substitution.c.state,
    _substitution.c.requested_at, _substitution.c.decided_at, _substitution.c.reason,
).where(_substitution.c.voter_id == bindparam("voter"))
 .order_by(_substitution.c.requested_at.desc(), _substitution.c.id.desc()))  # fmt: skip
_OPEN_ON = Prepared(lambda: select(_intervention.c.id).where(
    _intervention.c.operator_login == bindparam("login"),
    _intervention.c.voter_id == bindparam("voter"),
    _intervention.c.closed_at.is_(None),
).order_by(_intervention.c.opened_at.desc()).limit(1))  # fmt: skip
# All of them, sent together: independent reads, one round trip (read_together).
_FILE_READS = (_FILE_VOTER, _FILE_MATERIALS, _FILE_BUREAUS, _FILE_ELECTIONS, _FILE_CREDENTIALS,
               _FILE_EMARGEMENTS, _FILE_INTERVENTIONS, _FILE_SUBSTITUTIONS, _OPEN_ON,
               LIVE_STATE)  # fmt: skip
_Read = dict[Prepared, list[tuple[Any, ...]]]


class _MaterialRow(NamedTuple):
    """A material as the file reads it (what ``states_from`` needs, and more)."""

    id: int
    election_id: str
    capacity: str
    identifier: str
    bureau_code: str
    status: str
    voted_at: datetime | None
    scrutins: str | None


def _voter_file(
    voter: tuple[Any, ...],
    materials: Sequence[_MaterialRow],
    read: _Read,
    now: datetime,
) -> VoterFile:
    (voter_id, _, matricule, last_name, first_name, birth_date, email_pro, phone_pro,
     phone_mobile, locked_until, challenge_question, has_address, *secrets) = voter  # fmt: skip
    return VoterFile(
        voter_id=voter_id,
        matricule=matricule,
        last_name=last_name,
        first_name=first_name,
        birth_date=birth_date,
        email_pro=masking.mask_email(email_pro) if email_pro else None,
        phone_pro=masking.mask_phone(phone_pro) if phone_pro else None,
        phone_mobile=masking.mask_phone(phone_mobile) if phone_mobile else None,
        bureaus=_bureaus(materials, read[_FILE_BUREAUS]),
        materials=_materials(materials, read),
        interventions=_interventions(read[_FILE_INTERVENTIONS]),
        locked_until=_paris(_locked(locked_until, now)),
        secrets_on_record=tuple(
            label for (_, label), present in zip(SECRET_LABELS, secrets, strict=True) if present
        ),
        challenge_question=challenge_question or None,
        has_address=bool(has_address),
        substitutions=_substitutions(read[_FILE_SUBSTITUTIONS]),
    )


def _substitutions(rows: Sequence[tuple[Any, ...]]) -> tuple[SubstitutionLine, ...]:
    return tuple(
        SubstitutionLine(
            id=request_id,
            election_id=election_id,
            state=state,
            requested_at=to_paris(requested_at),
            decided_at=_paris(decided_at),
            reason=reason,
        )
        for request_id, election_id, state, requested_at, decided_at, reason in rows
    )


def _paris(moment: datetime | None) -> datetime | None:
    return to_paris(moment) if moment is not None else None


def _bureaus(
    materials: Sequence[_MaterialRow], rows: Sequence[tuple[Any, ...]]
) -> tuple[BureauView, ...]:
    live = [m for m in materials if m.status == "active"] or list(materials)
    codes = list(dict.fromkeys(m.bureau_code for m in live))
    if not codes:
        return ()
    bureaus: dict[str, tuple[str, str | None]] = {}
    presidents: dict[str, list[str]] = {}
    for code, name, president, display_name, login in rows:
        bureaus[code] = (name, president)
        if login is not None:
            presidents.setdefault(code, []).append(f"{display_name} ({login})")
    views = []
    for code in codes:
        name, president = bureaus.get(code, ("", None))
        views.append(
            BureauView(
                code=code,
                name=name,
                president=president or None,
                president_operator=", ".join(presidents[code]) if code in presidents else None,
            )
        )
    return tuple(views)


def _materials(materials: Sequence[_MaterialRow], read: _Read) -> tuple[MaterialView, ...]:
    if not materials:
        return ()
    elections = {
        election_id: (title, parsed_definition(text))
        for election_id, title, text in read[_FILE_ELECTIONS]
    }
    credentials: dict[int, list[_CredentialRow]] = {}
    for material_id, *credential in read[_FILE_CREDENTIALS]:
        credentials.setdefault(material_id, []).append(_CredentialRow(*credential))
    voted: dict[int, dict[str, datetime]] = {}
    for material_id, scrutin, voted_at in read[_FILE_EMARGEMENTS]:
        voted.setdefault(material_id, {})[scrutin] = voted_at
    views = []
    for material in materials:
        if material.election_id not in elections:  # the store lacks it
            raise unknown_election(material.election_id)
        title, definition = elections[material.election_id]
        views.append(
            MaterialView(
                material_id=material.id,
                election_id=material.election_id,
                election_title=title,
                capacity=material.capacity,
                identifier=material.identifier,
                bureau=material.bureau_code,
                status=_material_status(material),
                voted_at=_paris(material.voted_at),
                credentials=_credential_views(
                    tuple(definition.credentials), credentials.get(material.id, [])
                ),
                scrutins=tuple(
                    ScrutinView(state.id, state.title, _paris(state.voted_at))
                    for state in states_from(definition, material, voted.get(material.id, {}))
                ),
            )
        )
    return tuple(views)


class _CredentialRow(NamedTuple):
    kind: str
    status: str
    issued_at: datetime
    revoked_at: datetime | None


def _material_status(material: _MaterialRow) -> str:
    if material.status == "active" and material.voted_at is not None:
        return "a voté"
    return MATERIAL_STATUS_LABELS.get(material.status, material.status)


def _credential_views(
    kinds: Sequence[str], issued: Sequence[_CredentialRow]
) -> tuple[CredentialView, ...]:
    """One view per kind the election uses (and any other kind on record).

    ``issued`` is in issue order: the active credential wins, else the last revoked.
    """
    on_record = [c.kind for c in issued if c.kind not in kinds]
    ordered = sorted(
        dict.fromkeys([*kinds, *on_record]),
        key=lambda k: CREDENTIAL_KINDS.index(k) if k in CREDENTIAL_KINDS else len(CREDENTIAL_KINDS),
    )
    views = []
    for kind in ordered:
        label = CREDENTIAL_LABELS.get(kind, kind)
        own = [c for c in issued if c.kind == kind]
        active = [c for c in own if c.status == "active"]
        if active:
            views.append(
                CredentialView(kind, label, CREDENTIAL_ACTIVE, _paris(active[-1].issued_at), None)
            )
        elif own:
            last = own[-1]
            views.append(
                CredentialView(
                    kind,
                    label,
                    CREDENTIAL_REVOKED,
                    _paris(last.issued_at),
                    _paris(last.revoked_at),
                )
            )
        else:
            views.append(CredentialView(kind, label, CREDENTIAL_ORIGINAL, None, None))
    return tuple(views)


def _interventions(rows: Sequence[tuple[Any, ...]]) -> tuple[InterventionView, ...]:
    return tuple(
        InterventionView(
            opened_at=to_paris(opened_at),
            operator=operator,
            channel=CHANNEL_LABELS.get(channel, channel),
            outcome=outcome,
        )
        for opened_at, operator, channel, outcome in rows
    )


# ---------------------------------------------------------------------- reveal


@retried
def reveal_field(deps: Deps, who: OperatorContext, voter_id: int, field: str, reason: str) -> str:
    """The clear value of one masked field, for a supervisor giving a reason.

    Journalled as ``révélation`` (field name and reason, never the value).
    """
    enforce("reveal", Situation(who.role), deps=deps, who=who)
    if field not in REVEALABLE:
        allowed = ", ".join(REVEALABLE_LABELS[name] for name in REVEALABLE)
        raise ServiceError(f"Ce champ ne peut pas être révélé (champs possibles : {allowed}).")
    reason = typed_reason(reason)
    with deps.writing() as session:
        require_live_in(session, who)  # a supervisor disabled since reads nothing more
        voter = session.get(Voter, voter_id)
        if voter is None:
            raise NotFound(UNKNOWN_VOTER)
        refuse_codes(reason, "Le motif", "un motif", voter_check(deps, session, voter_id))
        value = getattr(voter, field)
        if not value:
            raise NotFound(f"Aucun {REVEALABLE_LABELS[field]} enregistré pour cet électeur.")
        journal.append(
            session,
            actor=who.actor,
            action="révélation",
            outcome="ok",
            at=deps.clock(),
            subject=voter.pseudonym,
            details={"field": field, "reason": reason},
        )
    return str(value)


def matricule_cut_short(deps: Deps, who: OperatorContext, query: str) -> bool:
    """For an agent or a supervisor whose search found nobody: whether ``query``, read
    as a matricule, starts a longer one, so that the screen says a character may be
    missing (« MI0424242 » found nobody and said nothing more; newcomer run). One probe
    of the matricule's index; nothing of that voter is returned. A president, whose
    search stays in their bureau, is never told of other bureaus' matricules."""
    if who.role == "president":
        return False
    matricule = query_matricule(read_query(query))
    above = _upper_bound(matricule) if matricule is not None else None
    if matricule is None or above is None:
        return False
    with deps.reading() as session:
        found = session.execute(
            select(Voter.id).where(Voter.matricule > matricule, Voter.matricule < above).limit(1)
        ).first()
    return found is not None


def outside_bureau(deps: Deps, who: OperatorContext, query: str) -> bool:
    """For a president whose search found nobody: whether ``query`` is the exact
    matricule or material identifier of a voter of another bureau, so that the screen
    says « not of your bureau » rather than « nobody ». Nothing of that voter is
    returned; a name never answers (it would let one probe the roll). When it answers
    yes, the president has learnt that such a voter exists: journalled (``recherche``,
    refused, « hors bureau », the voter's pseudonym), as a refused consultation is, so
    that probing other bureaus by matricule leaves its trace even typed fast."""
    if who.role != "president":
        return False
    text = read_query(query)
    matricule = query_matricule(text)
    identifiers = _identifier_candidates(text)
    if matricule is None and not identifiers:
        return False
    with deps.reading() as session:
        wanted = []
        if matricule is not None:
            wanted.append(Voter.matricule == matricule)
        if identifiers:
            known = (
                select(Material.voter_id)
                .where(Material.identifier.in_(identifiers))  # type: ignore[attr-defined]
                .scalar_subquery()
            )
            wanted.append(Voter.id.in_(known))  # type: ignore[union-attr]
        found = session.execute(
            select(Voter.id, Voter.pseudonym).where(or_(*wanted)).limit(5)
        ).all()
        elsewhere = [
            pseudonym for voter_id, pseudonym in found
            if not _voter_in_bureau(session, voter_id, who.bureau)
        ]  # fmt: skip
    if not elsewhere:
        return False
    kind = "matricule" if matricule is not None else "identifiant"
    with deps.writing() as session:
        journal.append(
            session,
            actor=who.actor,
            action="recherche",
            outcome="refusé",
            at=deps.clock(),
            subject=elsewhere[0],
            details={"query": _masked_query(kind, text, matricule, ""), "reason": "hors bureau"},
        )
    return True
