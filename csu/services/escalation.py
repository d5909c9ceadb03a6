"""Escalated cases (issue 14 §5): an intervention closed « escaladé » goes into a queue
that supervisors take.

- :func:`record_escalation` runs inside the transaction that closes the intervention
  (csu.services.interventions.close_intervention): the case, its deadline from the
  election file and its journal entry are written with the closing, or not at all.
- :func:`escalation_queue` lists the cases (journalled: it names voters);
  :func:`take_escalation` makes a supervisor its owner (time taken recorded);
  :func:`callback_number` gives the owner the caller's number to call back
  (journalled); :func:`close_escalation` closes it and erases that number.
- :func:`overdue_alerts` feeds the supervisors' alerts (csu.services.alerts), and
  :func:`escalation_counts` the dashboard.

The callback number is sealed while the case is open and shown masked everywhere; only
the case's owner reads it, once per request, and closing the case erases it.

Who may take, read the number and close is :func:`csu.domain.permissions.case_refusal`,
the rule the queue screen greys its keys with: each service asks it again with the case
as read under lock, and raises its refusal.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from csu.domain import escalation as rules
from csu.domain import masking, sealing
from csu.domain.alerts import Alert
from csu.domain.clock import to_paris
from csu.domain.election import ElectionDefinition
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import Phone, parse_phone
from csu.domain.permissions import CASE_ROLES, CaseSituation, case_refusal
from csu.domain.roles import ROLES, Role
from csu.domain.text import multiline_text
from csu.services import credential_text
from csu.services.context import (
    Deps,
    Forbidden,
    NotFound,
    OperatorContext,
    ServiceError,
    journals_refusals,
    require_role,
    retried,
)
from csu.services.sessions import require_live_held, require_live_in, require_live_session
from csu.store import journal
from csu.store.journal import Actor
from csu.store.tables import Escalation, Intervention, Voter

SEAL_PURPOSE = "escalation-callback"
TAKERS: tuple[Role, ...] = tuple(role for role in ROLES if role in CASE_ROLES)
"""Who reads the queue: those who may act on its cases."""
COUNT_READERS: tuple[Role, ...] = ("superviseur", "admin")


@dataclass(frozen=True, slots=True)
class EscalationView:
    """A case as the queue shows it: the callback number masked, a state code."""

    id: int
    intervention_id: str
    election_id: str | None
    voter_id: int | None
    matricule: str
    voter_name: str  # "DUBOIS Victoire"
    escalated_by: str
    escalated_at: datetime  # aware, Europe/Paris
    deadline_at: datetime  # aware, Europe/Paris
    state: str  # rules.WAITING, OVERDUE, TAKEN, CLOSED (labels: rules.STATE_LABELS)
    reason: str | None
    callback: str | None  # masked: "+33 1 ** ** ** 78"
    owner: str | None
    taken_at: datetime | None  # aware, Europe/Paris
    waited_minutes: int | None  # from the escalation to its taking
    closed_at: datetime | None
    outcome: str | None
    resolution: str | None

    @property
    def overdue(self) -> bool:
        return self.state == rules.OVERDUE


@dataclass(frozen=True, slots=True)
class EscalationCounts:
    """What the dashboard shows of the queue."""

    waiting: int  # untaken, deadline not reached
    overdue: int  # untaken past the deadline
    taken: int  # owned, not closed
    closed: int


CALLBACK_FIELD = "Numéro de rappel"
RESOLUTION_FIELD = "Suite donnée"  # what the supervisor did, as a case is closed


def parse_callback(raw: str | None) -> Phone | None:
    """The number to call the caller back on, if given (a French message if it is not
    a phone number)."""
    if raw is None or not raw.strip():
        return None
    try:
        return parse_phone(raw)
    except InvalidValue as error:  # named as its field is: « Téléphone » named none
        raise InvalidValue(CALLBACK_FIELD, error.fault) from None


def record_escalation(
    session: Session,
    key: bytes,
    actor: Actor,
    row: Intervention,
    definition: ElectionDefinition,
    *,
    callback: Phone | None,
    reason: str,
    now: datetime,
) -> Escalation:
    """Opens the case of an intervention being closed « escaladé », in the caller's
    transaction; journalled with the masked callback number and the deadline."""
    case = Escalation(
        intervention_id=row.id,
        election_id=row.election_id,
        voter_id=row.voter_id,
        escalated_by=row.operator_login,
        escalated_at=now,
        deadline_at=rules.deadline(now, definition.contacts.escalation_minutes),
        reason=reason or None,
        callback_masked=masking.mask_phone(callback.e164) if callback else None,
        callback_sealed=sealing.seal(key, SEAL_PURPOSE, callback.e164) if callback else None,
    )
    session.add(case)
    session.flush()
    voter = session.get(Voter, row.voter_id) if row.voter_id else None
    journal.append(
        session,
        actor=actor,
        action="escalation_open",
        outcome="ok",
        at=now,
        election=row.election_id,
        subject=voter.pseudonym if voter else None,
        intervention=row.id,
        details={
            "escalation": case.id,
            "deadline": case.deadline_at.isoformat(),
            "deadline_minutes": definition.contacts.escalation_minutes,
            "callback": case.callback_masked,
        },
    )
    return case


@retried
def escalation_queue(
    deps: Deps, who: OperatorContext, *, include_closed: bool = False, limit: int = 200
) -> list[EscalationView]:
    """The open cases, oldest first (the closed ones after them with ``include_closed``);
    journalled when there is any, as the views name voters."""
    require_role(deps, who, *TAKERS)
    now = deps.clock()
    with deps.writing() as session:
        require_live_in(session, who)
        query = select(Escalation, Voter).join(
            Voter, col(Voter.id) == col(Escalation.voter_id), isouter=True
        )
        if not include_closed:
            query = query.where(col(Escalation.closed_at).is_(None))
        query = query.order_by(
            col(Escalation.closed_at).is_not(None),
            col(Escalation.escalated_at),
            col(Escalation.id),
        ).limit(limit)
        views = [_view(case, voter, now) for case, voter in session.execute(query).all()]
        if views:
            journal.append(
                session,
                actor=who.actor,
                action="escalation_list",
                outcome="ok",
                at=now,
                details={"escalations": [view.id for view in views]},
            )
    return views


@journals_refusals
@retried
def take_escalation(deps: Deps, who: OperatorContext, case_id: int) -> EscalationView:
    """A supervisor takes a waiting case: they become its owner (time taken recorded).
    Their row is held: a demotion at the same moment either waits for the take, then
    gives the case back (csu.services.operators), or ends this session first."""
    now = deps.clock()
    with deps.writing() as session:
        require_live_held(session, who)
        case = _locked(session, case_id)
        _enforce("take", who, case, now)
        case.owner_login, case.taken_at = who.login, now
        session.add(case)
        _journal(session, who, case, "escalation_take", "ok", now, {
            "escalation": case.id,
            "waited_minutes": _minutes(case.escalated_at, now),
            "overdue": now >= case.deadline_at,
        })  # fmt: skip
        return _view(case, _voter(session, case), now)


@journals_refusals
@retried
def callback_number(deps: Deps, who: OperatorContext, case_id: int) -> str:
    """The caller's number in full, for the case's owner to call back (journalled,
    masked); refused to anyone else, and once the case is closed."""
    now = deps.clock()
    with deps.writing() as session:
        require_live_in(session, who)
        case = _locked(session, case_id)
        _enforce("callback", who, case, now)
        sealed = case.callback_sealed
        assert sealed is not None  # case_refusal: refused without a number
        number = sealing.unseal(deps.key, SEAL_PURPOSE, sealed)
        _journal(session, who, case, "escalation_callback", "ok", now, {
            "escalation": case.id, "callback": case.callback_masked,
        })  # fmt: skip
    return number


@journals_refusals
@retried
def close_escalation(
    deps: Deps, who: OperatorContext, case_id: int, outcome: str, resolution: str
) -> EscalationView:
    """The case's owner closes it with an outcome and what was done; the callback
    number is erased (its masked form stays for the review)."""
    rules.check_close_outcome(outcome)
    resolution = masking.mask_personal_data(multiline_text(resolution, RESOLUTION_FIELD).strip())
    if len(resolution) < 5:
        raise InvalidValue(RESOLUTION_FIELD, "dites en quelques mots ce qui a été fait")
    if len(resolution) > rules.MAX_TEXT:
        raise InvalidValue(RESOLUTION_FIELD, f"{rules.MAX_TEXT} caractères au plus")
    credential_text.refuse_codes(
        resolution, "La suite donnée", "ce texte", credential_text.for_escalation(deps, case_id)
    )
    now = deps.clock()
    with deps.writing() as session:
        require_live_in(session, who)
        case = _locked(session, case_id)
        _enforce("close_case", who, case, now)
        case.closed_at, case.closed_by, case.outcome = now, who.login, outcome
        case.resolution = resolution
        case.callback_sealed = None
        session.add(case)
        _journal(session, who, case, "escalation_close", outcome, now, {
            "escalation": case.id, "resolution": resolution,
        })  # fmt: skip
        return _view(case, _voter(session, case), now)


def escalation_counts(deps: Deps, who: OperatorContext) -> EscalationCounts:
    """The queue in four numbers, for the dashboard (names no voter: not journalled)."""
    require_role(deps, who, *COUNT_READERS)
    require_live_session(deps, who)  # a disabled account reads nothing more
    with deps.reading() as session:
        return count_escalations(session, deps.clock())


def count_escalations(session: Session, now: datetime) -> EscalationCounts:
    """The same counts in the caller's transaction (csu.services.dashboard may call it)."""
    untaken = col(Escalation.taken_at).is_(None) & col(Escalation.closed_at).is_(None)
    row = session.execute(
        select(
            func.count().filter(untaken & (col(Escalation.deadline_at) > now)),
            func.count().filter(untaken & (col(Escalation.deadline_at) <= now)),
            func.count().filter(
                col(Escalation.taken_at).is_not(None) & col(Escalation.closed_at).is_(None)
            ),
            func.count().filter(col(Escalation.closed_at).is_not(None)),
        ).select_from(Escalation)
    ).one()
    return EscalationCounts(*(int(n) for n in row))


def overdue_alerts(session: Session, now: datetime) -> list[Alert]:
    """An alert per case still untaken at its deadline (from the deadline's index)."""
    rows = session.execute(
        select(
            col(Escalation.id),
            col(Escalation.election_id),
            col(Escalation.escalated_at),
            col(Escalation.deadline_at),
            col(Escalation.escalated_by),
            col(Voter.pseudonym),
        )
        .join(Voter, col(Voter.id) == col(Escalation.voter_id), isouter=True)
        .where(
            col(Escalation.deadline_at) <= now,
            col(Escalation.taken_at).is_(None),
            col(Escalation.closed_at).is_(None),
        )
    ).all()
    return [
        rules.overdue_alert(
            case_id=case_id, election=election, escalated_at=escalated_at,
            deadline_at=deadline_at, now=now, operator=by, subject=pseudonym,
        )
        for case_id, election, escalated_at, deadline_at, by, pseudonym in rows
    ]  # fmt: skip


# ----------------------------------------------------------------------- helpers


def _locked(session: Session, case_id: int) -> Escalation:
    case = session.execute(
        select(Escalation).where(col(Escalation.id) == case_id).with_for_update()
    ).scalar_one_or_none()
    if case is None:
        raise NotFound("Dossier escaladé introuvable.")
    return case


def _enforce(action: str, who: OperatorContext, case: Escalation, now: datetime) -> None:
    """Raises the refusal of :func:`case_refusal` for ``case`` as read under lock (the
    rule the queue shows; its role check included)."""
    state = rules.case_state(
        taken_at=case.taken_at, closed_at=case.closed_at, deadline_at=case.deadline_at, now=now
    )
    situation = CaseSituation(
        who.role, who.login, state, case.owner_login, has_callback=case.callback_sealed is not None
    )
    found = case_refusal(action, situation)
    if found is None:
        return
    if not found.forbidden:
        raise ServiceError(found.sentence)
    raise Forbidden(found.sentence, to_journal=not found.settled)


def _voter(session: Session, case: Escalation) -> Voter | None:
    return session.get(Voter, case.voter_id) if case.voter_id else None


def _journal(
    session: Session,
    who: OperatorContext,
    case: Escalation,
    action: str,
    outcome: str,
    now: datetime,
    details: dict[str, object],
) -> None:
    voter = _voter(session, case)
    journal.append(
        session,
        actor=who.actor,
        action=action,
        outcome=outcome,
        at=now,
        election=case.election_id,
        subject=voter.pseudonym if voter else None,
        intervention=case.intervention_id,
        details=details,
    )


def _minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _view(case: Escalation, voter: Voter | None, now: datetime) -> EscalationView:
    return EscalationView(
        id=case.id or 0,
        intervention_id=case.intervention_id,
        election_id=case.election_id,
        voter_id=case.voter_id,
        matricule=voter.matricule if voter else "",
        voter_name=f"{voter.last_name.upper()} {voter.first_name}" if voter else "",
        escalated_by=case.escalated_by,
        escalated_at=to_paris(case.escalated_at),
        deadline_at=to_paris(case.deadline_at),
        state=rules.case_state(
            taken_at=case.taken_at,
            closed_at=case.closed_at,
            deadline_at=case.deadline_at,
            now=now,
        ),
        reason=case.reason,
        callback=case.callback_masked,
        owner=case.owner_login,
        taken_at=to_paris(case.taken_at) if case.taken_at else None,
        waited_minutes=_minutes(case.escalated_at, case.taken_at) if case.taken_at else None,
        closed_at=to_paris(case.closed_at) if case.closed_at else None,
        outcome=case.outcome,
        resolution=case.resolution,
    )


def release_cases_of(
    session: Session, by: OperatorContext, login: str, note: str, now: datetime
) -> int:
    """Puts back in the queue, in ``by``'s name and with ``note``, the open cases that
    ``login`` had taken, a supervisor an administrator has just disabled or given
    another role: only their owner may call back or close a case, so it stayed taken
    and open for ever, out of the overdue alerts (which watch cases nobody took). The
    deadline is kept: a case past it shows overdue at once. How many, in ``by``'s
    transaction."""
    cases = session.execute(
        select(Escalation)
        .where(col(Escalation.owner_login) == login, col(Escalation.closed_at).is_(None))
        .with_for_update()
    ).scalars().all()
    for case in cases:
        taken_at = case.taken_at
        case.owner_login, case.taken_at = None, None
        session.add(case)
        _journal(session, by, case, "escalation_release", "ok", now, {
            "escalation": case.id, "owner": login,
            "since": taken_at.isoformat() if taken_at else None, "note": note,
        })  # fmt: skip
    return len(cases)
