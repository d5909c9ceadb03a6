"""The transactional outbox: messages to voters are written in the transaction of the
change they announce (:func:`enqueue`), then delivered after the commit
(:func:`deliver`), retried with backoff (:func:`deliver_due`), and resent on an
operator's request once failed (:func:`resend`).

Delivery never holds a database transaction open while a server answers: a message
is claimed (state ``sending``) in one short transaction, sent, then marked ``sent``
or rescheduled in another. A claim older than ``STALE_CLAIM`` (a workstation that
died mid-send) is retried: a voter may then get a message twice, never none.
Nothing is marked sent that the transport did not accept. A refusal the transport
calls permanent (``PermanentFailure``: an SMTP 5xx, a gateway's 400) fails at once.
Every automatic attempt of a message carries the same idempotency key, so that a
gateway which took it but answered too late can drop the copy; a resend draws a new one.

A message whose content expires (a one-time code, a link: ``Outgoing.expires_at``) is
never delivered after: claimed past its expiry it is given up (``failed``, with a
French reason), and :func:`resend` refuses it. Delivered late (a retry, a gateway
that was down), it says the time it has left, not the whole validity it was written
with (:func:`time_left_said`). A code or link replaced by a newer one
has its message still waiting abandoned (:func:`abandon_codes`, :func:`abandon_links`).
So is, when claimed or resent, a link's message whose material was substituted (or
invalidated) meanwhile, or whose voter has voted since as far as the election's
émargement rule stops reissues: the link would answer 410 (csu.services.vote_codes).

Recipient and body are sealed in the table (a body holds a code, a link or new
material) and erased once the message is delivered or abandoned; operators and the
journal see only the masked recipient. Of what the transport answers, only a short id
or a status is kept (``csu.delivery.storable_reference``), and its errors are fixed
sentences with status codes. The outbox folder's files (the folder transport's copy
of the message) are erased past their retention on each :func:`deliver_due` pass.
"""

import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlmodel import Session, col

from csu.delivery import (
    DeliveryFailed,
    KeepsCopies,
    Message,
    PermanentFailure,
    storable_reference,
)
from csu.domain import scrutins as emargement_rules
from csu.domain import sealing
from csu.domain.alerts import contact_hash
from csu.domain.clock import to_paris
from csu.domain.messages import with_time_left
from csu.domain.roles import MESSAGE_READERS
from csu.services import webhooks
from csu.services.context import (
    Deps,
    NotFound,
    OperatorContext,
    OutcomeUnknown,
    ServiceError,
    StoreBusy,
    require_role,
    retried,
)
from csu.services.elections import get_definition
from csu.services.emargement import material_states
from csu.services.sessions import require_live_in, require_live_session
from csu.services.support import with_support
from csu.store import journal
from csu.store.journal import Actor
from csu.store.prepared import Prepared, session_cursor
from csu.store.retry_pass import due_ids
from csu.store.tables import (
    PENDING_SQL,
    SENDING_SQL,
    LinkToken,
    Material,
    OutboundMessage,
    Voter,
    core_tables,
)

SEAL_PURPOSE = "outbox"
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)  # then doubled: 30 s, 1 min, 2 min, 4 min
STALE_CLAIM = timedelta(minutes=2)
PER_HOUR = 3
PER_DAY = 10
UNLIMITED_PURPOSE = "notice"  # notices of changes never block a change (csu.services.notices)

STATE_LABELS: dict[str, str] = {
    "pending": "en attente",
    "sending": "en cours d'envoi",
    "sent": "envoyé",
    "failed": "échec",
    "abandoned": "abandonné",
}
# The states of a message the outbox will not try again: refused for good, or given up
# (its code or link expired, replaced, already used).
GIVEN_UP = frozenset({STATE_LABELS["failed"], STATE_LABELS["abandoned"]})


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What a service wants to send; ``recipient`` in full (sealed once stored)."""

    purpose: str
    channel: str  # sms, email, post (a letter: csu.services.letters)
    recipient: str
    recipient_masked: str
    subject: str
    body: str
    sender_name: str
    typed_recipient: bool = False
    # When the code or link it carries stops working: never delivered after (None: never).
    expires_at: datetime | None = None
    link_token_id: int | None = None  # the link it carries (abandoned once voided)


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    created_at: datetime  # aware, Europe/Paris
    purpose: str
    channel: str
    recipient: str  # masked
    subject: str
    state: str  # French label
    attempts: int
    last_error: str | None
    sent_at: datetime | None


def _sender(session: Session, outgoing: Outgoing, election_id: str | None) -> str:
    """Who the message is from: an SMS gives its election's ``sms_sender`` (the long
    display name of e-mails would be refused by the gateways), when it has one."""
    if outgoing.channel == "sms" and election_id:
        return get_definition(session, election_id).sms_sender or outgoing.sender_name
    return outgoing.sender_name


def enqueue(
    session: Session,
    deps: Deps,
    who: OperatorContext | Actor,
    voter: Voter,
    outgoing: Outgoing,
    *,
    election_id: str | None,
    intervention_id: str | None,
    now: datetime,
    limited: bool = True,
) -> OutboundMessage:
    """Writes a message in the caller's transaction, within the per-voter limits
    (``PER_HOUR`` and ``PER_DAY`` across agents, counting limited messages only:
    notices of changes are not limited), and journals it."""
    if limited:
        # The voter's row is locked so that two agents cannot both pass the limit.
        session.execute(
            select(Voter.id).where(Voter.id == voter.id).with_for_update(key_share=True)
        )
        _check_limits(session, voter, now, outgoing.purpose)
    actor = who if isinstance(who, Actor) else who.actor
    # Every message tells the voter whom to call (their election's numbers, their CCIL);
    # a letter's PDF carries them itself (csu.services.letters).
    body = (
        outgoing.body
        if outgoing.channel == "post"
        else with_support(session, voter, election_id, outgoing.body, channel=outgoing.channel)
    )
    row = OutboundMessage(
        voter_id=voter.id or 0,
        election_id=election_id,
        intervention_id=intervention_id,
        purpose=outgoing.purpose,
        channel=outgoing.channel,
        recipient_masked=outgoing.recipient_masked,
        recipient_sealed=sealing.seal(deps.key, SEAL_PURPOSE, outgoing.recipient),
        typed_recipient=outgoing.typed_recipient,
        # Comparable across voters for the alerts, without keeping the recipient.
        recipient_hash=(
            contact_hash(deps.key, outgoing.channel, outgoing.recipient)
            if outgoing.typed_recipient
            else None
        ),
        subject=outgoing.subject,
        body_sealed=sealing.seal(
            deps.key, SEAL_PURPOSE, f"{_sender(session, outgoing, election_id)}\n{body}"
        ),
        next_attempt_at=now,
        created_at=now,
        created_by=actor.operator or "",
        expires_at=outgoing.expires_at,
        idempotency_key=_new_key(),
        link_token_id=outgoing.link_token_id,
    )
    session.add(row)
    session.flush()
    journal.append(
        session,
        actor=actor,
        action="message_queue",
        outcome="ok",
        at=now,
        election=election_id,
        subject=voter.pseudonym,
        intervention=intervention_id,
        details={
            "message": row.id,
            "purpose": outgoing.purpose,
            "channel": outgoing.channel,
            "recipient": outgoing.recipient_masked,
            "typed_recipient": outgoing.typed_recipient,
        },
    )
    return row


def deliver(deps: Deps, message_ids: Iterable[int], actor: Actor | None = None) -> dict[int, str]:
    """Delivers these messages now (right after the commit that wrote them); returns
    each one's state (``sent``, ``pending`` for a retry, ``failed``). Not retried as a
    whole: each message's transactions are (``_deliver_one``)."""
    return {mid: _deliver_one(deps, mid, actor) for mid in message_ids}


def deliver_due(deps: Deps, actor: Actor | None = None, limit: int = 50) -> dict[int, str]:
    """Delivers the messages whose next attempt is due, and stale claims; then erases
    the transport's copies past their retention (the outbox folder's files)."""
    now = deps.clock()
    attempt, expires, claimed = (
        col(OutboundMessage.next_attempt_at), col(OutboundMessage.expires_at),
        col(OutboundMessage.claimed_at),
    )  # fmt: skip
    branches = (
        (PENDING_SQL, attempt, attempt <= now),
        # Expired before its next attempt: given up now, not left « en attente ».
        (PENDING_SQL, expires, expires <= now),
        (SENDING_SQL, claimed, claimed < now - STALE_CLAIM),
    )
    with deps.reading() as session:  # branch by branch: csu.store.retry_pass
        due = due_ids(
            session, col(OutboundMessage.id), col(OutboundMessage.state), branches, limit
        )
    states = deliver(deps, due, actor)
    erase_copies(deps)
    # The platforms' credential events share the passes (their own table and states).
    webhooks.deliver_due(deps, actor)
    return states


def erase_copies(deps: Deps, references: Iterable[str] = ()) -> int:
    """Erases what the transport kept of these messages (by reference) and of any past
    its retention: the outbox folder's files hold codes, links and addresses."""
    if isinstance(deps.delivery, KeepsCopies):
        return deps.delivery.erase(references)
    return 0


@retried
def resend(deps: Deps, who: OperatorContext, message_id: int) -> str:
    """A failed message goes out again (now); returns its new state. One whose code or
    link has expired is refused: the voter would get a message that cannot work."""
    require_role(deps, who, "agent", "superviseur")
    now = deps.clock()
    with deps.writing() as session:
        require_live_in(session, who)
        row = session.get(OutboundMessage, message_id, with_for_update=True)
        if row is None:
            raise NotFound("Message introuvable.")
        if row.expires_at is not None and row.expires_at <= now:
            raise ServiceError(_expired_refusal(row.purpose, row.expires_at))
        if row.state != "failed" or row.body_sealed is None:
            raise ServiceError("Seul un message en échec peut être renvoyé.")
        replaced = _replaced(session, row.id or 0, row.voter_id, row.purpose, row.channel,
                             row.intervention_id, row.link_token_id)  # fmt: skip
        if replaced is not None:
            raise ServiceError(f"Message non renvoyé : {replaced}.")
        row.state, row.attempts, row.next_attempt_at = "pending", 0, now
        # A new sending asked by an operator once the cause is fixed: a gateway that
        # kept the refused attempts under the old key must not drop it as a copy.
        row.idempotency_key = _new_key()
        session.add(row)
        _journal(session, who.actor, row, "message_resend", "ok", now, None)
    return deliver(deps, [message_id], who.actor)[message_id]


@retried
def abandon(deps: Deps, who: OperatorContext, message_id: int) -> None:
    """Gives up a message that has not gone out: its recipient and body are erased."""
    require_role(deps, who, "agent", "superviseur")
    now = deps.clock()
    with deps.writing() as session:
        require_live_in(session, who)
        row = session.get(OutboundMessage, message_id, with_for_update=True)
        if row is None:
            raise NotFound("Message introuvable.")
        if row.state in ("sent", "abandoned"):
            raise ServiceError("Ce message n'est plus en attente.")
        row.state = "abandoned"
        row.recipient_sealed = row.body_sealed = None
        session.add(row)
        _journal(session, who.actor, row, "message_abandon", "ok", now, None)


def abandon_codes(
    session: Session,
    who: OperatorContext,
    voter_id: int,
    intervention_id: str,
    channel: str,
    now: datetime,
) -> list[int]:
    """In the caller's transaction (a new code sent): the code messages of this
    intervention (on ``voter_id``) and channel still waiting are abandoned, as only the
    newest code verifies; the voter would read the old one back and count a failure."""
    # By the voter too, whose codes they are: no index holds intervention_id, and on
    # PostgreSQL with first-day statistics the state's index led to every pending or
    # failed message of the cell.
    return _abandon_waiting(
        session,
        who.actor,
        (
            OutboundMessage.voter_id == voter_id,
            OutboundMessage.intervention_id == intervention_id,
            OutboundMessage.purpose == "otp",
            OutboundMessage.channel == channel,
        ),
        CODE_REPLACED,
        now,
    )


def abandon_links(
    session: Session,
    who: OperatorContext,
    voter_id: int,
    link_token_ids: Collection[int],
    now: datetime,
) -> list[int]:
    """In the caller's transaction (a newer link voids these): their messages still
    waiting are abandoned, not delivered (the link would answer « invalide »)."""
    if not link_token_ids:
        return []
    return _abandon_waiting(
        session,
        who.actor,
        (
            OutboundMessage.voter_id == voter_id,
            OutboundMessage.link_token_id.in_(list(link_token_ids)),  # type: ignore[union-attr]
        ),
        LINK_REPLACED,
        now,
    )


def abandon_to_record(
    session: Session, who: OperatorContext, voter_id: int, channel: str, now: datetime
) -> list[int]:
    """In the caller's transaction (a contact of the roll set aside): the voter's messages
    on ``channel`` to their contact of record still waiting are abandoned, not sent to a
    number or address no longer theirs. Those to a contact typed for the delivery stay."""
    return _abandon_waiting(
        session,
        who.actor,
        (
            OutboundMessage.voter_id == voter_id,
            OutboundMessage.channel == channel,
            OutboundMessage.typed_recipient.is_(False),  # type: ignore[attr-defined]
        ),
        CONTACT_SET_ASIDE,
        now,
    )


def list_messages(
    deps: Deps, who: OperatorContext, voter_id: int | None = None, limit: int = 200
) -> list[MessageView]:
    """The latest messages (of one voter), masked; what the outbox screen shows."""
    require_role(deps, who, *MESSAGE_READERS)
    require_live_session(deps, who)  # a disabled account reads nothing more
    with deps.reading() as session:
        query = select(OutboundMessage).order_by(OutboundMessage.id.desc())  # type: ignore[union-attr]
        if voter_id is not None:
            query = query.where(OutboundMessage.voter_id == voter_id)
        rows = session.execute(query.limit(limit)).scalars().all()
        return [
            MessageView(
                id=row.id or 0,
                created_at=to_paris(row.created_at),
                purpose=row.purpose,
                channel=row.channel,
                recipient=row.recipient_masked,
                subject=row.subject,
                state=STATE_LABELS.get(row.state, row.state),
                attempts=row.attempts,
                last_error=row.last_error,
                sent_at=to_paris(row.sent_at) if row.sent_at else None,
            )
            for row in rows
        ]


def resume_text(moment: datetime, now: datetime) -> str:
    """When a refused sending becomes possible, as the agent says it (Paris time, to the
    minute above): ``14:32``, ``demain 09:05``, ``le 14/12 à 09:05``."""
    paris = to_paris(moment)
    if paris.second or paris.microsecond:
        paris += timedelta(minutes=1)
    paris = paris.replace(second=0, microsecond=0)
    days = (paris.date() - to_paris(now).date()).days
    if days <= 0:
        return f"{paris:%H:%M}"
    if days == 1:
        return f"demain {paris:%H:%M}"
    return f"le {paris:%d/%m à %H:%M}"


OTHER_FACTORS = "En attendant, vérifiez l'identité par une autre question, sans code."
"""What an agent may do when no more code can be sent (a limit reached)."""


# ----------------------------------------------------------------------- helpers


def _new_key() -> str:
    """A message's idempotency key: 128 random bits, nothing of the message."""
    return secrets.token_hex(16)


def _check_limits(session: Session, voter: Voter, now: datetime, purpose: str) -> None:
    """``PER_HOUR`` and ``PER_DAY``; a refusal says from when sending is possible again
    and what the agent may do meanwhile."""
    sent = (
        session.execute(
            select(col(OutboundMessage.created_at))
            .where(
                OutboundMessage.voter_id == voter.id,
                OutboundMessage.created_at > now - timedelta(days=1),
                OutboundMessage.purpose != UNLIMITED_PURPOSE,
            )
            .order_by(col(OutboundMessage.created_at))
        )
        .scalars()
        .all()
    )
    in_hour = [moment for moment in sent if moment > now - timedelta(hours=1)]
    if len(in_hour) < PER_HOUR and len(sent) < PER_DAY:
        return
    # Possible again once enough of them are older than the window (and both limits
    # hold: the count in a window only falls while nothing is sent).
    free = now
    if len(in_hour) >= PER_HOUR:
        free = max(free, in_hour[len(in_hour) - PER_HOUR] + timedelta(hours=1))
    if len(sent) >= PER_DAY:
        free = max(free, sent[len(sent) - PER_DAY] + timedelta(days=1))
    meanwhile = (
        OTHER_FACTORS
        if purpose == "otp"
        else "En attendant, proposez le libre-service de la plateforme (voir le script "
        "d'appel) ou de rappeler à cette heure-là."
    )
    said = f"nouvel envoi possible à partir de {resume_text(free, now)} (heure de Paris)"
    if len(in_hour) >= PER_HOUR:
        raise ServiceError(
            f"{PER_HOUR} messages déjà envoyés à cet électeur dans l'heure : {said}. {meanwhile}"
        )
    raise ServiceError(
        f"{PER_DAY} messages déjà envoyés à cet électeur en 24 h : {said}. {meanwhile}"
    )


_LINK_PURPOSES = frozenset({"vote_code_link", "password_link"})
# The messages whose body says how long what they carry works (« valable 2 minutes »).
_TIMED_PURPOSES = _LINK_PURPOSES | {"otp"}
# Sent this long after it was written, a message says the time its code or link has left.
LATE_AFTER = timedelta(seconds=10)


def time_left_said(
    body: str, purpose: str, created: datetime, expires: datetime | None, now: datetime
) -> str:
    """``body`` as sent at ``now``: a code or link sent late (a retry, after a gateway
    was down) says the time it has left (csu.domain.messages.with_time_left), not the
    whole validity written when it was queued, then false."""
    if expires is None or purpose not in _TIMED_PURPOSES or now - created < LATE_AFTER:
        return body
    whole = (expires - created).total_seconds()
    return with_time_left(body, whole, (expires - now).total_seconds())


CODE_REPLACED = "code remplacé par un plus récent : non envoyé"
LINK_REPLACED = "lien remplacé par un plus récent : non envoyé"
CONTACT_SET_ASIDE = "coordonnée écartée par un superviseur : non envoyé"
# The voter's contact of record each channel sends to.
_RECORD_FIELDS: dict[str, Any] = {"sms": col(Voter.phone_mobile), "email": col(Voter.email_pro)}
LINK_USED = "lien déjà utilisé : non envoyé"
MATERIAL_REPLACED = "matériel remplacé avant l'envoi : lien non envoyé"
MATERIAL_INVALIDATED = "matériel invalidé avant l'envoi : lien non envoyé"
ALREADY_VOTED = "l'électeur a déjà voté : lien non envoyé"
NO_SCRUTIN = "le matériel ne donne plus accès à aucun scrutin : lien non envoyé"


def _replaced(
    session: Session,
    message_id: int,
    voter_id: int,
    purpose: str,
    channel: str,
    intervention_id: str | None,
    link_token_id: int | None,
) -> str | None:
    """Why this message's code or link no longer works though it has not expired (a
    newer code sent on the same channel in the same call; its link voided or used, its
    material substituted or invalidated, or voted as far as the election's rule stops
    reissues), or None: the voter would read back a dead code, counted as a failure, or
    open a dead link (410)."""
    if purpose == "otp" and intervention_id is not None:
        newer = session.execute(
            select(col(OutboundMessage.id)).where(
                # The message's voter, the intervention's: no index holds intervention_id,
                # and without it PostgreSQL read the whole table for each code delivered.
                OutboundMessage.voter_id == voter_id,
                OutboundMessage.intervention_id == intervention_id,
                OutboundMessage.purpose == "otp",
                OutboundMessage.channel == channel,
                col(OutboundMessage.id) > message_id,
            ).limit(1)
        ).first()
        if newer is not None:
            return CODE_REPLACED
    if link_token_id is not None:
        token = session.get(LinkToken, link_token_id)
        if token is not None and token.voided_at is not None:
            return LINK_REPLACED
        if token is not None and token.used_at is not None:
            return LINK_USED
        if token is not None:
            gone = _material_gone(session, token.material_id)
            if gone is not None:
                return gone
    return _contact_gone(session, message_id, channel)


def _contact_gone(session: Session, message_id: int, channel: str) -> str | None:
    """:data:`CONTACT_SET_ASIDE` for a message to the voter's contact of record that the
    voter no longer has (set aside by a supervisor, or purged): a send that read the
    address just before it was set aside queued its message just after (PostgreSQL)."""
    field = _RECORD_FIELDS.get(channel)
    if field is None:
        return None
    found = session.execute(
        select(col(OutboundMessage.typed_recipient), field)
        .join(Voter, col(Voter.id) == col(OutboundMessage.voter_id))
        .where(col(OutboundMessage.id) == message_id)
    ).first()
    if found is None or found[0] or found[1] is not None:
        return None
    return CONTACT_SET_ASIDE


def _material_gone(session: Session, material_id: int) -> str | None:
    """Why a link to ``material_id`` would answer 410 when opened, as
    csu.services.vote_codes decides it (material no longer active, or the émargement
    rule of its election forbids a reissue), or None."""
    material = session.get(Material, material_id)
    if material is None:
        return None  # unknown material: the link itself answers « invalide »
    if material.status == "substituted":
        return MATERIAL_REPLACED
    if material.status != "active":
        return MATERIAL_INVALIDATED
    definition = get_definition(session, material.election_id)
    states = material_states(session, definition, material)
    if emargement_rules.reissue_refusal(definition.emargement, states) is None:
        return None
    return ALREADY_VOTED if any(state.voted for state in states) else NO_SCRUTIN


def _expired_reason(purpose: str) -> str:
    """The last error of a message given up past its expiry."""
    if purpose == "otp":
        return "code expiré avant l'envoi : envoyez-en un nouveau"
    if purpose in _LINK_PURPOSES:
        return "lien expiré avant l'envoi : envoyez-en un nouveau"
    return "contenu expiré avant l'envoi : message non envoyé"


def _expired_refusal(purpose: str, expired: datetime) -> str:
    """Why :func:`resend` refuses a message past its expiry, and what to do instead."""
    when = f"{to_paris(expired):%d/%m à %H:%M:%S}"
    if purpose == "otp":
        return (
            f"Ce code a expiré le {when} : il ne servirait plus à l'électeur. Envoyez un "
            "nouveau code depuis la vérification d'identité."
        )
    if purpose in _LINK_PURPOSES:
        return (
            f"Ce lien a expiré le {when} : il ne servirait plus à l'électeur. Envoyez un "
            "nouveau lien."
        )
    return f"Ce message a expiré le {when} : il ne peut plus être renvoyé."


def _abandon_waiting(
    session: Session, actor: Actor, where: tuple[Any, ...], reason: str, now: datetime
) -> list[int]:
    """Abandons the messages matching ``where`` that have not gone out (pending, or
    failed and so resendable; one being sent is out of reach): recipient and body
    erased, ``reason`` kept, each journalled. Returns their ids."""
    rows = (
        session.execute(
            select(OutboundMessage)
            .where(*where, OutboundMessage.state.in_(("pending", "failed")))  # type: ignore[attr-defined]
            .order_by(OutboundMessage.id)  # type: ignore[arg-type]
            .with_for_update()
        )
        .scalars()
        .all()
    )
    for row in rows:
        row.state = "abandoned"
        row.recipient_sealed = row.body_sealed = None
        row.last_error = reason
        session.add(row)
        _journal(session, actor, row, "message_abandon", "ok", now, reason)
    return [row.id or 0 for row in rows]


def _deliver_one(deps: Deps, message_id: int, actor: Actor | None) -> str:
    """Claim, send, settle: each transaction retried on its own (``retried``), as the
    change the message announces committed before. A store still out of reach leaves
    the message to :func:`deliver_due` (a claim, once stale): the change stands."""
    actor = actor or Actor(operator="système", role=None, workstation=None)
    try:
        claimed = _claim(deps, message_id, actor)
        if claimed is None:
            return _state(deps, message_id)
    except (StoreBusy, OutcomeUnknown):
        return "pending"
    if isinstance(claimed, str):  # given up: its code or link expired
        return claimed
    message, claim = claimed
    permanent = False
    if deps.delivery is None:
        error: str | None = "aucun moyen d'envoi configuré sur ce poste"
        reference = None
    else:
        try:
            reference, error = storable_reference(deps.delivery.send(message)), None
        except DeliveryFailed as failure:
            reference, error = None, str(failure)
            permanent = isinstance(failure, PermanentFailure)
        except Exception:  # a transport bug must not leave the claim hanging
            reference, error = None, "erreur inattendue du transport"
    try:
        return _settle(deps, message_id, actor, claim, reference, error, permanent)
    except (StoreBusy, OutcomeUnknown):
        return "sending"


@retried
def _claim(deps: Deps, message_id: int, actor: Actor) -> tuple[Message, datetime] | str | None:
    """The message taken for sending: one UPDATE … RETURNING on the driver's cursor
    (a pending message, or a claim gone stale), its row locked by the UPDATE. One past
    its expiry is given up instead, in the same transaction: returns ``failed``."""
    now = deps.clock()
    with deps.writing() as session:
        claimed = _CLAIM.rows_in(session, id=message_id, claiming=now,
                                 stale_before=now - STALE_CLAIM)  # fmt: skip
        if not claimed:
            return None
        [(channel, recipient_sealed, body_sealed, subject, expires, key, purpose,
          intervention_id, link_token_id, voter_id, created)] = claimed  # fmt: skip
        if expires is not None and expires <= now:
            reason = _expired_reason(purpose)
            with session_cursor(session) as (cursor, dialect):
                _EXPIRED.execute(cursor, dialect, id=message_id, error_=reason)
                [found] = _SETTLING.rows(cursor, dialect, id=message_id)
            logged = _Logged(message_id, *found[2:])
            _journal_logged(session, actor, logged, "message_failed", "failed", now, reason)
            return "failed"
        # Replaced while an earlier attempt was under way (a slow gateway), out of reach
        # of abandon_codes/abandon_links then: given up now, before a retry sends it.
        replaced = _replaced(session, message_id, voter_id, purpose, channel,
                             intervention_id, link_token_id)  # fmt: skip
        if replaced is not None:
            with session_cursor(session) as (cursor, dialect):
                _REPLACED.execute(cursor, dialect, id=message_id, error_=replaced)
                [found] = _SETTLING.rows(cursor, dialect, id=message_id)
            logged = _Logged(message_id, *found[2:])
            _journal_logged(session, actor, logged, "message_abandon", "ok", now, replaced)
            return "abandoned"
        recipient = sealing.unseal(deps.key, SEAL_PURPOSE, recipient_sealed)
        sender, _, body = sealing.unseal(deps.key, SEAL_PURPOSE, body_sealed).partition("\n")
        message = Message(
            channel=channel if channel in ("sms", "post") else "email",
            recipient=recipient,
            sender_name=sender,
            subject=subject,
            body=time_left_said(body, purpose, created, expires, now),
            idempotency_key=key,
        )
        return message, now


@retried
def _settle(
    deps: Deps,
    message_id: int,
    actor: Actor,
    claim: datetime,
    reference: str | None,
    error: str | None,
    permanent: bool = False,
) -> str:
    """What came of the sending, on Core statements (every message delivered at once
    runs it: a key issue's notice, a code). A permanent refusal fails at once."""
    now = deps.clock()
    with deps.writing() as session:
        with session_cursor(session) as (cursor, dialect):
            [found] = _SETTLING.rows(cursor, dialect, id=message_id)
            state, claimed_at = found[:2]
            logged = _Logged(message_id, *found[2:])
            still_ours = state == "sending" and claimed_at == claim
            if not still_ours and (error is not None or state == "sent"):
                # Abandoned or retried by another workstation meanwhile: a failure of
                # ours changes nothing; a success is still recorded (the voter got it).
                return state
            attempts = logged.attempts + 1
            if error is None:
                state = "sent"
                _SENT.execute(cursor, dialect, id=message_id, tries=attempts, sending=now,
                              got=reference)  # fmt: skip
                logged = logged._replace(attempts=attempts, reference=reference)
                _journal_logged(session, actor, logged, "message_sent", "ok", now, None)
            else:
                state = "failed" if permanent or attempts >= MAX_ATTEMPTS else "pending"
                retry = None if state == "failed" else now + FIRST_RETRY * 2 ** (attempts - 1)
                _FAILED.execute(cursor, dialect, id=message_id, tries=attempts, new_state=state,
                                error_=error[:500], retry=retry)  # fmt: skip
                logged = logged._replace(attempts=attempts)
                _journal_logged(session, actor, logged, "message_failed", state, now, error)
        return state


(_message, _voter) = core_tables(OutboundMessage, Voter)
_CLAIM = Prepared(lambda: update(_message).where(
    _message.c.id == bindparam("id"),
    _message.c.recipient_sealed.is_not(None),
    _message.c.body_sealed.is_not(None),
    or_(_message.c.state == "pending", and_(
        _message.c.state == "sending", _message.c.claimed_at < bindparam("stale_before"),
    )),
).values(
    state="sending", claimed_at=bindparam("claiming", type_=_message.c.claimed_at.type),
).returning(
    _message.c.channel, _message.c.recipient_sealed, _message.c.body_sealed, _message.c.subject,
    _message.c.expires_at, _message.c.idempotency_key, _message.c.purpose,
    _message.c.intervention_id, _message.c.link_token_id, _message.c.voter_id,
    _message.c.created_at,
))  # fmt: skip
_SETTLING = Prepared(lambda: select(
    _message.c.state, _message.c.claimed_at,
    # what the entry names (_Logged, after the message's id)
    _message.c.purpose, _message.c.recipient_masked, _message.c.attempts, _message.c.reference,
    _message.c.election_id, _message.c.intervention_id,
    select(_voter.c.pseudonym).where(_voter.c.id == _message.c.voter_id).scalar_subquery(),
).where(_message.c.id == bindparam("id")).with_for_update())  # fmt: skip
# Delivered: nothing left to resend, the recipient and body erased.
_SENT = Prepared(lambda: update(_message).where(_message.c.id == bindparam("id")).values(
    state="sent", attempts=bindparam("tries"), claimed_at=None, last_error=None,
    sent_at=bindparam("sending", type_=_message.c.sent_at.type), reference=bindparam("got"),
    recipient_sealed=None, body_sealed=None,
))  # fmt: skip
# Past its expiry: never sent, nothing left to resend (no attempt made: none counted).
_EXPIRED = Prepared(lambda: update(_message).where(_message.c.id == bindparam("id")).values(
    state="failed", claimed_at=None, last_error=bindparam("error_"),
    recipient_sealed=None, body_sealed=None,
))  # fmt: skip
_REPLACED = Prepared(lambda: update(_message).where(_message.c.id == bindparam("id")).values(
    state="abandoned", claimed_at=None, last_error=bindparam("error_"),
    recipient_sealed=None, body_sealed=None,
))  # fmt: skip
_FAILED = Prepared(lambda: update(_message).where(_message.c.id == bindparam("id")).values(
    state=bindparam("new_state"), attempts=bindparam("tries"), claimed_at=None,
    last_error=bindparam("error_"),
    next_attempt_at=func.coalesce(
        bindparam("retry", type_=_message.c.next_attempt_at.type), _message.c.next_attempt_at
    ),
))  # fmt: skip


@retried
def _state(deps: Deps, message_id: int) -> str:
    with deps.reading() as session:
        row = session.get(OutboundMessage, message_id)
        return row.state if row else "absent"


class _Logged(NamedTuple):
    """What a message's journal entry names."""

    id: int
    purpose: str
    recipient_masked: str
    attempts: int
    reference: str | None
    election_id: str | None
    intervention_id: str | None
    pseudonym: str | None  # the voter's


def _journal(
    session: Session,
    actor: Actor,
    row: OutboundMessage,
    action: str,
    outcome: str,
    now: datetime,
    error: str | None,
) -> None:
    voter = session.get(Voter, row.voter_id)
    logged = _Logged(
        row.id or 0, row.purpose, row.recipient_masked, row.attempts, row.reference,
        row.election_id, row.intervention_id, voter.pseudonym if voter else None,
    )  # fmt: skip
    _journal_logged(session, actor, logged, action, outcome, now, error)


def _journal_logged(
    session: Session,
    actor: Actor,
    logged: _Logged,
    action: str,
    outcome: str,
    now: datetime,
    error: str | None,
) -> None:
    journal.append(
        session,
        actor=actor,
        action=action,
        outcome=outcome,
        at=now,
        election=logged.election_id,
        subject=logged.pseudonym,
        intervention=logged.intervention_id,
        details={
            "message": logged.id,
            "purpose": logged.purpose,
            "recipient": logged.recipient_masked,
            "attempts": logged.attempts,
            "error": error,
            "reference": logged.reference,
        },
    )
