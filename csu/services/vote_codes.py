"""Vote-code reissue by one-time link (S6, Éducation nationale 2022), and the password
shown on the voter's screen by one-time link (S7, Éducation nationale 2011).

After the caller's identity is verified, the agent sends a one-time link by SMS to a
mobile or by e-mail to a personal address, which must differ from the professional
address on record. The number or address typed is used for that message only: the
outbox keeps it sealed until delivery, then erases it; the journal keeps it masked.

The link carries a random token of 192 bits, valid ``link_validity_minutes``; only
its keyed hash is stored, and sending a new link voids the previous one. Its message
expires with the link (the outbox never delivers it after), and a link voided by a
newer one has its message still waiting abandoned, never delivered. Redeeming
it (:func:`redeem_link`, what the voting platform does when the voter opens the
link; ``csu token redeem`` for tests and demos) issues the new vote code, to be
shown once for ``code_display_seconds``.

The election's file must let that kind go by link (``[delivery]``); a link is never
honoured past the election's ``timings.links_until`` (seed 003: « jusqu'au 20
octobre »). :func:`send_password_link` sends the password link by e-mail to the address
the identifier went to (seed 003): the professional one on record, or the personal one
confirmed for the identifier, which the agent types again and cannot change; and not
before the identifier went there (seed 003: identity, identifier, then password).

A link may ask the voter to prove who they are on its own page before it shows
anything (``redeem_factors`` of ``[delivery.KIND]``; seed 003: « Vous saisissez votre
NUMEN et sélectionnez les 6ème et 7ème caractères de votre carte Vitale (Dpt de
naissance) puis validez »). The redeem must then carry those answers: missing ones are
refused (:class:`IdentityIncomplete`) with nothing counted; they are compared with the
roll exactly as the phone verification compares them (csu.services.verification);
wrong ones are refused (:class:`IdentityRefused`) without spending the link, each one
journalled (the factors' names, never their values) and counted, and
``redeem_failures_limit`` of them (3, the cell's policy) void the link.
"""

import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from csu.domain import credentials as creds
from csu.domain import masking
from csu.domain.alerts import contact_hash
from csu.domain.answer_formats import refuse_malformed_answers
from csu.domain.clock import to_paris
from csu.domain.contacts import typed_twice_alike
from csu.domain.election import (
    CREDENTIAL_LABELS,
    CredentialRoute,
    ElectionDefinition,
    link_expiry,
    route_refusal,
)
from csu.domain.errors import InvalidValue
from csu.domain.hashing import keyed_hash
from csu.domain.identifiers import parse_email, parse_mobile
from csu.domain.mail_domains import likely_typo, professional_refusal, refuse_doubtful_domain
from csu.domain.messages import duration, identity_asked, render
from csu.domain.notice_wording import REDEEMED
from csu.domain.permissions import Situation
from csu.domain.verification import FACTOR_LABELS, refuse_hidden_characters
from csu.services.context import (
    Deps,
    Forbidden,
    NotFound,
    OperatorContext,
    ServiceError,
    enforce,
    journals_refusals,
    retried,
)
from csu.services.credentials import (
    IssuedCredential,
    NewCredential,
    new_credential,
    require_verified_for,
    store_credential,
)
from csu.services.elections import get_definition
from csu.services.emargement import require_reissuable
from csu.services.interventions import require_open_election, usable_material
from csu.services.notices import notify_change, notify_link_requested, notify_link_voided
from csu.services.outbox import STATE_LABELS, Outgoing, abandon_links, deliver, enqueue
from csu.services.support import phone_for
from csu.services.verification import (
    NOT_VERIFIED,
    VERIFIED,
    check_factor,  # the phone's own comparison
)
from csu.store import journal
from csu.store.journal import Actor
from csu.store.tables import Intervention, JournalEntry, LinkToken, Material, Voter

TOKEN_PURPOSE = "link_token"
KIND = "vote_code"
PLATFORM = Actor(operator="plateforme", role=None, workstation=None)
INVALID_LINK = "Lien invalide, déjà utilisé, remplacé par un plus récent ou expiré."
PASSWORD = "password"
# The password link's message (the vote-code one has its template in csu.domain.messages).
# Seed 003: the identifier is e-mailed first, then the password shows by the link.
IDENTIFIER_FIRST = (
    "Envoyez d'abord l'identifiant (ctrl+d) : le lien du mot de passe ne part qu'après "
    "lui, à la même adresse. Aucun identifiant n'est parti à cette adresse pour cette "
    "élection (jamais envoyé, ou envoi en échec : renvoyez-le)."
)


class LinkUnknown(NotFound):
    """No link has this token (the API answers 404)."""


class LinkGone(ServiceError):
    """The link exists but can no longer serve: used, voided by a newer one, expired,
    or its material can no longer vote (the API answers 410)."""

    def __init__(self, message: str, election: str, material: int) -> None:
        super().__init__(message)
        self.election = election
        self.material = material


class IdentityIncomplete(InvalidValue):
    """The link's page asks for identity factors the redeem did not carry, or got some
    it does not ask for: ``faults`` holds (factor, French message) for each (the API's
    422 names them ``identity.<factor>``). Nothing is counted, the link is untouched."""

    def __init__(self, fault: str, faults: Sequence[tuple[str, str]]) -> None:
        super().__init__("Identité", fault)
        self.faults = list(faults)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(factor for factor, message in self.faults if message == MISSING)


class IdentityRefused(Forbidden):
    """Wrong answers on the link's page (the API answers 403): journalled and counted;
    the link still serves until ``limit`` of them, then it is void (``voided``)."""

    def __init__(self, message: str, failures: int, limit: int, voided: bool) -> None:
        super().__init__(message)
        self.failures = failures
        self.limit = limit
        self.voided = voided


class AnswerMalformed(InvalidValue):
    """An answer typed on the link's page holds a control or invisible character
    (:func:`refuse_hidden_characters`), or is of the wrong shape (a NUMEN of 2
    characters: ``refuse_malformed_answers``), its field named by the factor's French
    name: a format error, said before any comparison, nothing counted; three of them
    voided the link as wrong answers. ``election``: the link's,
    for the journal."""

    def __init__(self, refused: InvalidValue, election: str, *, quotes: bool = False) -> None:
        super().__init__(refused.field, refused.fault)
        self.election = election
        # What the journal keeps of it: a shape's fault may quote what was typed (« le
        # 31/02/1980 n'existe pas »), kept as « format incorrect » (``quotes``).
        self.journalled = f"{refused.field} : format incorrect" if quotes else str(refused)


ADDRESS_FIELD = "Adresse personnelle"  # the link's, typed twice
MISSING = "champ obligatoire absent"
UNEXPECTED = "non demandé par ce lien"
LINK_CHANNEL = "link"  # the journal's « channel » of a check made on a link's page


@dataclass(frozen=True, slots=True)
class LinkSent:
    channel: str  # sms, email
    recipient: str  # masked
    expires_at: datetime  # aware, Europe/Paris
    delivery: str  # "envoyé", "en attente"...


@journals_refusals
@retried
def send_vote_code_link(
    deps: Deps,
    who: OperatorContext,
    intervention_id: str,
    material_id: int,
    channel: str,
    recipient: str,
    *,
    confirm: str = "",
    domain_confirmed: bool = False,
) -> LinkSent:
    """Sends a one-time link to reissue the vote code of a material. An address
    (``channel="email"``) is typed twice, ``confirm`` the second typing: nobody can read
    it back once sent, and a typo sends the new vote code to a stranger. One whose
    domain looks like a typo (« gmail.con ») goes only once the agent read it back to
    the voter and confirmed it (``domain_confirmed``)."""
    enforce("vote_code_link", Situation(who.role), deps=deps, who=who)
    now = deps.clock()
    with deps.writing() as session:
        row, material, voter, definition = usable_material(
            session, who, intervention_id, material_id, now, "vote_code_link"
        )
        _require_route(definition, KIND)
        require_verified_for(definition, row, KIND)
        address, masked = _typed_recipient(
            voter, definition, channel, recipient, confirm, domain_confirmed=domain_confirmed
        )
        message_id, expires, notice_id = _send_link(
            session, deps, who, row.id, material, voter, definition,
            kind=KIND, channel=channel, address=address, masked=masked, typed=True, now=now,
            doubted=channel == "email" and likely_typo(address) is not None,
        )  # fmt: skip
    ids = [message_id] + ([notice_id] if notice_id else [])
    states = deliver(deps, ids, who.actor)
    state = states[ids[0]]
    return LinkSent(channel, masked, to_paris(expires), STATE_LABELS.get(state, state))


@journals_refusals
@retried
def send_password_link(
    deps: Deps,
    who: OperatorContext,
    intervention_id: str,
    material_id: int,
    address: str = "",
) -> LinkSent:
    """Sends by e-mail a one-time link that shows a new password on the voter's screen
    (men-2011). It goes where the identifier went: to the professional address on
    record, or, once the voter confirmed another address for the identifier, to that
    one only, which ``address`` must repeat."""
    enforce("identifier", Situation(who.role), deps=deps, who=who)
    now = deps.clock()
    with deps.writing() as session:
        row, material, voter, definition = usable_material(
            session, who, intervention_id, material_id, now, "identifier"
        )
        _require_route(definition, PASSWORD)
        require_verified_for(definition, row, PASSWORD)
        recipient, typed = _password_recipient(session, deps, voter, definition, address)
        masked = masking.mask_email(recipient)
        message_id, expires, notice_id = _send_link(
            session, deps, who, row.id, material, voter, definition,
            kind=PASSWORD, channel="email", address=recipient, masked=masked, typed=typed,
            now=now,
        )  # fmt: skip
    ids = [message_id] + ([notice_id] if notice_id else [])
    state = deliver(deps, ids, who.actor)[message_id]
    return LinkSent("email", masked, to_paris(expires), STATE_LABELS.get(state, state))


def _send_link(
    session: Session,
    deps: Deps,
    who: OperatorContext,
    intervention_id: str,
    material: Material,
    voter: Voter,
    definition: ElectionDefinition,
    *,
    kind: str,
    channel: str,
    address: str,
    masked: str,
    typed: bool,
    now: datetime,
    doubted: bool = False,
) -> tuple[int, datetime, int | None]:
    """Voids the material's pending links, stores the new token's hash, queues the
    message, journals it and notifies the voter: (message id, expiry, notice id).
    ``doubted``: sent to an address whose domain looked like a typo, the agent having
    confirmed it (said in the entry, for an auditor following a link gone astray)."""
    expires = link_expiry(definition, now)
    if expires <= now:
        until = to_paris(definition.timings.links_until or now)
        raise ServiceError(
            f"Les liens à usage unique de cette élection ne valent plus depuis le "
            f"{until:%d/%m/%Y à %H:%M} : aucun lien ne peut être envoyé."
        )
    voided = session.execute(
        update(LinkToken)
        .where(
            # By the voter's index too: link_token has none on material_id, and the
            # UPDATE read every link of the cell (175 pages at 12,000 links).
            LinkToken.voter_id == voter.id,  # as stored below
            LinkToken.material_id == material.id,
            LinkToken.purpose == kind,
            LinkToken.used_at.is_(None),  # type: ignore[union-attr]
            LinkToken.voided_at.is_(None),  # type: ignore[union-attr]
        )
        .values(voided_at=now)
        .returning(col(LinkToken.id))
    ).scalars().all()
    # Their messages not yet out would bring the voter a dead link, after the new one.
    abandon_links(session, who, voter.id or 0, [i for i in voided if i is not None], now)
    token = _new_token()
    validity = int((expires - now).total_seconds())
    link = LinkToken(
        token_hash=keyed_hash(deps.key, TOKEN_PURPOSE, token),
        purpose=kind,
        voter_id=voter.id or 0,
        material_id=material.id or 0,
        intervention_id=intervention_id,
        created_at=now,
        created_by=who.login,
        expires_at=expires,
    )
    session.add(link)
    session.flush()  # its id, for the message that carries it
    values = {
        "sender": definition.sender_name,
        "link": link_for(definition, token),
        "validity": duration(validity),
        "support_phone": phone_for(definition, voter),  # their CCIL, else the cell's number
    }
    if kind == KIND:
        subject, body = render(definition.messages, "vote_code_link", **values)
    else:
        route = definition.route_of(kind)
        asked = [FACTOR_LABELS.get(factor, factor) for factor in route.redeem_factors]
        identity = identity_asked(asked, route.redeem_failures_limit)
        subject, body = render(definition.messages, "password_link", **values, identity=identity)
    message = enqueue(
        session,
        deps,
        who,
        voter,
        Outgoing(
            purpose="vote_code_link" if kind == KIND else "password_link",
            channel=channel,
            recipient=address,
            recipient_masked=masked,
            subject=subject,
            body=body,
            sender_name=definition.sender_name,
            typed_recipient=typed,
            expires_at=expires,  # a link delivered later could only answer « invalide »
            link_token_id=link.id,
        ),
        election_id=definition.id,
        intervention_id=intervention_id,
        now=now,
    )
    # The link's id, and those it voided: an auditor follows a link from its sending to
    # its use (the redeem's entry names it too) or to the newer link that voided it.
    details: dict[str, object] = {
        "material": material.id,
        "link": link.id,
        "channel": channel,
        "recipient": masked,
        "expires_at": expires.isoformat(),
    }
    if kind != KIND:
        details["kind"] = kind
    if doubted:
        details["domain_doubted"] = True
    if voided:
        details["voided_links"] = sorted(i for i in voided if i is not None)
    journal.append(
        session,
        actor=who.actor,
        action="vote_code_link_send",
        outcome="ok",
        at=now,
        election=definition.id,
        subject=voter.pseudonym,
        intervention=intervention_id,
        details=details,
    )
    # The typed number or address may not be the voter's: the notice goes elsewhere.
    notice = notify_link_requested(
        session, deps, who, voter, definition, kind=kind, recipient_masked=masked,
        avoid=address, intervention_id=intervention_id, now=now,
    )  # fmt: skip
    return message.id or 0, expires, (notice.id or 0) if notice else None


@retried
def redeem_link(
    deps: Deps,
    token: str,
    *,
    answers: Mapping[str, str] | None = None,
    actor: Actor = PLATFORM,
    elections: Collection[str] | None = None,
) -> IssuedCredential:
    """What the voting platform does when the voter opens the link: spends the token
    and issues the new vote code (or, for a men-2011 password link, the new password),
    shown once on the voter's screen. ``answers``: what the voter typed on the link's
    page, factor name -> value, when the election's file asks for it
    (``redeem_factors``; men-2011: ``numen`` and ``birth_department``). ``actor`` is
    the platform client that calls (the journal names it); ``elections``, those its key
    reaches (None: any).

    Raises :class:`LinkUnknown`, :class:`LinkGone`, ``Forbidden`` for a link of an
    election out of reach, :class:`AnswerMalformed` for an answer holding a hidden
    character or of the wrong shape, :class:`IdentityIncomplete` for answers missing
    (or not asked), :class:`IdentityRefused` for wrong ones."""
    now = deps.clock()
    given = {name: value for name, value in (answers or {}).items() if value and value.strip()}
    token_hash = keyed_hash(deps.key, TOKEN_PURPOSE, token.strip())
    with deps.reading() as session:
        link = session.execute(
            select(LinkToken).where(LinkToken.token_hash == token_hash)
        ).scalar_one_or_none()
        if link is None:
            raise LinkUnknown(INVALID_LINK)
        material = session.get(Material, link.material_id)
        if material is None:
            raise LinkUnknown(INVALID_LINK)
        if elections is not None and material.election_id not in elections:
            raise Forbidden(
                f"Cette clé d'API ne donne pas accès à l'élection « {material.election_id} »."
            )
        election = material.election_id
        try:  # a format error, as on the phone: nothing counted; the link's election said
            refuse_hidden_characters(given)
        except InvalidValue as refused:
            raise AnswerMalformed(refused, election) from None
        try:
            refuse_malformed_answers(given, to_paris(now).date())
        except InvalidValue as refused:
            raise AnswerMalformed(refused, election, quotes=True) from None
        kind = link.purpose
        stored = get_definition(session, election)
        fmt = stored.credentials.get(kind)
        live = not (link.used_at or link.voided_at or now >= link.expires_at)
    incomplete = _incomplete(stored.route_of(kind), kind, given)
    if live and incomplete is not None:  # asked before a password is even hashed
        raise incomplete
    if fmt is None:
        label = CREDENTIAL_LABELS.get(kind, kind)
        raise LinkGone(f"Ce scrutin n'a pas de {label}.", election, link.material_id)
    new = new_credential(deps, fmt, kind)  # hashed before the lock
    refused: IdentityRefused | None = None
    voided_notice: int | None = None
    with deps.writing() as session:
        link = session.get(LinkToken, link.id, with_for_update=True)
        if link is None or link.used_at or link.voided_at:
            raise LinkGone(INVALID_LINK, election, material.id or 0)
        try:  # before the link's deadline, which never outlives the vote: say why
            voter, material, definition = _usable(
                session, link.voter_id, link.material_id, now, kind
            )
        except ServiceError as error:
            raise LinkGone(str(error), election, link.material_id) from error
        if now >= link.expires_at:
            raise LinkGone(INVALID_LINK, election, material.id or 0)
        route = definition.route_of(kind)
        incomplete = _incomplete(route, kind, given)
        if incomplete is not None:
            raise incomplete
        if route.redeem_factors:  # journalled and counted, whatever the answers
            refused, voided_notice = _check_identity(
                session, deps, actor, link, voter, material, definition, route, given, now
            )
        if refused is None:
            spent = _spend(session, deps, actor, link, voter, material, definition, new, now)
    if refused is not None:  # its entry and its count committed, the link unspent
        if voided_notice is not None:
            deliver(deps, [voided_notice], actor)
        raise refused
    credential_id, identifier, display_seconds, notice_id = spent
    if notice_id is not None:
        deliver(deps, [notice_id], actor)
    return IssuedCredential(
        credential_id=credential_id,
        kind=kind,
        label=CREDENTIAL_LABELS[kind],
        value=new.value,
        display=creds.display(fmt, new.value),
        spelling=tuple(creds.spell(new.value, fmt.alphabet)),
        material_identifier=identifier,
        display_seconds=display_seconds,
    )


def _spend(
    session: Session,
    deps: Deps,
    actor: Actor,
    link: LinkToken,
    voter: Voter,
    material: Material,
    definition: ElectionDefinition,
    new: NewCredential,
    now: datetime,
) -> tuple[int, str, int, int | None]:
    """Spends the link and stores its new credential, with the entry and the voter's
    notice: (credential id, material identifier, display seconds, notice id)."""
    kind = link.purpose
    link.used_at = now
    session.add(link)
    credential, revoked = store_credential(
        session, deps, actor, material, new, now,
        by=actor.operator, intervention_id=link.intervention_id, reason="réassort par lien",
    )  # fmt: skip
    details: dict[str, object] = {
        "material": material.id,
        "link": link.id,
        "credential": credential.id,
        "revoked": revoked,
    }
    if kind != KIND:  # a password shown by link: a credential issued, by the platform
        details |= {"kind": kind, "scheme": new.scheme}
    journal.append(
        session,
        actor=actor,
        action="vote_code_redeem" if kind == KIND else "credential_issue",
        outcome="ok",
        at=now,
        election=definition.id,
        subject=voter.pseudonym,
        intervention=link.intervention_id,
        details=details,
    )
    notice = notify_change(
        session,
        deps,
        actor,
        voter,
        definition,
        what=REDEEMED[kind],
        used=None,
        intervention_id=link.intervention_id,
        now=now,
    )
    return (
        credential.id or 0,
        material.identifier,
        definition.timings.code_display_seconds,
        (notice.id or 0) if notice is not None else None,
    )


def _incomplete(
    route: CredentialRoute, kind: str, given: Mapping[str, str]
) -> IdentityIncomplete | None:
    """What is wrong with the factors a redeem carries for the link's page (``given``,
    blank ones left out): those asked and missing, those given and not asked; None when
    they are exactly those asked."""
    asked = route.redeem_factors
    missing = [factor for factor in asked if factor not in given]
    unexpected = sorted(set(given) - set(asked))
    if not missing and not unexpected:
        return None
    faults = [(factor, MISSING) for factor in missing]
    faults += [(factor, UNEXPECTED) for factor in unexpected]
    label = CREDENTIAL_LABELS.get(kind, kind)
    if missing:
        named = _listed(missing)
        fault = (
            f"validation requise avant d'afficher le {label} : {named} à saisir sur la page "
            "du lien."
        )
    elif asked:
        fault = (
            f"ce lien demande seulement {_listed(asked)} ; non demandé : "
            f"{', '.join(unexpected)}."
        )
    else:
        fault = (
            "ce lien ne demande aucune donnée d'identité ; non demandé : "
            f"{', '.join(unexpected)}."
        )
    return IdentityIncomplete(fault, faults)


def _listed(factors: Sequence[str]) -> str:
    return " et ".join(FACTOR_LABELS.get(factor, factor) for factor in factors)


def _check_identity(
    session: Session,
    deps: Deps,
    actor: Actor,
    link: LinkToken,
    voter: Voter,
    material: Material,
    definition: ElectionDefinition,
    route: CredentialRoute,
    given: Mapping[str, str],
    now: datetime,
) -> tuple[IdentityRefused | None, int | None]:
    """Compares the answers typed on the link's page with the roll, as the phone
    verification does (keyed hashes, constant time, every factor compared), and
    journals the attempt with the factors' names only. A failure is counted against
    the link; ``redeem_failures_limit`` of them void it, and the voter gets a notice
    of it on a channel of record. The refusal (None when they all match) and the
    notice's message id, to deliver once committed."""
    row = session.get(Intervention, link.intervention_id) if link.intervention_id else None
    if row is None:  # every link is sent in an intervention (_send_link)
        raise LinkGone(INVALID_LINK, definition.id, material.id or 0)
    tried = set(route.redeem_factors)
    passed = {
        factor
        for factor in sorted(tried)
        if check_factor(deps, session, row, voter, factor, given[factor], now)
    }
    verified = passed == tried
    failures = 0 if verified else _identity_failures(session, voter, link.id or 0) + 1
    limit = route.redeem_failures_limit
    voided = not verified and failures >= limit
    if voided:
        link.voided_at = now
        session.add(link)
    journal.append(
        session,
        actor=actor,
        action="verification",
        outcome=VERIFIED if verified else NOT_VERIFIED,
        at=now,
        election=definition.id,
        subject=voter.pseudonym,
        intervention=link.intervention_id,
        details={
            "channel": LINK_CHANNEL,
            "link": link.id,
            "material": material.id,
            # Not « kind »: a verification's entry names no kind of code (call_script).
            "link_kind": link.purpose,
            "factors_tried": sorted(tried),
            "factors_failed": sorted(tried - passed),
            "failures": failures or None,
            "failure_limit": limit,
            "link_voided": voided,
        },
    )
    notice = None
    if voided:  # someone without the answers held the link: the voter is told
        notice = notify_link_voided(
            session, deps, actor, voter, definition,
            kind=link.purpose, intervention_id=link.intervention_id, now=now,
        )  # fmt: skip
    if verified:
        return None, None
    return IdentityRefused(
        _refusal(failures, limit, voided, phone_for(definition, voter)), failures, limit, voided
    ), (notice.id if notice is not None else None)


def _identity_failures(session: Session, voter: Voter, link_id: int) -> int:
    """Wrong answers already given on this link's page: its « non vérifié » entries,
    those chained and (PostgreSQL) those still queued for the sequencer, read queued
    first so that one moved in between is counted once, by its event id."""
    found: dict[str, Any] = {}
    for fields in journal.waiting(
        session, action="verification", outcome=NOT_VERIFIED, subject=voter.pseudonym
    ):
        found[fields["event_id"]] = fields.get("details")
    entries = session.execute(
        select(JournalEntry).where(
            col(JournalEntry.action) == "verification",
            col(JournalEntry.outcome) == NOT_VERIFIED,
            col(JournalEntry.subject) == voter.pseudonym,
        )
    ).scalars()
    for entry in entries:
        fields = journal.entry_fields(entry)
        found[fields["event_id"]] = fields.get("details")
    return sum(
        1
        for details in found.values()
        if isinstance(details, dict)
        and details.get("channel") == LINK_CHANNEL
        and details.get("link") == link_id
    )


def _refusal(failures: int, limit: int, voided: bool, phone: str) -> str:
    """What the voter reads after wrong answers: never which one was wrong."""
    rank = "1re" if failures == 1 else f"{failures}e"
    count = f"{rank} erreur sur {limit}" if failures <= limit else f"{rank} erreur"
    if voided:
        return (
            f"Identité non validée ({count}) : ce lien est désormais annulé. Appelez le "
            f"{phone} pour en recevoir un nouveau."
        )
    left = limit - failures
    tries = "essai" if left == 1 else "essais"
    return (
        f"Identité non validée : les réponses ne correspondent pas à la liste électorale "
        f"({count} : encore {left} {tries} avant l'annulation du lien)."
    )


def _new_token() -> str:
    """192 random bits, URL-safe; never starting with "-", which a command line would
    read as an option (``csu token redeem``)."""
    token = secrets.token_urlsafe(24)
    while token.startswith("-"):
        token = secrets.token_urlsafe(24)
    return token


def link_for(definition: ElectionDefinition, token: str) -> str:
    if definition.platform_url:
        return f"{definition.platform_url}/reassort?jeton={token}"
    return f"jeton {token}"


def _require_route(definition: ElectionDefinition, kind: str) -> None:
    """The election lets ``kind`` reach the voter by link, and gives its format."""
    refused = route_refusal(definition, kind, "link")
    if refused is not None:
        raise Forbidden(refused)
    if kind not in definition.credentials:
        label = CREDENTIAL_LABELS.get(kind, kind)
        raise ServiceError(f"Le scrutin {definition.id} n'a pas de {label}.")


def _usable(
    session: Session, voter_id: int, material_id: int, now: datetime, kind: str = KIND
) -> tuple[Voter, Material, ElectionDefinition]:
    """The link's material, still usable when the voter opens it (no operator then)."""
    material = session.get(Material, material_id, with_for_update=True)
    voter = session.get(Voter, voter_id)
    if material is None or voter is None or material.voter_id != voter.id:
        raise ServiceError("Ce matériel n'appartient pas à l'électeur de l'intervention.")
    definition = get_definition(session, material.election_id)
    require_open_election(definition, now)
    _require_route(definition, kind)
    require_reissuable(session, definition, material)  # the same rule as usable_material
    if material.status != "active":
        raise ServiceError("Ce matériel n'est plus actif (substitué ou invalidé).")
    return voter, material, definition


def _typed_recipient(
    voter: Voter,
    definition: ElectionDefinition,
    channel: str,
    typed: str,
    confirm: str = "",
    *,
    domain_confirmed: bool = False,
) -> tuple[str, str]:
    """The mobile or personal address typed for this link (never stored in clear); an
    address typed twice the same (``confirm``), its domain no likely typo unless the
    agent confirmed it."""
    if channel == "sms":
        phone = parse_mobile(typed)
        if phone.e164 == voter.phone_pro:  # « votre smartphone personnel » (seeds 001, 004)
            raise ServiceError(
                "Le numéro saisi est le téléphone professionnel enregistré : le lien doit "
                "partir vers le portable personnel de l'électeur."
            )
        return phone.e164, masking.mask_phone(phone.e164)
    if channel != "email":
        raise InvalidValue("Canal", "SMS ou courriel")
    address = parse_email(typed)
    professional = (voter.email_pro or "").strip().casefold()
    if professional and address.casefold() == professional:
        raise ServiceError(
            "L'adresse saisie est l'adresse professionnelle enregistrée : le lien doit partir "
            "vers une adresse personnelle, différente."
        )
    # Seed 004: « une adresse mail différente de l'adresse ac-dijon.fr »: a mailbox of
    # the employer's domain is not a personal one, whoever's it is.
    domain = professional.rpartition("@")[2]
    if domain and address.casefold().rpartition("@")[2] == domain:
        raise ServiceError(
            f"L'adresse saisie est une adresse de l'employeur ({domain}) : le lien doit partir "
            "vers une adresse personnelle, hors de ce domaine."
        )
    refused = professional_refusal(address, definition.professional_domains, "le lien")
    if refused is not None:
        raise ServiceError(refused)
    # Retyped once it may go (a professional one is refused before it is typed again).
    if not confirm.strip():
        raise InvalidValue(ADDRESS_FIELD, "retapez-la dans le champ de confirmation")
    if not typed_twice_alike(address, confirm):
        raise InvalidValue(ADDRESS_FIELD, "les deux saisies diffèrent : retapez-les")
    if not domain_confirmed:
        refuse_doubtful_domain(address, ADDRESS_FIELD)
    return address, masking.mask_email(address)


def _password_recipient(
    session: Session, deps: Deps, voter: Voter, definition: ElectionDefinition, typed: str
) -> tuple[str, bool]:
    """Where the password link goes: the personal address confirmed for the identifier
    (typed again, compared by keyed hash: it is not kept), else the professional one;
    and only once the identifier went there in this election (seed 003: identity
    validated, then the identifier e-mailed, then the password on screen)."""
    from csu.services.identifier_delivery import confirmed_address_hash, identifier_sent

    confirmed = confirmed_address_hash(session, voter, definition.id)
    if confirmed is not None:
        if not typed.strip():
            raise ServiceError(
                "L'électeur a confirmé une autre adresse pour son identifiant : tapez-la, "
                "le lien part à cette adresse seulement."
            )
        address = parse_email(typed)
        if contact_hash(deps.key, "email", address) != confirmed:
            raise ServiceError(
                "Ce n'est pas l'adresse confirmée par l'électeur pour son identifiant : "
                "elle ne peut plus être changée."
            )
        if not identifier_sent(session, voter, definition.id, confirmed):
            raise ServiceError(IDENTIFIER_FIRST)
        return address, True
    if not voter.email_pro:
        raise ServiceError("Aucune adresse professionnelle enregistrée pour cet électeur.")
    if typed.strip() and parse_email(typed).casefold() != voter.email_pro.strip().casefold():
        raise ServiceError(
            "Le lien part à l'adresse professionnelle enregistrée (l'électeur n'a pas "
            "confirmé d'autre adresse) : laissez le champ vide."
        )
    if not identifier_sent(session, voter, definition.id, None):
        raise ServiceError(IDENTIFIER_FIRST)
    return parse_email(voter.email_pro), False
