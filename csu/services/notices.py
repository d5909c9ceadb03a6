"""Notices to voters: after every change of a credential or of material, the voter is
told on a channel of record other than the one the change used (a notice to the
professional address after an SMS link, an SMS after a change made by e-mail), with
what was done, when, and whom to call if it was not them: the voter's CCIL for a CCI
voter, and every number of the election's file at the end (the outbox adds them to
every message: csu.services.support).

Notices are written in the transaction of the change (a notice never announces a
change that did not happen) and do not count towards the per-voter limits of
messages: those limit what agents send, and a notice must never block a change.

A one-time link changes nothing until it is opened: :func:`notify_link_requested` says
that a link was asked for and is on its way, under its own subject (« Demande de lien à
usage unique »), never that it arrived; the change itself gets its notice when the link
is opened (issue L1).
"""

from datetime import datetime

from sqlmodel import Session

from csu.domain import masking
from csu.domain.clock import to_paris
from csu.domain.election import ElectionDefinition
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import parse_email, parse_mobile
from csu.domain.messages import render
from csu.domain.notice_wording import VOIDED, link_requested
from csu.services.context import Deps, OperatorContext
from csu.services.outbox import Outgoing, enqueue
from csu.services.support import phone_for
from csu.store.journal import Actor
from csu.store.tables import OutboundMessage, Voter

# How the change reached the voter: the notice avoids that channel.
USED_PRO_EMAIL = "email_pro"
USED_SMS = "sms"
# The outbox purpose of every notice, whatever its wording: notices are never limited
# (csu.services.outbox.UNLIMITED_PURPOSE).
PURPOSE = "notice"
LINK_TEMPLATE = "link_notice"
VOIDED_TEMPLATE = "link_voided_notice"  # a link voided by wrong answers on its page


def notify_change(
    session: Session,
    deps: Deps,
    who: OperatorContext | Actor,
    voter: Voter,
    definition: ElectionDefinition,
    *,
    what: str,
    used: str | None,
    intervention_id: str | None,
    now: datetime,
    avoid: str | None = None,
    template: str = PURPOSE,
) -> OutboundMessage | None:
    """Queues the notice of a change (``what``: « votre clé de sécurité a été
    remplacée »), avoiding the channel ``used`` and the recipient ``avoid`` (a number
    or address typed for the change); None when the voter has no other channel of
    record. ``template``: the wording (csu.domain.messages), « notice » by default."""
    target = _target(voter, used, avoid)
    if target is None:
        return None
    channel, recipient, masked = target
    subject, body = render(
        definition.messages,
        template,
        sender=definition.sender_name,
        what=what,
        when=f"{to_paris(now):%d/%m/%Y à %H:%M}",
        support_phone=phone_for(definition, voter),  # their CCIL, else the cell's number
    )
    return enqueue(
        session,
        deps,
        who,
        voter,
        Outgoing(
            purpose=PURPOSE,
            channel=channel,
            recipient=recipient,
            recipient_masked=masked,
            subject=subject,
            body=body,
            sender_name=definition.sender_name,
        ),
        election_id=definition.id,
        intervention_id=intervention_id,
        now=now,
        limited=False,
    )


def notify_link_requested(
    session: Session,
    deps: Deps,
    who: OperatorContext | Actor,
    voter: Voter,
    definition: ElectionDefinition,
    *,
    kind: str,
    recipient_masked: str,
    avoid: str,
    intervention_id: str | None,
    now: datetime,
) -> OutboundMessage | None:
    """Queues the notice that a one-time link showing ``kind`` (vote_code, password) was
    asked for and is being sent to ``recipient_masked``: « … a été demandé ; il vous est
    envoyé à … ». Worded as a request, since the link may never arrive and nothing
    changes until it is opened; on a channel of record other than ``avoid`` (the
    number or address typed for the link)."""
    return notify_change(
        session, deps, who, voter, definition,
        what=link_requested(kind, recipient_masked),
        used=None, intervention_id=intervention_id, now=now, avoid=avoid,
        template=LINK_TEMPLATE,
    )  # fmt: skip


def notify_link_voided(
    session: Session,
    deps: Deps,
    who: OperatorContext | Actor,
    voter: Voter,
    definition: ElectionDefinition,
    *,
    kind: str,
    intervention_id: str | None,
    now: datetime,
) -> OutboundMessage | None:
    """Queues the notice that a one-time link showing ``kind`` was voided on its page by
    wrong identity answers: whoever opened it did not know them; the voter waiting for
    it calls for a new one, or reports it."""
    return notify_change(
        session, deps, who, voter, definition,
        what=VOIDED[kind], used=None, intervention_id=intervention_id, now=now,
        template=VOIDED_TEMPLATE,
    )  # fmt: skip


def _target(voter: Voter, used: str | None, avoid: str | None) -> tuple[str, str, str] | None:
    avoided = (avoid or "").casefold()
    if used != USED_PRO_EMAIL and voter.email_pro:
        try:
            address = parse_email(voter.email_pro)
            if address.casefold() != avoided:
                return "email", address, masking.mask_email(address)
        except InvalidValue:
            pass
    if used != USED_SMS and voter.phone_mobile:
        try:
            e164 = parse_mobile(voter.phone_mobile).e164
            if e164 != avoid:
                return "sms", e164, masking.mask_phone(e164)
        except InvalidValue:
            pass
    return None
