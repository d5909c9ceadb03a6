"""A supervisor sets aside a contact of the roll that is no longer the voter's: a mobile
reassigned to someone else, the address of a former post. Until the organiser's next
roll, the cell would otherwise keep sending that stranger one-time codes, links and
notices, and take their calls for the voter's (the caller's number).

Setting aside erases the field (the voter file then shows none, and the agent takes a
number or address the caller gives, as for a voter without one) and, in the same
transaction, stops what was on its way to it: the one-time codes sent there expire, the
links sent there are voided (the platform refuses them) and the messages not yet out are
abandoned. Journalled (``contact_set_aside``): the field, the value masked, the reason and
what was stopped. A roll imported again with the same value brings it back: the
organiser's roll stays the source of the contacts.
"""

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlmodel import col

from csu.domain import masking
from csu.domain.contact_fields import CONTACT_FIELD_LABELS, CONTACT_FIELDS, ROUTES
from csu.domain.permissions import Situation
from csu.services.context import Deps, NotFound, OperatorContext, ServiceError, enforce, retried
from csu.services.credential_text import refuse_codes, voter_check
from csu.services.outbox import abandon_to_record
from csu.services.reasons import typed_reason
from csu.services.sessions import require_live_in
from csu.services.voters import UNKNOWN_VOTER
from csu.store import journal
from csu.store.tables import LinkToken, OneTimeCode, OutboundMessage, Voter


@dataclass(frozen=True, slots=True)
class SetAside:
    """What setting a contact aside stopped: the value as the file showed it (masked),
    and how many codes expired, links were voided and messages abandoned."""

    masked: str
    codes: int
    links: int
    messages: int


@retried
def set_contact_aside(
    deps: Deps, who: OperatorContext, voter_id: int, field: str, reason: str
) -> SetAside:
    """Erase ``field`` (one of ``CONTACT_FIELDS``) of the voter, for a supervisor giving a
    reason, and stop what was on its way to it (see the module)."""
    enforce("set_aside", Situation(who.role), deps=deps, who=who)
    if field not in CONTACT_FIELDS:
        allowed = ", ".join(CONTACT_FIELD_LABELS[name] for name in CONTACT_FIELDS)
        raise ServiceError(f"Ce champ ne peut pas être écarté (champs possibles : {allowed}).")
    reason = typed_reason(reason)
    now = deps.clock()
    with deps.writing() as session:
        require_live_in(session, who)
        voter = session.get(Voter, voter_id, with_for_update=True)
        if voter is None:
            raise NotFound(UNKNOWN_VOTER)
        refuse_codes(reason, "Le motif", "un motif", voter_check(deps, session, voter_id))
        value = getattr(voter, field)
        if not value:
            raise NotFound(f"Aucun {CONTACT_FIELD_LABELS[field]} enregistré pour cet électeur.")
        masked = masking.mask_email(value) if field == "email_pro" else masking.mask_phone(value)
        setattr(voter, field, None)
        voter.updated_at = now
        session.add(voter)
        codes = links = 0
        abandoned: list[int] = []
        route = ROUTES.get(field)
        if route is not None:
            codes = len(
                session.execute(
                    update(OneTimeCode)
                    .where(
                        col(OneTimeCode.voter_id) == voter_id,
                        col(OneTimeCode.factor) == route.factor,
                        col(OneTimeCode.used_at).is_(None),
                        col(OneTimeCode.expires_at) > now,
                    )
                    .values(expires_at=now)
                    .returning(col(OneTimeCode.id))
                ).all()
            )
            sent_there = select(OutboundMessage.link_token_id).where(
                col(OutboundMessage.voter_id) == voter_id,
                col(OutboundMessage.channel) == route.channel,
                col(OutboundMessage.typed_recipient).is_(False),
                col(OutboundMessage.link_token_id).is_not(None),
            )
            links = len(
                session.execute(
                    update(LinkToken)
                    .where(
                        col(LinkToken.voter_id) == voter_id,
                        col(LinkToken.id).in_(sent_there),
                        col(LinkToken.used_at).is_(None),
                        col(LinkToken.voided_at).is_(None),
                        col(LinkToken.expires_at) > now,
                    )
                    .values(voided_at=now)
                    .returning(col(LinkToken.id))
                ).all()
            )
            abandoned = abandon_to_record(session, who, voter_id, route.channel, now)
        journal.append(
            session,
            actor=who.actor,
            action="contact_set_aside",
            outcome="ok",
            at=now,
            subject=voter.pseudonym,
            details={
                "field": field,
                "was": masked,
                "reason": reason,
                "codes_expired": codes,
                "links_voided": links,
                "messages_abandoned": len(abandoned),
            },
        )
    return SetAside(masked=masked, codes=codes, links=links, messages=len(abandoned))
