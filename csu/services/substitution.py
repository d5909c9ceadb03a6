"""Replacement material (S5, « matériel de substitution », CCI).

An agent records a voter's request inside their open intervention on that voter, once
the caller's identity is verified in that call (seed 000: « Après contrôle, l'électeur
sera invité à formuler sa demande complète »; a request on an unverified call is
refused and journalled, nothing stored): the voter number(s) concerned (one material
each), which items of the election's checklist were received, whether the identity
matches the roll, when the loss was declared and the address the new material goes
to. Any anomaly refuses the request: it is stored refused, with its reason, and
journalled. A request in order waits for a supervisor
other than its author when the election requires approval, else it is granted at once.

Granting, in one transaction: each original material becomes ``substituted`` and its
credentials are revoked; new material (a new identifier, new credentials of every kind
the election defines) replaces it; an e-mail gives it to the voter at the request's
address (written to the outbox, delivered after the commit), and every platform
client of the election learns that the original identifier no longer works and which
identifier replaces it (:func:`csu.services.webhooks.material_replaced`), in the same
transaction. Credentials are hashed before the write transaction (argon2id takes
~300 ms) and never journalled.

A supervisor's refusal (or a grant the rules turn into one) tells the voter, who is no
longer on the call: a notice on their channel of record, in the same transaction,
delivered after the commit, that the request was refused and their material still
works; the reason stays in the journal and with the cell.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from csu.domain import credentials as creds
from csu.domain import masking, sealing
from csu.domain import substitution as rules
from csu.domain.clock import to_paris
from csu.domain.contacts import parse_typed_email, typed_twice_alike
from csu.domain.election import CREDENTIAL_LABELS, CredentialFormat, ElectionDefinition
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import identity_mismatches, parse_birth_date
from csu.domain.interventions import MAX_NOTE_LENGTH
from csu.domain.mail_domains import likely_typo, refuse_doubtful_domain
from csu.domain.messages import render
from csu.domain.notice_wording import substituted, substitution_refused
from csu.domain.permissions import VERIFY_FIRST
from csu.domain.roles import Role
from csu.domain.text import free_text, multiline_text
from csu.services import webhooks
from csu.services.context import (
    Deps,
    Forbidden,
    NotFound,
    OperatorContext,
    ServiceError,
    journal_refusal_apart,
    journals_refusals,
    require_role,
    retried,
)
from csu.services.credential_text import code_check, refuse_codes
from csu.services.credentials import require_verified_for, stored_hash
from csu.services.elections import get_definition
from csu.services.emargement import substitution_voted
from csu.services.interventions import owned_open, verified_until
from csu.services.notices import notify_change
from csu.services.outbox import STATE_LABELS as MESSAGE_STATE_LABELS
from csu.services.outbox import Outgoing, deliver, enqueue
from csu.services.reasons import typed_reason
from csu.services.sessions import require_live_in, require_live_session
from csu.services.support import phone_for
from csu.store import journal
from csu.store.tables import (
    Credential,
    Intervention,
    Material,
    OutboundMessage,
    SubstitutionItem,
    SubstitutionRequest,
    Voter,
)

REQUESTERS: tuple[Role, ...] = ("agent", "superviseur")
SEAL_PURPOSE = "substitution"
MESSAGE_PURPOSE = "substitution"
REFUSED_TEMPLATE = "substitution_refused_notice"  # the notice of a supervisor's refusal
REVOKE_REASON = "substitution"
MAX_DECISION_LENGTH = 500
RETYPED_DIFFERS = (
    "les deux saisies de l'adresse d'envoi diffèrent : retapez-la telle qu'écrite sur la demande"
)
IDENTIFIER_ATTEMPTS = 5
# The credential acts' refusal (csu.domain.permissions), said for a request.
UNVERIFIED = (
    f"{VERIFY_FIRST.sentence} Une demande de matériel de substitution ne se prend "
    "qu'après le contrôle de l'identité de l'appelant."
)

@dataclass(frozen=True, slots=True)
class SubstitutedMaterial:
    """One material of a request; ``new_identifier`` once granted."""

    capacity: str
    old_identifier: str
    new_identifier: str | None


@dataclass(frozen=True, slots=True)
class SubstitutionView:
    """A request as operators see it: the address masked, never a credential."""

    id: int
    election_id: str
    voter_id: int
    matricule: str
    voter_name: str  # "DUBOIS Victoire"
    intervention_id: str
    state: str  # French label: en attente, accordée, refusée
    reason: str | None  # why it was refused
    requested_by: str
    requested_at: datetime  # aware, Europe/Paris
    decided_by: str | None
    decided_at: datetime | None  # aware, Europe/Paris
    decision_note: str | None  # the supervisor's words
    materials: tuple[SubstitutedMaterial, ...]
    email: str  # masked: "v***@example.fr"
    declared_on: date
    checklist: tuple[str, ...]  # the items ticked
    missing: tuple[str, ...]  # the items not ticked
    identity_match: bool
    notes: str
    # The delivery (French label) of the message just sent: the e-mail of a grant, the
    # notice of a supervisor's refusal.
    message_state: str | None = None
    notice_to: str | None = None  # masked: where the notice of a refusal just went

    @property
    def pending(self) -> bool:
        return self.state == rules.STATE_LABELS[rules.PENDING]


@dataclass(frozen=True, slots=True)
class RequestCheck:
    """Whether the operator's intervention lets a request be taken now, for the form."""

    refusal: str | None  # why not, in French: what to do first
    verified_until: datetime | None  # aware, Europe/Paris; None: not verified (now)

    @property
    def allowed(self) -> bool:
        return self.refusal is None


class RefusalToConfirm(ServiceError):
    """A request the rules would refuse, not stored (``ask_before_refusing``): its
    anomalies, each with what of the request it is about, so that the form asks the
    operator whether to record the refusal or to correct what was typed or ticked."""

    def __init__(
        self, anomalies: Sequence[rules.Anomaly], *, election: str, subject: str
    ) -> None:
        super().__init__(rules.refusal_reason([a.text for a in anomalies]))
        self.anomalies = tuple(anomalies)
        self.election = election
        self.subject = subject


@dataclass(frozen=True, slots=True)
class _NewCredential:
    kind: str
    label: str
    shown: str  # as the e-mail gives it
    scheme: str
    hash: str
    prefix_hash: str | None


@dataclass(frozen=True, slots=True)
class _Prepared:
    """New credentials for each material of a request, hashed before the transaction."""

    kinds: tuple[str, ...]
    credentials: tuple[tuple[_NewCredential, ...], ...]  # one tuple per material


@dataclass(frozen=True, slots=True)
class TypedIdentity:
    """The name, first name and date of birth as the signed request gives them (seed
    000), typed by the agent: compared with the roll, never taken from it."""

    last_name: str
    first_name: str
    birth_date: str | date  # « jj/mm/aaaa » as typed, or a date

    def checked(self, today: date) -> tuple[str, str, date]:
        """The three values, a French InvalidValue for an empty or malformed one."""
        last = " ".join(free_text(self.last_name, "Nom").split())
        first = " ".join(free_text(self.first_name, "Prénom").split())
        if not last:
            raise InvalidValue("Nom", "recopiez le nom porté sur la demande signée")
        if not first:
            raise InvalidValue("Prénom", "recopiez le prénom porté sur la demande signée")
        born = self.birth_date
        if not isinstance(born, date):
            born = parse_birth_date(born, today)
        return last, first, born


def _mismatch_reason(fields: Sequence[str]) -> str:
    """« Le nom et la date de naissance de la demande signée diffèrent de la liste
    électorale. »"""
    articles = {"nom": "le nom", "prénom": "le prénom", "date de naissance": "la date de naissance"}
    named = [articles[f] for f in fields]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " et " + named[-1]
    verb = "diffère" if len(named) == 1 else "diffèrent"
    return f"{listed[:1].upper()}{listed[1:]} de la demande signée {verb} de la liste électorale."


# ------------------------------------------------------------------------ use cases


@retried
def request_substitution(
    deps: Deps,
    who: OperatorContext,
    intervention_id: str,
    material_ids: Iterable[int],
    *,
    checklist: Mapping[str, bool],
    email: str,
    email_again: str,
    declared_on: date,
    notes: str = "",
    identity: TypedIdentity | None = None,
    identity_match: bool | None = None,
    domain_confirmed: bool = False,
    ask_before_refusing: bool = False,
) -> SubstitutionView:
    """Records a request for the voter of the operator's open intervention.

    Returns it refused (stored, journalled, with the reason) on any anomaly: election
    without substitution or closed, declared before the election's date, checklist
    item missing, identity not matching, material used to vote or no longer active.
    Raises for what is no request at all: bad address, material unknown or not the
    voter's, a request already pending for one of the materials. Raises too when the
    caller's identity is not verified in the intervention (or the verification lapsed,
    or misses the factors the election's ``verification_for`` demands for the
    credentials the new material carries): the refusal is journalled (« refusée »),
    nothing of the request is stored, and the sentence says to verify first.

    ``email_again``: the address typed a second time; one that differs (« gmial.com »
    once) is refused, nothing stored: the new material would go to a stranger. So is an
    address whose domain looks like a typo (« gmail.con »), unless the agent read it back
    and confirmed it (``domain_confirmed``).

    ``identity``: the name, first name and date of birth typed from the signed request,
    compared with the roll (accents and case aside); a difference refuses the request,
    its reason naming what differs. ``identity_match`` is the former ticked box, for
    callers not yet typing them: one of the two is required.

    ``ask_before_refusing`` (the terminal's form): a request the rules would refuse is
    not stored, its anomalies journalled apart (``substitution_check``, refused);
    :class:`RefusalToConfirm` names them, and
    the operator corrects the form or sends it again without the flag to record the
    refusal (a box left unticked, a typo in a name, became a refusal at once)."""
    require_role(deps, who, *REQUESTERS)
    typed = identity.checked(to_paris(deps.clock()).date()) if identity is not None else None
    if typed is None and identity_match is None:
        raise InvalidValue(
            "Identité", "saisissez les nom, prénom et date de naissance de la demande signée"
        )
    address = parse_typed_email(email)  # typed from the request, where the material goes
    if not typed_twice_alike(email, email_again):  # typed twice: a typo sends it elsewhere
        raise InvalidValue("Adresse d'envoi retapée", RETYPED_DIFFERS)
    if not domain_confirmed:  # typed twice the same, « gmail.con » still goes astray
        refuse_doubtful_domain(address, "Adresse d'envoi")
    notes = masking.mask_personal_data(multiline_text(notes, "Notes").strip())
    if len(notes) > MAX_NOTE_LENGTH:
        raise InvalidValue("Notes", f"{MAX_NOTE_LENGTH} caractères au plus")
    wanted = _material_ids(material_ids)
    now = deps.clock()
    rules.check_declared_on(declared_on, to_paris(now).date())
    with deps.reading() as session:
        row = session.get(Intervention, intervention_id)
        definition = get_definition(session, row.election_id) if row and row.election_id else None
    prepared = None
    if definition is not None and _granted_at_once(definition):
        prepared = _prepare(deps, definition, len(wanted))
    message_id: list[int] | None = None
    unverified: str | None = None
    try:
        with deps.writing() as session:
            row = owned_open(session, who, intervention_id)
            definition = get_definition(session, row.election_id or "")
            answers = rules.checklist_answers(definition.substitution.checklist, checklist)
            voter = _voter(session, row.voter_id)
            refuse_codes(notes, "Les notes", "une note",
                         code_check(deps, session, voter.id, definition.id))  # fmt: skip
            materials = _locked_materials(session, row, wanted)
            # Read under the intervention's lock, as the credential acts read theirs.
            unverified = verification_refusal(definition, row, now)
            if unverified is not None:
                _journal_unverified(session, who, row, voter, materials, unverified, now)
            else:
                view, message_id = _take(
                    session, deps, who, row, definition, voter, materials, wanted,
                    answers=answers, typed=typed, identity_match=identity_match,
                    address=address, declared_on=declared_on, notes=notes,
                    prepared=prepared, now=now,
                    doubted=domain_confirmed and likely_typo(address) is not None,
                    ask_before_refusing=ask_before_refusing,
                )  # fmt: skip
    except RefusalToConfirm as asked:
        # Each form found wanting leaves its trace, as a refusal recorded did: else a
        # request could be sent again and again, a box ticked or a date changed, until
        # it passed, unseen (the review).
        journal_refusal_apart(
            deps, who, "substitution_check",
            {"intervention": intervention_id, "anomalies": [a.text for a in asked.anomalies]},
            election=asked.election, subject=asked.subject,
        )  # fmt: skip
        raise
    if unverified is not None:
        raise ServiceError(unverified)  # journalled above, committed
    return _delivered(deps, who, view, message_id)


def _take(
    session: Session,
    deps: Deps,
    who: OperatorContext,
    row: Intervention,
    definition: ElectionDefinition,
    voter: Voter,
    materials: Sequence[Material],
    wanted: Sequence[int],
    *,
    answers: dict[str, bool],
    typed: tuple[str, str, date] | None,
    identity_match: bool | None,
    address: str,
    declared_on: date,
    notes: str,
    prepared: "_Prepared | None",
    now: datetime,
    doubted: bool = False,
    ask_before_refusing: bool = False,
) -> tuple[SubstitutionView, list[int] | None]:
    """The request of a verified call, in ``request_substitution``'s transaction: stored
    refused with its anomalies (or, ``ask_before_refusing``, not stored:
    :class:`RefusalToConfirm`), or pending, or granted at once; its view and the
    messages to deliver after the commit."""
    message_id: list[int] | None = None
    _refuse_if_pending(session, wanted)
    mismatches = (
        identity_mismatches(typed, (voter.last_name, voter.first_name, voter.birth_date))
        if typed is not None
        else []
    )
    if typed is not None:
        identity_match = not mismatches
    assert identity_match is not None
    faults = rules.request_anomalies(
        definition,
        now,
        declared_on=declared_on,
        checklist=answers,
        # A typed identity's difference is said below, naming the fields.
        identity_match=identity_match or bool(mismatches),
        materials=[_facts(session, definition, m) for m in materials],
    )
    if mismatches:
        faults.append(
            rules.Anomaly(_mismatch_reason(mismatches), rules.AT_IDENTITY, tuple(mismatches))
        )
    if faults and ask_before_refusing:
        # Rolled back: nothing stored; request_substitution journals the question apart.
        raise RefusalToConfirm(faults, election=definition.id, subject=voter.pseudonym)
    anomalies = [fault.text for fault in faults]
    request = SubstitutionRequest(
        election_id=definition.id,
        voter_id=voter.id or 0,
        intervention_id=row.id,
        checklist=json.dumps(answers, ensure_ascii=False),
        identity_match=identity_match,
        email_sealed=None if anomalies else sealing.seal(deps.key, SEAL_PURPOSE, address),
        email_masked=masking.mask_email(address),
        declared_on=declared_on,
        notes=notes or None,
        state=rules.REFUSED if anomalies else rules.PENDING,
        reason=rules.refusal_reason(anomalies) if anomalies else None,
        requested_by=who.login,
        requested_at=now,
    )
    if anomalies:
        request.decided_by, request.decided_at = who.login, now
    session.add(request)
    session.flush()
    items = [SubstitutionItem(request_id=request.id or 0, material_id=m.id or 0)
             for m in materials]
    session.add_all(items)
    at_once = not anomalies and not definition.substitution.requires_approval
    journal.append(
        session,
        actor=who.actor,
        action="substitution_request",
        outcome=rules.STATE_LABELS[rules.GRANTED if at_once else request.state],
        at=now,
        election=definition.id,
        subject=voter.pseudonym,
        intervention=row.id,
        details={
            "request": request.id,
            # By number, as the API's batches: an identifier may be an e-mail address,
            # and the journal outlives the purge of the material's identifier.
            "materials": [m.id for m in materials],
            "checklist_missing": [item for item, ticked in answers.items() if not ticked],
            "identity_match": identity_match,
            "declared_on": declared_on.isoformat(),
            "recipient": request.email_masked,
            "reason": request.reason,
            "requires_approval": definition.substitution.requires_approval,
            # A doubtful domain the agent confirmed (domain_confirmed): for an auditor.
            **({"domain_doubted": True} if doubted else {}),
        },
    )
    if at_once:
        if prepared is None or prepared.kinds != definition.credential_kinds:
            raise ServiceError(
                "La définition du scrutin a changé pendant la demande : recommencez."
            )
        message_id = _grant(
            session, deps, who, request, items, materials, definition, voter,
            prepared, address, now,
        )
    view = _view(session, request)
    return view, message_id


def pending_substitutions(deps: Deps, who: OperatorContext) -> list[SubstitutionView]:
    """The requests waiting for a supervisor's decision, oldest first (journalled when
    there is any: the views name voters)."""
    require_role(deps, who, "superviseur")
    now = deps.clock()
    with deps.writing() as session:
        require_live_in(session, who)
        requests = session.execute(
            select(SubstitutionRequest)
            .where(SubstitutionRequest.state == rules.PENDING)
            .order_by(SubstitutionRequest.requested_at, SubstitutionRequest.id)  # type: ignore[arg-type]
        ).scalars().all()
        views = [_view(session, request) for request in requests]
        if views:
            journal.append(
                session,
                actor=who.actor,
                action="substitution_list",
                outcome="ok",
                at=now,
                details={"requests": [view.id for view in views]},
            )
    return views


@journals_refusals
@retried
def decide_substitution(
    deps: Deps, who: OperatorContext, request_id: int, approve: bool, reason: str
) -> SubstitutionView:
    """A supervisor other than the request's author grants or refuses a pending
    request, saying why. Granting is refused (stored, with the reason) when the
    election closed or a material was used to vote since the request."""
    require_role(deps, who, "superviseur")
    reason = typed_reason(reason, maximum=MAX_DECISION_LENGTH)
    now = deps.clock()
    with deps.reading() as session:
        require_live_in(session, who)
        request = session.get(SubstitutionRequest, request_id)
        if request is None:
            raise NotFound("Demande de matériel de substitution introuvable.")
        _check_decidable(request, who)
        refuse_codes(reason, "Le motif", "un motif",
                     code_check(deps, session, request.voter_id, request.election_id))  # fmt: skip
        definition = get_definition(session, request.election_id)
        count = len(_items(session, request_id))
    prepared = _prepare(deps, definition, count) if approve else None
    message_id: list[int] | None = None
    with deps.writing() as session:
        require_live_in(session, who)
        request = session.execute(
            select(SubstitutionRequest)
            .where(SubstitutionRequest.id == request_id)
            .with_for_update()
        ).scalar_one()
        _check_decidable(request, who)
        definition = get_definition(session, request.election_id)
        voter = _voter(session, request.voter_id)
        items = _items(session, request_id)
        materials = _lock(session, [item.material_id for item in items])
        anomalies = (
            rules.grant_anomalies(
                definition, now, [_facts(session, definition, m) for m in materials]
            )
            if approve
            else []
        )
        request.decision_note = reason
        notice: OutboundMessage | None = None  # of a refusal
        if approve and not anomalies:
            if prepared is None or prepared.kinds != definition.credential_kinds:
                raise ServiceError(
                    "La définition du scrutin a changé pendant la décision : recommencez."
                )
            if request.email_sealed is None:
                raise ServiceError("Adresse de la demande illisible : refusez la demande.")
            address = sealing.unseal(deps.key, SEAL_PURPOSE, request.email_sealed)
            message_id = _grant(
                session, deps, who, request, items, materials, definition, voter,
                prepared, address, now,
            )
        else:
            request.state = rules.REFUSED
            request.reason = rules.refusal_reason(anomalies) if anomalies else reason
            request.decided_by, request.decided_at = who.login, now
            request.email_sealed = None
            session.add(request)
            notice = _notify_refusal(session, deps, who, request, materials, definition, voter,
                                     now)  # fmt: skip
            message_id = [notice.id or 0] if notice is not None else None
            journal.append(
                session,
                actor=who.actor,
                action="substitution_refuse",
                outcome=rules.STATE_LABELS[rules.REFUSED],
                at=now,
                election=request.election_id,
                subject=voter.pseudonym,
                intervention=request.intervention_id,
                details={
                    "request": request.id,
                    "materials": [m.id for m in materials],
                    "requested_by": request.requested_by,
                    "approval_asked": approve,
                    "reason": request.reason,
                    "note": reason,
                    "notice": notice.id if notice is not None else None,
                },
            )
        view = _view(session, request)
        if notice is not None:
            view = replace(view, notice_to=notice.recipient_masked)
    return _delivered(deps, who, view, message_id)


def _notify_refusal(
    session: Session,
    deps: Deps,
    who: OperatorContext,
    request: SubstitutionRequest,
    materials: Sequence[Material],
    definition: ElectionDefinition,
    voter: Voter,
    now: datetime,
) -> OutboundMessage | None:
    """The voter learns that a supervisor refused their request, once they left the
    call: on their channel of record (the professional address, else the mobile), as the
    grant's notice goes; not at the address the request typed, which may be someone
    else's (nothing went there: it is erased with the decision). The material as the
    voter knows it, never the supervisor's reason (free text written for the journal):
    the notice says to call the cell to learn it. None when the voter has no channel."""
    return notify_change(
        session,
        deps,
        who,
        voter,
        definition,
        what=substitution_refused((m.identifier, m.capacity) for m in materials),
        used=None,
        intervention_id=request.intervention_id,
        now=now,
        template=REFUSED_TEMPLATE,
    )


def request_check(deps: Deps, who: OperatorContext, intervention_id: str) -> RequestCheck:
    """Whether the operator's open intervention lets a request be taken now: what the
    form says before anything is typed (read without a lock and not journalled: it
    names nothing of the voter; :func:`request_substitution` checks again in its own
    transaction)."""
    require_role(deps, who, *REQUESTERS)
    now = deps.clock()
    with deps.reading() as session:
        row = session.get(Intervention, intervention_id)
        if row is None or row.operator_login != who.login or row.closed_at is not None:
            return RequestCheck(
                "Aucune intervention ouverte sur cet électeur : ouvrez-en une pour cet appel.",
                None,
            )
        definition = get_definition(session, row.election_id or "")
        until = verified_until(row, now)
        return RequestCheck(
            verification_refusal(definition, row, now), to_paris(until) if until else None
        )


def verification_refusal(
    definition: ElectionDefinition, row: Intervention, now: datetime
) -> str | None:
    """Why a request may not be taken in ``row`` yet, or None: the caller's identity
    verified in the call and still valid (``verified_until``, as every credential act
    reads it), with the factors the election demands (``verification_for``) for each
    credential the new material carries."""
    if verified_until(row, now) is None:
        return UNVERIFIED
    for kind in definition.credential_kinds:
        try:
            require_verified_for(definition, row, kind)
        except ServiceError as refused:
            return str(refused)
    return None


def _journal_unverified(
    session: Session,
    who: OperatorContext,
    row: Intervention,
    voter: Voter,
    materials: Sequence[Material],
    reason: str,
    now: datetime,
) -> None:
    """A request on a call whose caller is not verified: refused before anything of it
    is read or stored, journalled (« refusée », no request number) so that the review
    sees the attempt, as a verification of a locked voter is."""
    journal.append(
        session,
        actor=who.actor,
        action="substitution_request",
        outcome=rules.STATE_LABELS[rules.REFUSED],
        at=now,
        election=row.election_id,
        subject=voter.pseudonym,
        intervention=row.id,
        details={
            "request": None,
            "materials": [m.id for m in materials],
            "verified": False,
            "reason": reason,
        },
    )


def get_substitution(deps: Deps, who: OperatorContext, request_id: int) -> SubstitutionView:
    """One request, for its author or a supervisor (nothing personal beyond the masked
    address and what the author already saw: not journalled)."""
    require_role(deps, who, *REQUESTERS)
    require_live_session(deps, who)
    with deps.reading() as session:
        request = session.get(SubstitutionRequest, request_id)
        if request is None or (who.role != "superviseur" and request.requested_by != who.login):
            raise NotFound("Demande de matériel de substitution introuvable.")
        return _view(session, request)


# ----------------------------------------------------------------------- granting


def _granted_at_once(definition: ElectionDefinition) -> bool:
    return definition.substitution.enabled and not definition.substitution.requires_approval


def _prepare(deps: Deps, definition: ElectionDefinition, count: int) -> _Prepared:
    """New credentials of every kind the election defines, for ``count`` materials."""
    kinds = definition.credential_kinds
    per_material = []
    for _ in range(count):
        issued = []
        for kind in kinds:
            fmt = definition.credentials[kind]
            value = creds.generate(fmt)
            scheme, digest, prefix_hash = stored_hash(deps, fmt, kind, value)
            issued.append(
                _NewCredential(
                    kind=kind,
                    label=CREDENTIAL_LABELS.get(kind, kind),
                    shown=_shown(fmt, value),
                    scheme=scheme,
                    hash=digest,
                    prefix_hash=prefix_hash,
                )
            )
        per_material.append(tuple(issued))
    return _Prepared(kinds=kinds, credentials=tuple(per_material))


def _shown(fmt: CredentialFormat, value: str) -> str:
    """Grouped with dashes as on a notice, unless a dash could belong to the value."""
    return value if "-" in fmt.alphabet else creds.display(fmt, value)


def _grant(
    session: Session,
    deps: Deps,
    who: OperatorContext,
    request: SubstitutionRequest,
    items: Sequence[SubstitutionItem],
    materials: Sequence[Material],
    definition: ElectionDefinition,
    voter: Voter,
    prepared: _Prepared,
    address: str,
    now: datetime,
) -> list[int]:
    """Replaces the request's materials, queues the e-mail and the notice to the
    voter's registered channel, journals; returns the message ids to deliver after the
    commit (the e-mail with the material first)."""
    fmt = definition.substitution.identifier
    assert fmt is not None  # grant_anomalies / request_anomalies refuse otherwise
    by_id = {m.id: m for m in materials}
    replaced: list[dict[str, object]] = []
    given: list[rules.NewMaterial] = []
    for item, credentials in zip(items, prepared.credentials, strict=True):
        old = by_id[item.material_id]
        old.status = "substituted"
        session.add(old)
        revoked = _revoke_all(session, old.id or 0, who, now)
        session.flush()  # the active-capacity index must see the original replaced
        new = _new_material(session, old, fmt, now)
        for credential in credentials:
            session.add(
                Credential(
                    material_id=new.id or 0,
                    kind=credential.kind,
                    scheme=credential.scheme,
                    hash=credential.hash,
                    prefix_hash=credential.prefix_hash,
                    issued_at=now,
                    issued_by=who.login,
                    intervention_id=request.intervention_id,
                )
            )
        item.new_material_id = new.id
        session.add(item)
        webhooks.material_replaced(
            session, deps, who.actor, old=old, new=new,
            shown={c.kind: c.shown for c in credentials}, now=now,
        )  # fmt: skip
        replaced.append(
            {"capacity": old.capacity, "old": old.id, "new": new.id, "revoked": revoked}
        )
        given.append(
            rules.NewMaterial(
                capacity=new.capacity,
                identifier=new.identifier,
                credentials=tuple((c.label, c.shown) for c in credentials),
            )
        )
    request.state = rules.GRANTED
    request.reason = None
    request.decided_by, request.decided_at = who.login, now
    request.email_sealed = None  # the outbox keeps its own sealed copy until delivery
    session.add(request)
    subject, body = render(
        definition.messages,
        MESSAGE_PURPOSE,
        sender=definition.sender_name,
        materials=rules.materials_text(given),
        support_phone=phone_for(definition, voter),  # their CCIL, else the cell's number
    )
    queued = enqueue(
        session,
        deps,
        who,
        voter,
        Outgoing(
            purpose=MESSAGE_PURPOSE,
            channel="email",
            recipient=address,
            recipient_masked=request.email_masked,
            subject=subject,
            body=body,
            sender_name=definition.sender_name,
            typed_recipient=True,
        ),
        election_id=request.election_id,
        intervention_id=request.intervention_id,
        now=now,
        limited=False,  # granted after checks (and approval): never blocked by a limit
    )
    journal.append(
        session,
        actor=who.actor,
        action="substitution_grant",
        outcome="ok",
        at=now,
        election=request.election_id,
        subject=voter.pseudonym,
        intervention=request.intervention_id,
        details={
            "request": request.id,
            "requested_by": request.requested_by,
            "approved": request.requested_by != who.login,
            "materials": replaced,
            "credentials": list(prepared.kinds),
            "message": queued.id,
            "recipient": request.email_masked,
            "note": request.decision_note,
        },
    )
    notice = notify_change(
        session,
        deps,
        who,
        voter,
        definition,
        what=substituted(
            (
                (original.identifier, original.capacity)
                for original in (by_id[item.material_id] for item in items)
            ),
            request.email_masked,
        ),
        used=None,
        intervention_id=request.intervention_id,
        now=now,
        avoid=address,
    )
    return [queued.id or 0] + ([notice.id or 0] if notice is not None else [])


def _draw_identifier(fmt: CredentialFormat) -> str:
    return creds.generate(fmt)


def _new_material(
    session: Session, old: Material, fmt: CredentialFormat, now: datetime
) -> Material:
    """The replacing material, with a new identifier (drawn again on the rare clash
    with an identifier of the election: uq_material_identifier)."""
    for _ in range(IDENTIFIER_ATTEMPTS):
        identifier = _draw_identifier(fmt)
        new = Material(
            election_id=old.election_id,
            voter_id=old.voter_id,
            capacity=old.capacity,
            identifier=identifier,
            bureau_code=old.bureau_code,
            status="active",
            replaces_id=old.id,
            created_at=now,
            scrutins=old.scrutins,  # the same scrutins as the material it replaces
        )
        try:
            with session.begin_nested():
                session.add(new)
        except IntegrityError:
            taken = session.execute(
                select(Material.id).where(
                    Material.election_id == old.election_id, Material.identifier == identifier
                )
            ).first()
            if taken is None:
                raise
            continue
        return new
    raise ServiceError(
        "Impossible de tirer un identifiant de vote libre : réessayez, ou vérifiez le "
        "format d'identifiant du scrutin."
    )


def _revoke_all(
    session: Session, material_id: int, who: OperatorContext, now: datetime
) -> list[int]:
    active = session.execute(
        select(Credential).where(
            Credential.material_id == material_id, Credential.status == "active"
        )
    ).scalars().all()
    for credential in active:
        credential.status = "revoked"
        credential.revoked_at = now
        credential.revoked_by = who.login
        credential.revoke_reason = REVOKE_REASON
        session.add(credential)
    return [credential.id or 0 for credential in active]


# ----------------------------------------------------------------------- helpers


def _material_ids(material_ids: Iterable[int]) -> list[int]:
    wanted = list(dict.fromkeys(material_ids))
    if not wanted:
        raise InvalidValue("Matériel concerné", "indiquez au moins un numéro d'électeur")
    return wanted


def _voter(session: Session, voter_id: int | None) -> Voter:
    voter = session.get(Voter, voter_id) if voter_id is not None else None
    if voter is None:
        raise NotFound("Électeur introuvable.")
    return voter


def _lock(session: Session, material_ids: Sequence[int]) -> list[Material]:
    """The materials, locked for the transaction, in the order given."""
    rows = session.execute(
        select(Material)
        .where(Material.id.in_(material_ids))  # type: ignore[union-attr]
        .order_by(Material.id)  # type: ignore[arg-type]
        .with_for_update()
    ).scalars().all()
    by_id = {row.id: row for row in rows}
    return [by_id[mid] for mid in material_ids if mid in by_id]


def _locked_materials(
    session: Session, row: Intervention, wanted: Sequence[int]
) -> list[Material]:
    materials = _lock(session, wanted)
    found = {m.id for m in materials}
    unknown = [mid for mid in wanted if mid not in found]
    if unknown:
        raise NotFound("Matériel de vote introuvable.")
    for material in materials:
        if material.voter_id != row.voter_id:
            raise NotFound(
                f"Le matériel {material.identifier} n'appartient pas à l'électeur de "
                "l'intervention."
            )
        if material.election_id != row.election_id:
            raise ServiceError(
                f"Le matériel {material.identifier} relève d'un autre scrutin que "
                "l'intervention."
            )
    return materials


def _refuse_if_pending(session: Session, material_ids: Sequence[int]) -> None:
    # The materials' items first (a material has a handful of requests), then those
    # requests by primary key, pending ones only: one statement driven by ``state =
    # 'pending'`` walked every pending request of the cell and probed its items, on both
    # databases (on PostgreSQL with first-day statistics, 1,640 pages at 1,000 pending
    # requests, 16,346 at 10,000: tests/services/test_busy_cell_substitution.py).
    items = session.execute(
        select(SubstitutionItem.request_id, Material.identifier)
        .join(Material, Material.id == SubstitutionItem.material_id)  # type: ignore[arg-type]
        .where(SubstitutionItem.material_id.in_(material_ids))  # type: ignore[attr-defined]
    ).all()
    identifiers = dict(items)
    pending = session.execute(
        select(SubstitutionRequest.id)
        .where(
            SubstitutionRequest.id.in_(list(identifiers)),  # type: ignore[union-attr]
            SubstitutionRequest.state == rules.PENDING,
        )
        .order_by(SubstitutionRequest.id)  # type: ignore[arg-type]
        .limit(1)
    ).scalar_one_or_none() if identifiers else None
    waiting = None if pending is None else (pending, identifiers[pending])
    if waiting is not None:
        raise ServiceError(
            f"Une demande de matériel de substitution (n° {waiting[0]}) attend déjà la "
            f"décision d'un superviseur pour le matériel {waiting[1]}."
        )


def _check_decidable(request: SubstitutionRequest, who: OperatorContext) -> None:
    if request.state != rules.PENDING:
        raise ServiceError(
            f"Cette demande est déjà {rules.STATE_LABELS.get(request.state, request.state)} : "
            "seule une demande en attente peut être décidée."
        )
    if request.requested_by == who.login:
        raise Forbidden(
            "Principe des quatre yeux : un autre superviseur que l'auteur de la demande "
            "doit la décider."
        )


def _items(session: Session, request_id: int) -> list[SubstitutionItem]:
    return list(
        session.execute(
            select(SubstitutionItem)
            .where(SubstitutionItem.request_id == request_id)
            .order_by(SubstitutionItem.id)  # type: ignore[arg-type]
        ).scalars().all()
    )


def _facts(
    session: Session, definition: ElectionDefinition, material: Material
) -> rules.MaterialFacts:
    """What the rules need of a material (locked): its émargement read now, under the
    election's rule (by default, refused once any of its scrutins is voted)."""
    voted = substitution_voted(session, definition, material)
    return rules.MaterialFacts(
        identifier=material.identifier,
        status=material.status,
        voted=bool(voted),
        voted_in=voted if definition.scrutins else (),  # an implicit scrutin goes unnamed
    )


def _view(session: Session, request: SubstitutionRequest) -> SubstitutionView:
    session.flush()
    items = _items(session, request.id or 0)
    ids = [item.material_id for item in items] + [
        item.new_material_id for item in items if item.new_material_id is not None
    ]
    materials = {
        m.id: m
        for m in session.execute(
            select(Material).where(Material.id.in_(ids))  # type: ignore[union-attr]
        ).scalars()
    }
    voter = session.get(Voter, request.voter_id)
    answers: dict[str, bool] = json.loads(request.checklist)
    return SubstitutionView(
        id=request.id or 0,
        election_id=request.election_id,
        voter_id=request.voter_id,
        matricule=voter.matricule if voter else "",
        voter_name=f"{voter.last_name.upper()} {voter.first_name}" if voter else "",
        intervention_id=request.intervention_id,
        state=rules.STATE_LABELS.get(request.state, request.state),
        reason=request.reason,
        requested_by=request.requested_by,
        requested_at=to_paris(request.requested_at),
        decided_by=request.decided_by,
        decided_at=to_paris(request.decided_at) if request.decided_at else None,
        decision_note=request.decision_note,
        materials=tuple(
            SubstitutedMaterial(
                capacity=materials[item.material_id].capacity,
                old_identifier=materials[item.material_id].identifier,
                new_identifier=(
                    materials[item.new_material_id].identifier
                    if item.new_material_id is not None
                    else None
                ),
            )
            for item in items
        ),
        email=request.email_masked,
        declared_on=request.declared_on,
        checklist=tuple(item for item, ticked in answers.items() if ticked),
        missing=tuple(item for item, ticked in answers.items() if not ticked),
        identity_match=request.identity_match,
        notes=request.notes or "",
    )


def _delivered(
    deps: Deps, who: OperatorContext, view: SubstitutionView, message_ids: list[int] | None
) -> SubstitutionView:
    """Delivers the e-mail of a grant (and its notice), after its commit; the view says
    how the e-mail went."""
    if not message_ids:
        return view
    state = deliver(deps, message_ids, who.actor)[message_ids[0]]
    return replace(view, message_state=MESSAGE_STATE_LABELS.get(state, state))
