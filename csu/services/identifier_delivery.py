"""Sending a voter their identifier (S7, voter without notice).

After the caller's identity is verified (NUMEN + département of birth, or whatever
the election's policy asks), the identifier of a material goes to the professional
address on record, or to a personal address the agent typed twice (both must match;
nothing can be changed afterwards: a new send is a new message). The agent then
issues a password: shown once and read out, or, where the election says so (men-2011,
seed 003: « le mot de passe sera affiché à l'écran »), shown on the voter's own screen
by a one-time link (:func:`csu.services.vote_codes.send_password_link`).

The election's file must let the identifier go by e-mail (``[delivery.identifier]``);
with ``address_final`` (seed 003: « en cas d'erreur de saisie il ne sera plus possible
d'en changer »), once a personal address was confirmed for the identifier, it goes
there only: the agent types it again, compared with the keyed hash the outbox kept.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from csu.domain import masking
from csu.domain.alerts import contact_hash
from csu.domain.contacts import parse_typed_email, typed_twice_alike
from csu.domain.election import ElectionDefinition, route_refusal
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import parse_email
from csu.domain.mail_domains import likely_typo, professional_refusal, refuse_doubtful_domain
from csu.domain.messages import render
from csu.domain.permissions import Situation
from csu.services.context import (
    Deps,
    Forbidden,
    OperatorContext,
    ServiceError,
    enforce,
    journals_refusals,
    retried,
)
from csu.services.interventions import usable_material
from csu.services.outbox import STATE_LABELS, Outgoing, deliver, enqueue
from csu.services.support import phone_for
from csu.store import journal
from csu.store.tables import OutboundMessage, Voter

PRO = "pro"
PERSONAL = "personal"


@dataclass(frozen=True, slots=True)
class IdentifierSent:
    recipient: str  # masked
    identifier: str
    delivery: str  # "envoyé", "en attente"...


@journals_refusals
@retried
def send_identifier(
    deps: Deps,
    who: OperatorContext,
    intervention_id: str,
    material_id: int,
    *,
    to: str,
    address: str = "",
    confirm: str = "",
    domain_confirmed: bool = False,
) -> IdentifierSent:
    """Sends the material's identifier to the professional address on record
    (``to="pro"``) or to a personal address typed twice (``to="personal"``), whose
    domain, if it looks like a typo (« gmail.con »), the agent confirmed with the voter
    (``domain_confirmed``): it cannot be changed afterwards."""
    enforce("identifier", Situation(who.role), deps=deps, who=who)
    now = deps.clock()
    with deps.writing() as session:
        row, material, voter, definition = usable_material(
            session, who, intervention_id, material_id, now, "identifier"
        )
        refused = route_refusal(definition, "identifier", "email")
        if refused is not None:
            raise Forbidden(refused)
        recipient, typed = _recipient(voter, to, address, confirm)
        refused = typed and professional_refusal(
            recipient, definition.professional_domains, "l'identifiant"
        )
        if refused:
            raise ServiceError(refused)
        if typed and not domain_confirmed:
            refuse_doubtful_domain(recipient, "Adresse personnelle")
        if definition.route_of("identifier").address_final:
            _require_same_address(session, deps, voter, definition, recipient, typed)
        masked = masking.mask_email(recipient)
        subject, body = render(
            definition.messages,
            "identifier",
            sender=definition.sender_name,
            identifier=material.identifier,
            support_phone=phone_for(definition, voter),
        )
        message = enqueue(
            session,
            deps,
            who,
            voter,
            Outgoing(
                purpose="identifier",
                channel="email",
                recipient=recipient,
                recipient_masked=masked,
                subject=subject,
                body=body,
                sender_name=definition.sender_name,
                typed_recipient=typed,
            ),
            election_id=definition.id,
            intervention_id=row.id,
            now=now,
        )
        journal.append(
            session,
            actor=who.actor,
            action="identifier_send",
            outcome="ok",
            at=now,
            election=definition.id,
            subject=voter.pseudonym,
            intervention=row.id,
            details={"material": material.id, "to": to, "recipient": masked,
                     # A doubtful domain the agent confirmed (domain_confirmed): for an auditor.
                     **({"domain_doubted": True} if typed and likely_typo(recipient) else {})},
        )  # fmt: skip
        message_id, identifier = message.id or 0, material.identifier
    state = deliver(deps, [message_id], who.actor)[message_id]
    return IdentifierSent(masked, identifier, STATE_LABELS.get(state, state))


def _recipient(voter: Voter, to: str, address: str, confirm: str) -> tuple[str, bool]:
    if to == PRO:
        if not voter.email_pro:
            raise ServiceError("Aucune adresse professionnelle enregistrée pour cet électeur.")
        return parse_email(voter.email_pro), False
    if to != PERSONAL:
        raise InvalidValue("Destinataire", "adresse professionnelle ou personnelle")
    # A personal address is confirmed for good (address_final): one a relay would
    # refuse (SMTPUTF8) is refused now, not found out after (issue L5).
    first = parse_typed_email(address)
    if not typed_twice_alike(first, confirm):
        raise InvalidValue("Adresse personnelle", "les deux saisies diffèrent : retapez-les")
    return first, True


def confirmed_address_hash(session: Session, voter: Voter, election_id: str) -> str | None:
    """The keyed hash of the first personal address the voter's identifier was sent to
    in this election (None: none was confirmed, or the data were purged)."""
    return session.execute(
        select(OutboundMessage.recipient_hash)
        .where(
            OutboundMessage.voter_id == voter.id,
            OutboundMessage.election_id == election_id,
            OutboundMessage.purpose == "identifier",
            OutboundMessage.typed_recipient.is_(True),  # type: ignore[attr-defined]
            OutboundMessage.recipient_hash.is_not(None),  # type: ignore[union-attr]
        )
        .order_by(OutboundMessage.id)  # type: ignore[arg-type]
        .limit(1)
    ).scalar_one_or_none()


# An identifier message in these states went out or is on its way (the outbox retries
# a pending one); a failed one waits for a resend, an abandoned one never went.
_ON_ITS_WAY = ("pending", "sending", "sent")


def identifier_sent(
    session: Session, voter: Voter, election_id: str, recipient_hash: str | None
) -> bool:
    """Whether the voter's identifier went out (or is on its way) in this election to
    the personal address of keyed hash ``recipient_hash``, or, with None, to the
    professional address on record. Per voter and election: the message does not name
    its material, and an election that sends identifiers (men-2011) has one capacity."""
    query = select(col(OutboundMessage.id)).where(
        col(OutboundMessage.voter_id) == voter.id,
        col(OutboundMessage.election_id) == election_id,
        col(OutboundMessage.purpose) == "identifier",
        col(OutboundMessage.state).in_(_ON_ITS_WAY),
    )
    if recipient_hash is None:
        query = query.where(col(OutboundMessage.typed_recipient).is_(False))
    else:
        query = query.where(col(OutboundMessage.recipient_hash) == recipient_hash)
    return session.execute(query.limit(1)).first() is not None


def _require_same_address(
    session: Session,
    deps: Deps,
    voter: Voter,
    definition: ElectionDefinition,
    recipient: str,
    typed: bool,
) -> None:
    """Once the voter confirmed another address for the identifier, it cannot change."""
    confirmed = confirmed_address_hash(session, voter, definition.id)
    if confirmed is None:
        return
    if not typed or contact_hash(deps.key, "email", recipient) != confirmed:
        raise ServiceError(
            "L'électeur a déjà confirmé une autre adresse pour son identifiant : elle ne "
            "peut plus être changée. L'identifiant ne repart qu'à cette adresse, tapée de "
            "nouveau ; invitez l'électeur à regarder dans ses courriels indésirables."
        )
