"""S2: the president of the voter's bureau checks the voter's identity in person.

A voter shows an identity document to their bureau's president, who calls the cell.
The agent opens an intervention on the president channel, naming that president, and
asks for the check (:func:`request_presence_check`). The president, logged in to their
own session (terminal or browser), sees the request (:func:`presence_requests`) and
attests the document seen, type and last 4 characters (:func:`attest_presence`), or
declines (:func:`decline_presence`). The attestation is the president's act, journalled
under their name; when it completes a set of the channel's policy, it verifies the
agent's intervention in the same transaction. Nothing the agent types counts as an
in-person check (:func:`csu.services.verification.verify_identity` refuses it).

A request is bound to its intervention and its president, expires after
``PRESENCE_REQUEST_VALIDITY`` and is attested or declined once; an attestation that
does not complete a set alone is used once, by the agent's verification, within
``PRESENCE_ATTESTATION_VALIDITY``.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from csu.domain.clock import to_paris
from csu.domain.ids import time_ordered_uuid
from csu.domain.labels import name_and_login
from csu.domain.verification import (
    ATTESTED,
    DECLINED,
    DOCUMENT_TYPES,
    IN_PERSON_CHANNELS,
    MIN_DECLINE_REASON_LENGTH,
    PENDING,
    PRESENCE_ATTESTATION_VALIDITY,
    PRESENCE_REQUEST_VALIDITY,
    PRESENCE_STATES,
    USED,
    attestation_refusal,
    outdated_attestation,
    parse_document,
    presence_state,
    president_refusal,
    remote_lock_applies,
    satisfied_set,
)
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
from csu.services.credential_text import code_check, refuse_codes
from csu.services.elections import get_definition
from csu.services.interventions import (
    caller_matches,
    owned_open,
    require_open_election,
    verified_until,
)
from csu.services.operator_names import display_name, display_names
from csu.services.reasons import typed_reason
from csu.services.sessions import require_live_held, require_live_in
from csu.services.verification import record_verification
from csu.store import journal
from csu.store.tables import Intervention, Material, Operator, PresenceCheck, Voter

MAX_DECLINE_REASON_LENGTH = 300


# Why a request was declined by no president (csu.services.operators, an import).
PRESIDENT_GONE = (
    "ce président a été désactivé ou a changé de rôle ou de bureau : ouvrez une nouvelle "
    "intervention avec le président actuel du bureau"
)
MOVED_AWAY = (
    "électeur passé dans un autre bureau par un import de liste : ouvrez une nouvelle "
    "intervention avec le président de son bureau"
)


@dataclass(frozen=True, slots=True)
class PresenceView:
    """Where the president's check of an intervention stands, as the agent sees it."""

    id: str
    state: str  # pending, attested, declined, used, expired
    state_label: str  # French
    president: str
    bureau: str
    requested_at: datetime  # aware, Europe/Paris
    expires_at: datetime  # aware, Europe/Paris
    document: str | None  # French label of the document seen, once attested
    decline_reason: str | None
    verified_until: datetime | None  # the intervention's, aware, Europe/Paris
    # An attestation of a document the election's file no longer accepts: why it
    # verifies nothing (French); the agent asks again.
    outdated: str | None = None
    # Declined by no president: their account or bureau changed, or an import moved
    # the voter; asking the same president again cannot serve.
    closed_for_them: bool = False


@dataclass(frozen=True, slots=True)
class PresenceRequest:
    """A request waiting for the president: the voter to recognise, and who asks."""

    id: str
    voter_id: int
    matricule: str
    last_name: str
    first_name: str
    birth_date: str  # jj/mm/aaaa, as on an identity document ("" if unknown)
    election_id: str
    requested_by: str
    requested_by_name: str  # the agent's name, as the president knows them
    requested_at: datetime  # aware, Europe/Paris
    expires_at: datetime  # aware, Europe/Paris
    remote_locked: bool  # locked for remote verification: in person is still possible
    # The documents the election accepts (its ``identity_documents``): those offered.
    documents: tuple[str, ...] = tuple(DOCUMENT_TYPES)


@dataclass(frozen=True, slots=True)
class Attestation:
    """What the president's attestation did."""

    verified: bool  # the agent's intervention is verified by it
    message: str  # French, for the president


# ---------------------------------------------------------------------- the agent


@retried
def request_presence_check(deps: Deps, who: OperatorContext, intervention_id: str) -> PresenceView:
    """The agent asks the president named in the intervention to check the voter's
    identity from the president's own session. A request still pending, an attestation
    still usable, or one that verified the intervention (still valid) is returned as
    is; an expired, declined or spent one is replaced."""
    require_role(deps, who, "agent", "superviseur")
    now = deps.clock()
    with deps.writing() as session:
        row = owned_open(session, who, intervention_id)
        if row.channel not in IN_PERSON_CHANNELS or not row.president_login:
            raise ServiceError(
                "Cette intervention n'est pas un appel d'un président de bureau : aucune "
                "vérification en personne à demander."
            )
        if not row.president_bureau:
            raise ServiceError("Le bureau du président n'est pas connu : rouvrez l'intervention.")
        if not _still_presides(session, row.president_login, row.president_bureau):
            raise ServiceError(
                f"« {row.president_login} » ne préside plus le bureau {row.president_bureau} "
                "(compte désactivé, ou rôle ou bureau changé) : ouvrez une nouvelle "
                "intervention avec le président actuel du bureau."
            )
        definition = get_definition(session, row.election_id or "")
        require_open_election(definition, now)
        current = _latest(session, row.id)
        seen = None if current is None else _view(current, row, now, definition.identity_documents)
        if seen is not None and (
            seen.verified_until is not None  # the attestation already verified it
            or (seen.state in (PENDING, ATTESTED) and seen.outdated is None)
        ):
            return seen
        outdated = seen is not None and seen.outdated is not None
        if current is not None and outdated:
            # Of a document the file no longer accepts: retired now, never used later
            # (were the file to accept it again), replaced by the request below.
            current.expires_at = now
            session.add(current)
        voter = session.get(Voter, row.voter_id)
        if voter is None:
            raise NotFound("Électeur introuvable.")
        check = PresenceCheck(
            id=time_ordered_uuid(),
            intervention_id=row.id,
            voter_id=voter.id or 0,
            election_id=row.election_id,
            bureau_code=row.president_bureau,
            requested_by=who.login,
            president_login=row.president_login,
            requested_at=now,
            expires_at=now + PRESENCE_REQUEST_VALIDITY,
            status=PENDING,
        )
        session.add(check)
        journal.append(
            session,
            actor=who.actor,
            action="presence_request",
            outcome="ok",
            at=now,
            election=row.election_id,
            subject=voter.pseudonym,
            intervention=row.id,
            details={
                "presence_check": check.id,
                "president": check.president_login,
                "bureau": check.bureau_code,
                "expires_at": check.expires_at.isoformat(),
                "replaces": current.id if current is not None else None,
                # Why an attestation still valid was replaced: its document (a code).
                "outdated_document": current.document_type if outdated else None,
            },
        )
        return _view(check, row, now, definition.identity_documents)


def presence_status(
    deps: Deps, who: OperatorContext, intervention_id: str
) -> PresenceView | None:
    """The latest check of the operator's own intervention, if any (no voter data: not
    journalled). The agent's window asks again every few seconds."""
    now = deps.clock()
    with deps.reading() as session:
        require_live_in(session, who)  # a disabled account reads nothing more
        row = session.get(Intervention, intervention_id)
        if row is None or row.operator_login != who.login:
            raise NotFound("Intervention introuvable.")
        check = _latest(session, intervention_id)
        if check is None:
            return None
        definition = get_definition(session, row.election_id or "")
        return _view(check, row, now, definition.identity_documents)


# ------------------------------------------------------------------ the president


def waiting_presence_checks(deps: Deps, who: OperatorContext) -> list[str]:
    """The ids of the requests waiting for this president now, oldest first: for the
    notification of a new one (no voter named, so not journalled)."""
    require_role(deps, who, "president")
    now = deps.clock()
    with deps.reading() as session:
        return [check.id for check, _, _ in _waiting(session, who, now)]


@retried
def presence_requests(deps: Deps, who: OperatorContext) -> list[PresenceRequest]:
    """The requests waiting for this president, oldest first, naming the voters so
    that the president recognises the person in front of them (journalled when there
    is any)."""
    require_role(deps, who, "president")
    now = deps.clock()
    with deps.writing() as session:
        require_live_in(session, who)  # they name voters: a session still live only
        found = _waiting(session, who, now)
        documents = {
            election: get_definition(session, election).identity_documents
            for election in {check.election_id or "" for check, _, _ in found}
        }
        names = display_names(session, (check.requested_by for check, _, _ in found))
        requests = [
            PresenceRequest(
                id=check.id,
                voter_id=voter.id or 0,
                matricule=voter.matricule,
                last_name=voter.last_name,
                first_name=voter.first_name,
                birth_date=f"{voter.birth_date:%d/%m/%Y}" if voter.birth_date else "",
                election_id=check.election_id or "",
                requested_by=check.requested_by,
                requested_by_name=names.get(check.requested_by, check.requested_by),
                requested_at=to_paris(check.requested_at),
                expires_at=to_paris(check.expires_at),
                remote_locked=voter.locked_until is not None and voter.locked_until > now,
                documents=documents[check.election_id or ""],
            )
            for check, _, voter in found
        ]
        if requests:
            journal.append(
                session,
                actor=who.actor,
                action="presence_list",
                outcome="ok",
                at=now,
                details={
                    "presence_checks": [r.id for r in requests],
                    "voters": [voter.pseudonym for _, _, voter in found],
                },
            )
    return requests


@journals_refusals
@retried
def attest_presence(
    deps: Deps, who: OperatorContext, check_id: str, document_type: str, last4: str
) -> Attestation:
    """The president attests having seen the voter's identity document (its type and
    the last 4 characters of its number). When that completes a set of the channel's
    policy, the agent's intervention is verified in the same transaction, in the
    president's name; otherwise the agent's verification uses it once."""
    require_role(deps, who, "president")
    kind, tail = parse_document(document_type.strip(), last4)
    now = deps.clock()
    with deps.writing() as session:
        row, check, voter = _decidable(session, who, check_id, now)
        definition = get_definition(session, row.election_id or "")
        require_open_election(definition, now)
        # The kind's format was read before the transaction; the election's own list
        # of documents now (« carte d'identité, carte agent » for minint-2022).
        parse_document(kind, tail, definition.identity_documents)
        check.status = ATTESTED
        check.decided_at = now
        check.document_type = kind
        check.expires_at = now + PRESENCE_ATTESTATION_VALIDITY
        session.add(check)
        locked = voter.locked_until if voter.locked_until and voter.locked_until > now else None
        journal.append(
            session,
            actor=who.actor,
            action="presence_attest",
            outcome="attesté",
            at=now,
            election=row.election_id,
            subject=voter.pseudonym,
            intervention=row.id,
            details={
                "presence_check": check.id,
                "requested_by": check.requested_by,
                "document": f"{kind} …{tail}",
                # The lock after remote failures does not stop the in-person path.
                "remote_lock_until": locked.isoformat()
                if locked is not None and not remote_lock_applies(row.channel)
                else None,
            },
        )
        policy = definition.verification
        passed = {"in_person"} | ({"caller_id"} if caller_matches(deps.key, row, voter) else set())
        if satisfied_set(policy, row.channel, passed) is None:
            return Attestation(
                False,
                f"Attestation enregistrée : {agent_words(session, check.requested_by)} "
                "complète la vérification.",
            )
        used = record_verification(
            session, who, row, voter, tried=passed, passed=passed, policy=policy, now=now,
            details={"presence_check": check.id, "attested_by": who.login, "document": kind},
        ).used
        assert used is not None  # the set passed above
        check.status = USED
        check.used_at = now
        session.add(check)
        agent = agent_words(session, check.requested_by)
    return Attestation(True, f"Identité attestée : l'intervention de {agent} est vérifiée.")


@journals_refusals
@retried
def decline_presence(deps: Deps, who: OperatorContext, check_id: str, reason: str) -> None:
    """The president refuses to attest (the person is not there, the document does not
    match…), saying why; the agent sees the reason."""
    require_role(deps, who, "president")
    reason = typed_reason(
        reason, minimum=MIN_DECLINE_REASON_LENGTH, maximum=MAX_DECLINE_REASON_LENGTH
    )
    now = deps.clock()
    with deps.writing() as session:
        row, check, voter = _decidable(session, who, check_id, now)
        refuse_codes(reason, "Le motif", "un motif",
                     code_check(deps, session, voter.id, row.election_id))  # fmt: skip
        _decline(session, who, check, row, voter, reason, now)


# ----------------------------------------------------------------------- helpers


def _decidable(
    session: Session, who: OperatorContext, check_id: str, now: datetime
) -> tuple[Intervention, PresenceCheck, Voter]:
    """The check, its intervention and its voter, locked (intervention first, as the
    agent's verification does), once the president may act on it: from a session
    still live (a president disabled or moved since attests nothing), their row held
    until the decision commits (a move at the same moment waits for it)."""
    require_live_held(session, who)
    found = session.get(PresenceCheck, check_id)
    if found is None:
        raise NotFound("Demande de vérification en personne introuvable.")
    row = session.execute(
        select(Intervention)
        .where(Intervention.id == found.intervention_id)
        .with_for_update(key_share=True)
    ).scalar_one()
    check = session.execute(
        select(PresenceCheck).where(PresenceCheck.id == check_id).with_for_update()
    ).scalar_one()
    refused = president_refusal(
        named_president=check.president_login,
        check_bureau=check.bureau_code,
        president_login=who.login,
        president_bureau=who.bureau,
    )
    if refused is not None:
        raise Forbidden(refused)
    if not _in_bureau(session, check, who.bureau):
        # An import moved the voter since the request (it declines such requests as it
        # commits): the roll's doing, not the president's, so not journalled as theirs.
        raise Forbidden("Cet électeur ne vote pas dans votre bureau.", to_journal=False)
    refused = attestation_refusal(
        status=check.status,
        expires_at=check.expires_at,
        now=now,
        intervention_open=row.closed_at is None,
    )
    if refused is not None:
        raise ServiceError(refused)
    voter = session.get(Voter, check.voter_id, with_for_update={"key_share": True})
    if voter is None:
        raise NotFound("Électeur introuvable.")
    return row, check, voter


def _still_presides(session: Session, login: str, bureau: str) -> bool:
    """Whether ``login`` is still the active president of ``bureau``, as when the
    intervention named them; their row held until the request commits, so that a move
    at the same moment waits, then declines the request (:func:`withdraw_from`)."""
    found = session.execute(
        select(Operator.login)
        .where(
            Operator.login == login,
            Operator.role == "president",
            Operator.bureau_code == bureau,
            Operator.active,
        )
        .with_for_update(read=True)
    ).first()
    return found is not None


def _in_bureau(session: Session, check: PresenceCheck, bureau: str | None) -> bool:
    """Whether the voter has material of the check's election in ``bureau`` (checked
    again at the president's act: the roll may have changed since the call opened)."""
    return bureau is not None and session.execute(
        select(Material.id).where(
            Material.voter_id == check.voter_id,
            Material.election_id == check.election_id,
            Material.bureau_code == bureau,
        ).limit(1)
    ).first() is not None


def agent_words(session: Session, login: str) -> str:
    """« l'agent Camille Agent (agent) »: the name the president knows, the login that
    the journal names."""
    return f"l'agent {name_and_login(display_name(session, login), login)}"


def _waiting(
    session: Session, who: OperatorContext, now: datetime
) -> list[tuple[PresenceCheck, Intervention, Voter]]:
    rows = session.execute(
        select(PresenceCheck, Intervention, Voter)
        .join(Intervention, Intervention.id == PresenceCheck.intervention_id)  # type: ignore[arg-type]
        .join(Voter, Voter.id == PresenceCheck.voter_id)  # type: ignore[arg-type]
        .where(
            PresenceCheck.status == PENDING,
            PresenceCheck.president_login == who.login,
            PresenceCheck.bureau_code == (who.bureau or ""),
            PresenceCheck.expires_at > now,
            Intervention.closed_at.is_(None),  # type: ignore[union-attr]
            # Still of this bureau (a roll may have moved the voter since the call): the
            # president no longer sees a voter outside their scope, as _in_bureau refuses
            # to let them attest one.
            select(Material.id)
            .where(
                Material.voter_id == PresenceCheck.voter_id,
                Material.election_id == PresenceCheck.election_id,
                Material.bureau_code == PresenceCheck.bureau_code,
            )
            .exists(),
        )
        .order_by(PresenceCheck.requested_at, PresenceCheck.id)  # type: ignore[arg-type]
    ).all()
    return [(check, row, voter) for check, row, voter in rows]


def _latest(session: Session, intervention_id: str) -> PresenceCheck | None:
    return session.execute(
        select(PresenceCheck)
        .where(PresenceCheck.intervention_id == intervention_id)
        .order_by(PresenceCheck.requested_at.desc(), PresenceCheck.id.desc())  # type: ignore[attr-defined]
        .limit(1)
    ).scalar_one_or_none()


def _view(
    check: PresenceCheck, row: Intervention, now: datetime, accepted: tuple[str, ...]
) -> PresenceView:
    """``accepted``: the documents the election accepts now."""
    state = presence_state(check.status, check.expires_at, now)
    until = verified_until(row, now)
    outdated = (
        outdated_attestation(check.document_type, accepted)
        if state == ATTESTED and until is None
        else None
    )
    return PresenceView(
        id=check.id,
        state=state,
        state_label=PRESENCE_STATES[state],
        president=check.president_login,
        bureau=check.bureau_code,
        requested_at=to_paris(check.requested_at),
        expires_at=to_paris(check.expires_at),
        document=DOCUMENT_TYPES.get(check.document_type or ""),
        decline_reason=check.decline_reason,
        closed_for_them=check.decline_reason in (PRESIDENT_GONE, MOVED_AWAY),
        verified_until=to_paris(until) if until else None,
        outdated=outdated,
    )


def withdraw_from(session: Session, by: OperatorContext, login: str, now: datetime) -> int:
    """Declines, in ``by``'s name, the in-person checks still waiting for ``login``, a
    president an administrator has just disabled or given another role or bureau:
    nobody else may attest them, and the agents' windows waited for them until they
    expired. The agent reads why (:data:`PRESIDENT_GONE`). How many, in ``by``'s
    transaction."""
    waiting = session.execute(
        select(PresenceCheck, Intervention, Voter)
        .join(Intervention, Intervention.id == PresenceCheck.intervention_id)
        .join(Voter, Voter.id == PresenceCheck.voter_id)
        .where(PresenceCheck.president_login == login, PresenceCheck.status == PENDING)
        .with_for_update(of=PresenceCheck)  # type: ignore[arg-type]
    ).all()
    for check, row, voter in waiting:
        _decline(session, by, check, row, voter, PRESIDENT_GONE, now)
    return len(waiting)


def decline_moved_out(
    session: Session, by: OperatorContext, election_id: str, now: datetime
) -> int:
    """Declines, in the name of ``by`` who imported ``election_id``'s roll, the
    in-person checks still waiting whose voter the import moved out of the check's
    bureau: its president may no longer attest them, and the agent waited until they
    expired. The agent reads why (:data:`MOVED_AWAY`). How many, in the import's
    transaction."""
    waiting = session.execute(
        select(PresenceCheck, Intervention, Voter)
        .join(Intervention, Intervention.id == PresenceCheck.intervention_id)
        .join(Voter, Voter.id == PresenceCheck.voter_id)
        .where(
            PresenceCheck.election_id == election_id,
            PresenceCheck.status == PENDING,
            ~select(Material.id)
            .where(
                Material.voter_id == PresenceCheck.voter_id,
                Material.election_id == election_id,
                Material.bureau_code == PresenceCheck.bureau_code,
            )
            .exists(),
        )
        .with_for_update(of=PresenceCheck)  # type: ignore[arg-type]
    ).all()
    for check, row, voter in waiting:
        _decline(session, by, check, row, voter, MOVED_AWAY, now)
    return len(waiting)


def _decline(
    session: Session,
    by: OperatorContext,
    check: PresenceCheck,
    row: Intervention,
    voter: Voter,
    reason: str,
    now: datetime,
) -> None:
    """``check`` declined with ``reason``, which the agent reads, journalled in ``by``'s
    name (the president, or the administrator who moved them)."""
    check.status, check.decided_at, check.decline_reason = DECLINED, now, reason
    session.add(check)
    journal.append(
        session,
        actor=by.actor,
        action="presence_decline",
        outcome="refusé",
        at=now,
        election=row.election_id,
        subject=voter.pseudonym,
        intervention=row.id,
        details={"presence_check": check.id, "requested_by": check.requested_by,
                 "reason": reason},
    )  # fmt: skip
