"""Interventions: an operator opens one when a call (or a visit) starts, every action
inside it carries its id in the journal, and closing it records an outcome.

An operator has at most one open intervention: the desk works one call at a time,
and a forgotten case would otherwise carry a verification over to the next caller.
An intervention still open when its operator's session ends is closed as
``abandonné``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, NoReturn, cast

from sqlalchemy import bindparam, insert, literal_column, select, update
from sqlmodel import Session

from csu.domain import masking
from csu.domain.clock import to_paris
from csu.domain.election import ElectionDefinition, ElectionState, state_at
from csu.domain.entry_body import read_queued
from csu.domain.errors import InvalidValue
from csu.domain.escalation import ESCALATED, check_escalation_note
from csu.domain.hashing import keyed_hash
from csu.domain.identifiers import parse_phone
from csu.domain.ids import time_ordered_uuid
from csu.domain.interventions import (
    ABANDONED,
    MAX_NOTE_LENGTH,
    OUTCOMES,
    RESOLVED,
    UNCONFIRMED_RESOLVED,
)
from csu.domain.permissions import Call, Situation, election_allows, unconfirmed_issue
from csu.domain.roles import Role
from csu.domain.text import multiline_text, single_line
from csu.domain.verification import CHANNEL_LABELS, VERIFICATION_VALIDITY
from csu.services import credential_text, escalation
from csu.services.context import (
    Deps,
    Forbidden,
    NotFound,
    OperatorContext,
    ServiceError,
    enforce,
    journals_refusals,
    require_live,
    retried,
)
from csu.services.elections import definition_on, get_definition
from csu.services.emargement import require_reissuable
from csu.services.sessions import (
    LIVE_STATE,
    LIVE_STATE_HELD,
    operator_state,
    require_live_in,
)
from csu.store import journal
from csu.store.prepared import Prepared, read_together, session_cursor
from csu.store.tables import (
    Credential,
    Intervention,
    JournalEntry,
    JournalQueued,
    Material,
    Operator,
    Voter,
    core_tables,
)

PHONE_PURPOSE = "phone"


@dataclass(frozen=True, slots=True)
class OpenIntervention:
    """The intervention an operator is working on."""

    id: str
    voter_id: int
    matricule: str  # the voter's, as the file shows it: whom the operator's call is on
    election_id: str
    channel: str  # phone, president, email
    channel_label: str  # "téléphone"...
    opened_at: datetime  # aware, Europe/Paris
    caller: str | None  # masked: "+33 1 ** ** ** 78"
    caller_region: str | None
    caller_matches_work_phone: bool | None  # None: no number shown, or none on record
    president_login: str | None
    president_bureau: str | None
    verified_until: datetime | None  # aware, Europe/Paris; None: not verified (now)


@dataclass(frozen=True, slots=True)
class Step:
    """One line of an intervention's timeline, from the journal."""

    at: datetime  # aware, Europe/Paris
    operator: str
    action: str  # a code: the screens name it
    outcome: str
    details: Mapping[str, Any] = field(default_factory=dict)  # codes, as recorded


@journals_refusals
@retried
def open_intervention(
    deps: Deps,
    who: OperatorContext,
    voter_id: int,
    channel: str,
    *,
    election_id: str | None = None,
    caller_number: str | None = None,
    president_login: str | None = None,
) -> OpenIntervention:
    """Opens a case on a voter for one of their elections.

    A president's interventions are in person, on voters of their own bureau. An agent
    taking a call from a president (S2) names that president, who must preside the
    voter's bureau. ``caller_number`` is the number shown on the phone, if any: stored
    masked and as a keyed hash, compared with the voter's registered work phone.
    """
    enforce("open", Situation(who.role, channel=channel), deps=deps, who=who)
    now = deps.clock()
    caller = parse_phone(caller_number) if caller_number and caller_number.strip() else None
    dialect = deps.engine.dialect
    # No Session (journal.entry_cursor): its unit of work cost more than the statements.
    with journal.entry_cursor(deps.engine) as cursor:
        # Core reads on the driver's cursor, sent together (csu.store.prepared): a
        # call opens one intervention, and the ORM's loads were most of its cost.
        # The session's check goes with them: no round trip of its own.
        live, already, voters, materials = read_together(cursor, dialect, [
            (LIVE_STATE_HELD, {"login": who.login}),
            (_OPEN_BY, {"login": who.login}),
            (_CALLED, {"voter": voter_id}),
            (_MATERIALS_OF, {"voter": voter_id}),
        ])  # fmt: skip
        require_live(who, operator_state(live))
        if already:
            raise ServiceError("Une intervention est déjà ouverte : clôturez-la d'abord.")
        if not voters:
            raise NotFound("Électeur introuvable.")
        [(pseudonym, phone_pro, matricule)] = voters
        material = _chosen_material(
            [_MaterialRef(*found) for found in materials], election_id, who
        )
        definition = definition_on(cursor, dialect, material.election_id)
        president, bureau = _channel_check(
            cursor, dialect, who, definition, channel, material, president_login
        )
        row = Intervention(
            id=time_ordered_uuid(),  # its index, and the journal's, filled in order
            operator_login=who.login,
            election_id=material.election_id,
            voter_id=voter_id,
            channel=channel,
            caller_masked=masking.mask_phone(caller.e164) if caller else None,
            caller_region=caller.region if caller else None,
            caller_hash=keyed_hash(deps.key, PHONE_PURPOSE, caller.e164) if caller else None,
            president_login=president,
            president_bureau=bureau,
            opened_at=now,
        )
        matches = _matches(deps.key, row.caller_hash, phone_pro)
        # Recorded as it stood when the call was taken (a roll re-import may change
        # the work phone later); shown to the agent, never counted as a secret factor.
        row.caller_presumed_workstation = matches
        _OPEN.execute(cursor, dialect, **{
            f"new_{name}": getattr(row, name) for name in _OPENED_COLUMNS
        })  # fmt: skip
        journal.append_on_cursor(
            cursor,
            actor=who.actor,
            action="intervention_open",
            outcome="ok",
            at=now,
            election=material.election_id,
            subject=pseudonym,
            intervention=row.id,
            details={
                "channel": channel,
                "caller": row.caller_masked,
                "caller_region": row.caller_region,
                "caller_matches_work_phone": matches,
                "president": president,
                "bureau": bureau,
            },
        )
    return _view(row, matricule, matches, now)


def current_intervention(deps: Deps, who: OperatorContext) -> OpenIntervention | None:
    """The operator's open intervention, if any."""
    now = deps.clock()
    with deps.reading() as session:
        row = _open_of(session, who.login)
        if row is None:
            return None
        voter = session.get(Voter, row.voter_id)
        # The presumption as recorded when the call was taken (older rows: computed).
        recorded = row.caller_presumed_workstation
        matches = recorded if recorded is not None else caller_matches(deps.key, row, voter)
        return _view(row, voter.matricule if voter is not None else "", matches, now)


@retried
def close_intervention(
    deps: Deps,
    who: OperatorContext,
    intervention_id: str,
    outcome: str,
    note: str = "",
    *,
    callback_number: str | None = None,
) -> None:
    """Closes the operator's intervention with an outcome and an optional note.

    « escaladé » also opens a case in the supervisors' queue, in the same transaction
    (csu.services.escalation), with its deadline from the election file and the number
    to call the caller back on (``callback_number``, kept sealed and shown masked)."""
    if outcome not in OUTCOMES:
        raise InvalidValue("Issue", "choisissez : " + ", ".join(OUTCOMES.values()))
    note = multiline_text(note, "Note").strip()
    escalated = outcome == ESCALATED
    callback = escalation.parse_callback(callback_number) if escalated else None
    if escalated:
        check_escalation_note(note, callback is not None)
    note = masking.mask_personal_data(note)
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidValue("Note", f"{MAX_NOTE_LENGTH} caractères au plus")
    if note:  # no credential: its election's shapes, the voter's active ones' hashes
        codes = credential_text.for_intervention(deps, intervention_id)
        credential_text.refuse_codes(note, "La note", "une note", codes)
    now = deps.clock()
    if not escalated:
        # No Session: one statement and the entry (a Session cost a fifth of a close).
        with journal.entry_cursor(deps.engine) as cursor:
            dialect = deps.engine.dialect
            closed = _close_on(cursor, dialect, who, intervention_id, outcome,
                               note, now, live=True)  # fmt: skip
            if closed and outcome == RESOLVED and not note and _unconfirmed_on(
                cursor, dialect, intervention_id
            ):
                # The window asks it too; here for every client: « Résolu » and nothing
                # said hid a key the voter may never have had (newcomer run). Raised in
                # the close's transaction, which rolls back: the call stays open.
                raise InvalidValue("Note", UNCONFIRMED_RESOLVED)
            if closed:
                journal.append_on_cursor(cursor, **closed[1])
        if not closed:
            with deps.reading() as session:
                _refuse_close(session, who, intervention_id)
        return
    with deps.writing() as session:
        require_live_in(session, who)
        election_id = _close(session, who, intervention_id, outcome, note, now)
        if escalated:
            row = session.get(Intervention, intervention_id)  # as closed, locked already
            assert row is not None
            escalation.record_escalation(
                session, deps.key, who.actor, row, get_definition(session, election_id or ""),
                callback=callback, reason=note, now=now,
            )  # fmt: skip


SESSION_END_NOTE = "fin de session"
DISABLED_NOTE = "compte désactivé par un administrateur"
ROLE_CHANGED_NOTE = "rôle ou bureau changé par un administrateur"
MOVED_NOTE = "électeur passé dans un autre bureau par un import de liste"
# The notes of an intervention closed in its operator's name, said to them at their next
# step on it (a president whose voter an import moved learnt it only as « close »).
_CLOSED_FOR_THEM = frozenset({SESSION_END_NOTE, DISABLED_NOTE, ROLE_CHANGED_NOTE, MOVED_NOTE})


def abandon_open(session: Session, who: OperatorContext, now: datetime) -> None:
    """Closes as ``abandonné`` the intervention the operator left open, at logout."""
    row = _open_of(session, who.login)
    if row is not None:
        _close(session, who, row.id, ABANDONED, SESSION_END_NOTE, now)
        session.expire(row)  # closed by a statement of its own: read again if asked


def abandon_open_of(
    session: Session, by: OperatorContext, login: str, role: str, note: str, now: datetime
) -> bool:
    """Closes as ``abandonné``, with ``note``, the intervention that ``login`` left open
    when ``by`` (an administrator) disables their account or changes their role: no
    session of theirs will close it (their terminal may be dead, and it was opened under
    rights they no longer hold). The entry names the administrator. Whether there was one."""
    row = _open_of(session, login)
    if row is None:
        return False
    closed = _abandon_in_name_of(session, by, login, role, row.id, note, now)
    session.expire(row)
    return closed


def abandon_moved_out(
    session: Session, by: OperatorContext, election_id: str, now: datetime
) -> int:
    """Closes as ``abandonné`` the in-person interventions of ``election_id`` whose voter
    a roll import of it (by ``by``) has just moved out of their president's bureau, in
    the import's transaction; how many. The president may no longer open that voter's
    file, the only place an intervention is closed from, and without this kept one open
    until they logged out, refused every other voter meanwhile. The entries name the
    importer, with the reason. Agents' interventions stay open: an agent still reaches
    every voter's file."""
    stranded = session.execute(
        select(Intervention.id, Operator.login, Operator.role)
        .join(Operator, Operator.login == Intervention.operator_login)
        .where(
            Intervention.closed_at.is_(None),  # type: ignore[union-attr]
            Intervention.election_id == election_id,
            Operator.role == "president",
            ~select(Material.id)
            .where(
                Material.voter_id == Intervention.voter_id,
                Material.bureau_code == Operator.bureau_code,
            )
            .exists(),
        )
    ).all()
    return sum(
        _abandon_in_name_of(session, by, login, role, intervention_id, MOVED_NOTE, now)
        for intervention_id, login, role in stranded
    )


def _abandon_in_name_of(
    session: Session,
    by: OperatorContext,
    login: str,
    role: str,
    intervention_id: str,
    note: str,
    now: datetime,
) -> bool:
    """Closes ``login``'s open intervention as ``abandonné`` for them, in ``session``'s
    transaction; its entry names ``by``, who caused it (no session of theirs will).
    False if it was closed meanwhile."""
    owner = OperatorContext(login=login, role=cast(Role, role), workstation=by.workstation)
    with session_cursor(session) as (cursor, dialect):
        closed = _close_on(cursor, dialect, owner, intervention_id, ABANDONED, note, now)
    if closed is not None:
        journal.append(session, **{**closed[1], "actor": by.actor})
    return closed is not None


def _unconfirmed_on(cursor: Any, dialect: Any, intervention_id: str) -> bool:
    """Whether the intervention holds a credential issued and neither confirmed as
    handed over nor invalidated since (:func:`unconfirmed_issue`), read in the caller's
    transaction: one probe of the credentials it issued (most calls issue none), then
    its credential entries, queue first as :func:`_entries_of` reads them."""
    if not _ISSUED_HERE.rows(cursor, dialect, id=intervention_id):
        return False
    waiting = [
        fields for _, body in _QUEUED_HERE.rows(cursor, dialect, needle=b"%" + (
            journal.intervention_needle(intervention_id) or b"") + b"%")
        for fields, _problem in [read_queued(bytes(body))]
        if fields is not None and fields.get("intervention") == intervention_id
        and fields.get("action") in CREDENTIAL_STEPS
    ]  # fmt: skip
    read = (journal.body_fields(seq, bytes(body), "")
            for seq, body in _CHAINED_HERE.rows(cursor, dialect, id=intervention_id))  # fmt: skip
    entries = [fields for fields in read if not isinstance(fields, journal.Unreadable)]
    chained = {fields.get("event_id") for fields in entries}
    entries += [fields for fields in waiting if fields.get("event_id") not in chained]
    steps = [(fields["action"], fields["outcome"], fields.get("details") or {})
             for fields in entries]  # fmt: skip
    return unconfirmed_issue(steps) is not None


CREDENTIAL_STEPS = ("credential_issue", "credential_read_out", "credential_revoke")
"""The steps that say whether a credential issued was handed over."""


def _entries_of(session: Session, intervention_id: str) -> list[dict[str, Any]]:
    """An intervention's journal entries, oldest first: on PostgreSQL, those still
    queued for the sequencer come last."""
    # The queue first, then the chain: each statement reads the base as it is then
    # (PostgreSQL, READ COMMITTED), and an entry chained between the two reads was in
    # neither when the chain was read first (a read-out confirmed, then not seen by the
    # close). Read so, an entry is seen once at least; one seen in both is the chain's.
    waiting = journal.waiting(session, intervention=intervention_id)
    query = (
        select(JournalEntry.seq, JournalEntry.body)  # type: ignore[call-overload]
        .where(JournalEntry.intervention == intervention_id)
        .order_by(JournalEntry.seq)  # type: ignore[arg-type]
    )
    # A body chained by hand that reads as no entry is no step of the call (the
    # verification names it): it ended the voter file in a traceback.
    read = (journal.body_fields(seq, body, "") for seq, body in session.execute(query))
    entries = [fields for fields in read if not isinstance(fields, journal.Unreadable)]
    chained = {fields.get("event_id") for fields in entries}
    return entries + [f for f in waiting if f.get("event_id") not in chained]


def intervention_steps(deps: Deps, who: OperatorContext, intervention_id: str) -> list[Step]:
    """The timeline of an intervention, oldest first, from its journal entries (on
    PostgreSQL, those still queued for the sequencer come last)."""
    with deps.reading() as session:
        require_live_in(session, who)  # a disabled account reads nothing more
        row = session.get(Intervention, intervention_id)
        if row is None or (row.operator_login != who.login and who.role != "superviseur"):
            raise NotFound("Intervention introuvable.")
        entries = _entries_of(session, intervention_id)
    return [
        Step(
            at=to_paris(datetime.fromisoformat(fields["ts"])),
            operator=fields.get("operator") or "",
            action=fields["action"],
            outcome=fields["outcome"],
            details=fields.get("details") or {},
        )
        for fields in entries
    ]


def owned_open(session: Session, who: OperatorContext, intervention_id: str) -> Intervention:
    """The operator's own intervention, still open, locked for the transaction.

    Voters and interventions are locked FOR NO KEY UPDATE (PostgreSQL): enough to
    serialise their changes, and an insert that names one (its foreign key check takes
    FOR KEY SHARE) never waits for the lock. So a transaction that holds the journal
    head and then queues a notice for a voter cannot wait for one that locked that voter
    and waits for the head: the deadlock of issue 16.

    The operator's row comes in the same statement (not locked): a session no longer
    live (account disabled, role or bureau changed, authenticator reset, another login
    took over) is refused here, before anything is done in its name."""
    found = session.execute(_OWNED, {"id": intervention_id, "login": who.login}).one_or_none()
    if found is not None:
        require_live(who, operator_state([tuple(found[1:])]))
    return _still_owned(found[0] if found else None, who)


def owned_open_with_voter(
    session: Session, who: OperatorContext, intervention_id: str
) -> tuple[Intervention, Voter]:
    """``owned_open`` and its voter, both locked FOR NO KEY UPDATE, in one statement:
    what a verification reads first (two ORM loads cost it a third more); the session
    checked as ``owned_open`` checks it."""
    found = session.execute(
        _OWNED_WITH_VOTER, {"id": intervention_id, "login": who.login}
    ).one_or_none()
    if found is not None:
        require_live(who, operator_state([tuple(found[2:])]))
    row = _still_owned(found[0] if found else None, who)
    return row, found[1]  # type: ignore[index]


# Built once: building the select and its cache key at each call took a quarter of a
# verification's read (one workstation alone on PostgreSQL: 0.86 -> 0.66 ms of CPU).
# The operator's row joins by the login asked (not the intervention's: a session no
# longer live is refused before being told whose intervention it is), only the
# intervention (and voter) locked.
_LIVE_COLUMNS = (
    Operator.active, Operator.role, Operator.bureau_code, Operator.session_id,
    Operator.last_totp_step,
)  # fmt: skip
_OWNED = (
    select(Intervention, *_LIVE_COLUMNS)  # type: ignore[call-overload]
    .outerjoin(Operator, Operator.login == bindparam("login"))  # type: ignore[arg-type]
    .where(Intervention.id == bindparam("id"))
    .with_for_update(key_share=True, of=Intervention)  # type: ignore[arg-type]
)
_OWNED_WITH_VOTER = (
    select(Intervention, Voter, *_LIVE_COLUMNS)  # type: ignore[call-overload]
    .join(Voter, Voter.id == Intervention.voter_id)  # type: ignore[arg-type]
    .outerjoin(Operator, Operator.login == bindparam("login"))  # type: ignore[arg-type]
    .where(Intervention.id == bindparam("id"))
    .with_for_update(key_share=True, of=(Intervention, Voter))  # type: ignore[arg-type]
)


def _still_owned(row: Intervention | None, who: OperatorContext) -> Intervention:
    if row is None or row.operator_login != who.login:
        raise NotFound("Intervention introuvable : ouvrez une intervention pour cet appel.")
    if row.closed_at is not None:
        why = row.note if row.outcome == ABANDONED and row.note in _CLOSED_FOR_THEM else None
        if why is not None:  # closed in their name (an import, an administrator): say why
            raise ServiceError(
                f"Cette intervention a été close (abandonnée) : {why}. Ouvrez-en une "
                "nouvelle si l'électeur en a encore besoin."
            )
        raise ServiceError("Cette intervention est close : ouvrez-en une nouvelle.")
    return row


def verified_until(row: Intervention, now: datetime) -> datetime | None:
    """When the intervention's verification lapses (UTC), or None if it is not verified."""
    if row.verified_at is None or row.closed_at is not None:
        return None
    until = row.verified_at + VERIFICATION_VALIDITY
    return until if now < until else None


def caller_matches(key: bytes, row: Intervention, voter: Voter | None) -> bool | None:
    """Whether the number shown is the voter's registered work phone (None: unknown)."""
    return _matches(key, row.caller_hash, voter.phone_pro if voter is not None else None)


def _matches(key: bytes, caller_hash: str | None, phone_pro: str | None) -> bool | None:
    if caller_hash is None or not phone_pro:
        return None
    try:
        registered = parse_phone(phone_pro).e164
    except InvalidValue:
        return False
    return keyed_hash(key, PHONE_PURPOSE, registered) == caller_hash


def usable_material(
    session: Session,
    who: OperatorContext,
    intervention_id: str,
    material_id: int,
    now: datetime,
    action: str = "issue",
    kind: str | None = None,
) -> tuple[Intervention, Material, Voter, ElectionDefinition]:
    """What every action on a voter's material checks first: the operator's own open
    intervention, its verification still valid, and one of its voter's materials of its
    election (a president's: of their bureau), locked, active, and still open to a
    reissue by its émargement (the election's rule: by default, a scrutin of the
    material left to vote), while the election is not closed: ``action`` (issue,
    revoke, identifier, vote_code_link) of a credential of ``kind`` as
    :func:`csu.domain.permissions.refusal` rules it."""
    row = owned_open(session, who, intervention_id)
    material = session.get(Material, material_id, with_for_update=True)
    if material is None or material.voter_id != row.voter_id:
        raise NotFound("Ce matériel n'appartient pas à l'électeur de l'intervention.")
    if material.election_id != row.election_id:
        raise ServiceError("Ce matériel relève d'un autre scrutin que l'intervention.")
    definition = get_definition(session, material.election_id)
    enforce(
        action,
        Situation(
            who.role,
            call=Call.VERIFIED if verified_until(row, now) is not None else Call.OPEN,
            in_bureau=who.role != "president" or material.bureau_code == who.bureau,
            election=election_allows(definition, now),
            kind=kind,
            channel=row.channel,
        ),
    )
    # Its émargement, read after the lock: a vote recorded first wins (emargement.py).
    require_reissuable(session, definition, material)
    if material.status != "active":
        raise ServiceError("Ce matériel n'est plus actif (substitué ou invalidé).")
    voter = session.get(Voter, row.voter_id)
    if voter is None:
        raise NotFound("Électeur introuvable.")
    return row, material, voter, definition


def require_open_election(definition: ElectionDefinition, now: datetime) -> None:
    if state_at(definition, now) is ElectionState.CLOSED:
        raise ServiceError(f"Le scrutin {definition.id} est clos : aucune action possible.")


# ----------------------------------------------------------------------- helpers


def _open_of(session: Session, login: str) -> Intervention | None:
    return session.execute(
        select(Intervention)
        .where(Intervention.operator_login == login, Intervention.closed_at.is_(None))  # type: ignore[union-attr]
        .limit(1)
    ).scalar_one_or_none()


class _MaterialRef(NamedTuple):
    """A voter's material, as opening an intervention reads it."""

    id: int
    election_id: str
    voter_id: int
    bureau_code: str


def _chosen_material(
    materials: Sequence[_MaterialRef], election_id: str | None, who: OperatorContext
) -> _MaterialRef:
    """The material the intervention is about: of ``election_id`` if named, of the
    president's bureau for a president; the voter's materials come in id order."""
    materials = [
        m for m in materials
        if (not election_id or m.election_id == election_id)
        and (who.role != "president" or m.bureau_code == who.bureau)
    ]  # fmt: skip
    if not materials:
        if who.role == "president":
            raise NotFound("Aucun électeur de votre bureau ne correspond.")
        raise NotFound("Cet électeur n'a pas de matériel de vote pour ce scrutin.")
    elections = {m.election_id for m in materials}
    if len(elections) > 1:
        raise ServiceError("Cet électeur vote à plusieurs scrutins : précisez lequel.")
    return materials[0]


def _channel_check(
    cursor: Any,
    dialect: Any,
    who: OperatorContext,
    definition: ElectionDefinition,
    channel: str,
    material: _MaterialRef,
    president_login: str | None,
) -> tuple[str | None, str | None]:
    if channel not in CHANNEL_LABELS:
        raise InvalidValue("Canal", "choisissez : " + ", ".join(CHANNEL_LABELS.values()))
    if channel not in definition.verification:
        raise ServiceError(
            f"Le canal « {CHANNEL_LABELS[channel]} » n'est pas prévu pour le scrutin "
            f"{definition.id}."
        )
    if who.role == "president":  # in person only: open_intervention refused the rest
        return who.login, who.bureau
    if channel != "president":
        return None, None
    login = single_line(president_login or "", "Président").strip().lower()
    if not login:
        raise InvalidValue("Président", "indiquez l'identifiant du président qui appelle")
    president = _ACTIVE_PRESIDENT.rows(cursor, dialect, login=login)
    if not president:
        # A newcomer typed the president's name: the file gives the login in brackets.
        raise NotFound(
            f"Aucun président de bureau actif n'a pour identifiant « {login} » : tapez son "
            "identifiant, pas son nom (la fiche de l'électeur le donne entre parenthèses, "
            "après le nom du président du bureau)."
        )
    [(bureau_code,)] = president
    in_bureau = _MATERIAL_IN_BUREAU.rows(
        cursor, dialect, voter=material.voter_id, election=material.election_id,
        bureau=bureau_code,
    )  # fmt: skip
    if not in_bureau:  # what a caller claiming to be president said: not the agent's act
        raise Forbidden(
            f"« {login} » ne préside pas le bureau de cet électeur : "
            "la vérification en personne doit être faite par son président.",
            to_journal=False,
        )
    return login, bureau_code


def _close(
    session: Session,
    who: OperatorContext,
    intervention_id: str,
    outcome: str,
    note: str,
    now: datetime,
) -> str | None:
    """Closes the operator's own open intervention and journals it, in the session's
    transaction; its election."""
    with session_cursor(session) as (cursor, dialect):
        closed = _close_on(cursor, dialect, who, intervention_id, outcome, note, now)
    if not closed:
        _refuse_close(session, who, intervention_id)
    election_id, entry = closed
    journal.append(session, **entry)
    return election_id


def _refuse_close(session: Session, who: OperatorContext, intervention_id: str) -> NoReturn:
    """Why a close changed nothing: not the operator's intervention, or closed."""
    owned_open(session, who, intervention_id)
    raise ServiceError("Cette intervention ne peut pas être close.")  # not reached


def _close_on(
    cursor: Any,
    dialect: Any,
    who: OperatorContext,
    intervention_id: str,
    outcome: str,
    note: str,
    now: datetime,
    *,
    live: bool = False,
) -> tuple[str | None, dict[str, Any]] | None:
    """The close, on the driver's cursor: None if the intervention is not the
    operator's open one; else its election and its journal entry, for the caller to
    append in the same transaction.

    One statement: its UPDATE locks the row as ``owned_open`` does (FOR NO KEY UPDATE)
    and returns what the entry names. Closing ends every call, and the ORM's select,
    voter load and flush were most of its cost. With ``live``, the operator's session
    is checked (:func:`require_live`) by a read sent with the close, in its round trip:
    refused, the close rolls back with the caller's transaction."""
    values = {"id": intervention_id, "login": who.login, "closing": now,
              "outcome_given": outcome, "note_given": note or None}  # fmt: skip
    if live:
        state, closed = read_together(cursor, dialect, [
            (LIVE_STATE, {"login": who.login}), (_CLOSE, values)
        ])  # fmt: skip
        require_live(who, operator_state(state))
    else:
        closed = _CLOSE.rows(cursor, dialect, **values)
    if not closed:
        return None
    [(election_id, pseudonym)] = closed
    entry: dict[str, Any] = {
        "actor": who.actor,
        "action": "intervention_close",
        "outcome": outcome,
        "at": now,
        "election": election_id,
        "subject": pseudonym,
        "intervention": intervention_id,
        "details": {"note": note} if note else None,
    }
    return election_id, entry


(_intervention, _voter, _material, _operator, _credential, _entry, _queued) = core_tables(
    Intervention, Voter, Material, Operator, Credential, JournalEntry, JournalQueued
)
_ISSUED_HERE = Prepared(lambda: select(_credential.c.id).where(
    _credential.c.intervention_id == bindparam("id"),
).limit(1))  # fmt: skip
_CHAINED_HERE = Prepared(lambda: select(_entry.c.seq, _entry.c.body).where(
    _entry.c.intervention == bindparam("id"),
    # Literals: a list bound here would be expanded at each run, not compiled once.
    _entry.c.action.in_([literal_column(f"'{action}'") for action in CREDENTIAL_STEPS]),
).order_by(_entry.c.seq))  # fmt: skip
# The caller's pattern holds no « % », « _ » nor « \\ » but its ends (journal).
_QUEUED_HERE = Prepared(lambda: select(_queued.c.id, _queued.c.body).where(
    _queued.c.body.op("LIKE")(bindparam("needle", type_=_queued.c.body.type)),
).order_by(_queued.c.id))  # fmt: skip
_ACTIVE_PRESIDENT = Prepared(lambda: select(_operator.c.bureau_code).where(
    _operator.c.login == bindparam("login"), _operator.c.role == "president",
    _operator.c.active.is_(True),
))  # fmt: skip
_MATERIAL_IN_BUREAU = Prepared(lambda: select(_material.c.id).where(
    _material.c.voter_id == bindparam("voter"), _material.c.election_id == bindparam("election"),
    _material.c.bureau_code == bindparam("bureau"),
).limit(1))  # fmt: skip
_OPEN_BY = Prepared(lambda: select(_intervention.c.id).where(
    _intervention.c.operator_login == bindparam("login"), _intervention.c.closed_at.is_(None),
).limit(1))  # fmt: skip
_CALLED = Prepared(lambda: select(
    _voter.c.pseudonym, _voter.c.phone_pro, _voter.c.matricule
).where(_voter.c.id == bindparam("voter")))  # fmt: skip
_MATERIALS_OF = Prepared(lambda: select(
    _material.c.id, _material.c.election_id, _material.c.voter_id,
    _material.c.bureau_code,
).where(_material.c.voter_id == bindparam("voter")).order_by(_material.c.id))  # fmt: skip
_OPENED_COLUMNS = (
    "id", "operator_login", "election_id", "voter_id", "channel", "caller_masked",
    "caller_region", "caller_hash", "caller_presumed_workstation", "president_login",
    "president_bureau", "opened_at",
)  # fmt: skip
_OPEN = Prepared(lambda: insert(_intervention).values({
    name: bindparam(f"new_{name}", type_=_intervention.c[name].type) for name in _OPENED_COLUMNS
}))  # fmt: skip
_CLOSE = Prepared(lambda: update(_intervention).where(
    _intervention.c.id == bindparam("id"),
    _intervention.c.operator_login == bindparam("login"),
    _intervention.c.closed_at.is_(None),
).values(
    closed_at=bindparam("closing", type_=_intervention.c.closed_at.type),
    outcome=bindparam("outcome_given", type_=_intervention.c.outcome.type),
    note=bindparam("note_given", type_=_intervention.c.note.type),
).returning(
    _intervention.c.election_id,
    select(_voter.c.pseudonym).where(_voter.c.id == _intervention.c.voter_id).scalar_subquery(),
))  # fmt: skip


def _view(
    row: Intervention, matricule: str, matches: bool | None, now: datetime
) -> OpenIntervention:
    until = verified_until(row, now)
    return OpenIntervention(
        id=row.id,
        voter_id=row.voter_id or 0,
        matricule=matricule,
        election_id=row.election_id or "",
        channel=row.channel,
        channel_label=CHANNEL_LABELS.get(row.channel, row.channel),
        opened_at=to_paris(row.opened_at),
        caller=row.caller_masked,
        caller_region=row.caller_region,
        caller_matches_work_phone=matches,
        president_login=row.president_login,
        president_bureau=row.president_bureau,
        verified_until=to_paris(until) if until else None,
    )
