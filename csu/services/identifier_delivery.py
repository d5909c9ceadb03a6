"""Sending a voter their identifier (S7, voter without notice).

After the caller's identity is verified (NUMEN + département of birth, or whatever
the election's policy asks), the identifier of a material goes to the professional
address on record, or to a personal address the agent typed twice (both must match;
nothing can be changed afterwards: a new send is a new message). The agent then
issues a password (:func:`csu.services.credentials.issue_credential`), shown once.
"""

from dataclasses import dataclass

from csu.domain import masking
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import parse_email
from csu.domain.messages import render
from csu.services.context import Deps, OperatorContext, ServiceError, require_role, retried
from csu.services.interventions import usable_material
from csu.services.outbox import STATE_LABELS, Outgoing, deliver, enqueue
from csu.store import journal
from csu.store.tables import Voter

PRO = "pro"
PERSONAL = "personal"


@dataclass(frozen=True, slots=True)
class IdentifierSent:
    recipient: str  # masked
    identifier: str
    delivery: str  # "envoyé", "en attente"...


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
) -> IdentifierSent:
    """Sends the material's identifier to the professional address on record
    (``to="pro"``) or to a personal address typed twice (``to="personal"``)."""
    require_role(who, "agent", "superviseur")
    now = deps.clock()
    with deps.writing() as session:
        row, material, voter, definition = usable_material(
            session, who, intervention_id, material_id, now
        )
        recipient, typed = _recipient(voter, to, address, confirm)
        masked = masking.mask_email(recipient)
        subject, body = render(
            definition.messages,
            "identifier",
            sender=definition.sender_name,
            identifier=material.identifier,
            support_phone=definition.support_phone,
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
            details={"material": material.id, "to": to, "recipient": masked},
        )
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
    first = parse_email(address)
    try:
        second = parse_email(confirm)
    except InvalidValue:
        second = None
    # Both typings normalised the same way, compared ignoring case (lower(), not
    # casefold(): that would take "straße" and "strasse" for one address).
    if second is None or first.lower() != second.lower():
        raise InvalidValue("Adresse personnelle", "les deux saisies diffèrent : retapez-les")
    return first, True
