"""One-time codes (factors ``otp_mobile``, ``otp_email``): sent to the voter's mobile or
professional address on record only, valid ``otp_validity_seconds`` (120 s), working
once, at most ``OTP_SENDS_PER_HOUR`` per voter per hour across agents.

The code is never stored: the table keeps the sealed random HOTP secret it derives
from; the journal keeps the masked recipient. Its message expires with the code: the
outbox never delivers it after (a retry, a resend), and a newer code abandons the
message of the previous one still waiting (only the newest code verifies).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import select
from sqlmodel import col

from csu.domain import masking, sealing
from csu.domain.clock import to_paris
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import parse_email, parse_mobile
from csu.domain.messages import duration, render
from csu.domain.roles import Role
from csu.domain.verification import OTP_DIGITS, OTP_FACTORS, OTP_SENDS_PER_HOUR
from csu.services.context import (
    Deps,
    Forbidden,
    OperatorContext,
    ServiceError,
    journals_refusals,
    require_role,
    retried,
)
from csu.services.elections import get_definition
from csu.services.interventions import owned_open, require_open_election
from csu.services.outbox import (
    OTHER_FACTORS,
    STATE_LABELS,
    Outgoing,
    abandon_codes,
    deliver,
    enqueue,
    resume_text,
)
from csu.services.verification import OTP_PURPOSE, in_person_possible, locked_message
from csu.store import journal
from csu.store.tables import OneTimeCode, Voter


@dataclass(frozen=True, slots=True)
class SentCode:
    factor: str
    recipient: str  # masked
    expires_at: datetime  # aware, Europe/Paris
    delivery: str  # "envoyé", or "en attente" when the transport refused (retried)


# Who sends a one-time code: the cell (a president checks identity in person).
CODE_SENDERS: tuple[Role, ...] = ("agent", "superviseur")


@journals_refusals
@retried
def send_one_time_code(
    deps: Deps, who: OperatorContext, intervention_id: str, factor: str
) -> SentCode:
    """Sends a fresh code to the voter's registered mobile (``otp_mobile``) or
    professional address (``otp_email``), within the intervention."""
    require_role(deps, who, *CODE_SENDERS)
    if factor not in OTP_FACTORS:
        raise InvalidValue("Code à usage unique", "par SMS (otp_mobile) ou courriel (otp_email)")
    if deps.delivery is None:
        raise ServiceError("Aucun moyen d'envoi n'est configuré sur ce poste.")
    # The message goes through the outbox: written with the code, delivered after the
    # commit, retried if the transport refuses.
    now = deps.clock()
    with deps.writing() as session:
        row = owned_open(session, who, intervention_id)
        voter = session.get(Voter, row.voter_id, with_for_update={"key_share": True})
        if voter is None:
            raise ServiceError("Électeur introuvable.")
        definition = get_definition(session, row.election_id or "")
        require_open_election(definition, now)
        if voter.locked_until is not None and voter.locked_until > now:
            # A state, not a rule: the file and its alert say it already.
            in_person = in_person_possible(session, definition, voter.id or 0)
            raise Forbidden(locked_message(voter.locked_until, in_person), to_journal=False)
        if factor not in set().union(*definition.verification.get(row.channel, ())):
            raise ServiceError("Ce code n'est pas un facteur prévu pour ce canal et ce scrutin.")
        recipient, masked = _recipient(voter, factor)
        sent = session.execute(
            select(col(OneTimeCode.sent_at))
            .where(OneTimeCode.voter_id == voter.id, OneTimeCode.sent_at > now - timedelta(hours=1))
            .order_by(col(OneTimeCode.sent_at))
        ).scalars().all()
        if len(sent) >= OTP_SENDS_PER_HOUR:
            # Possible again once enough codes are more than an hour old.
            free = sent[len(sent) - OTP_SENDS_PER_HOUR] + timedelta(hours=1)
            raise ServiceError(
                f"{OTP_SENDS_PER_HOUR} codes déjà envoyés à cet électeur dans l'heure : "
                f"nouvel envoi possible à partir de {resume_text(free, now)} (heure de "
                f"Paris). {OTHER_FACTORS}"
            )
        secret = pyotp.random_base32()
        validity = definition.timings.otp_validity_seconds
        expires = now + timedelta(seconds=validity)
        session.add(
            OneTimeCode(
                voter_id=voter.id or 0,
                intervention_id=row.id,
                factor=factor,
                secret_sealed=sealing.seal(deps.key, OTP_PURPOSE, secret),
                sent_at=now,
                expires_at=expires,
            )
        )
        journal.append(
            session,
            actor=who.actor,
            action="otp_send",
            outcome="ok",
            at=now,
            election=row.election_id,
            subject=voter.pseudonym,
            intervention=row.id,
            details={"factor": factor, "recipient": masked, "valid_seconds": validity},
        )
        channel = "sms" if factor == "otp_mobile" else "email"
        # Only this new code verifies.
        abandon_codes(session, who, voter.id or 0, row.id, channel, now)
        code = pyotp.HOTP(secret, digits=OTP_DIGITS).at(0)
        subject, body = render(
            definition.messages,
            "otp",
            sender=definition.sender_name,
            code=code,
            validity=duration(validity),
        )
        queued = enqueue(
            session,
            deps,
            who,
            voter,
            Outgoing(
                purpose="otp",
                channel=channel,
                recipient=recipient,
                recipient_masked=masked,
                subject=subject,
                body=body,
                sender_name=definition.sender_name,
                expires_at=expires,  # a code delivered later could only fail
            ),
            election_id=row.election_id,
            intervention_id=row.id,
            now=now,
        )
        message_id = queued.id or 0
    state = deliver(deps, [message_id], who.actor)[message_id]
    return SentCode(factor, masked, to_paris(expires), STATE_LABELS.get(state, state))


def _recipient(voter: Voter, factor: str) -> tuple[str, str]:
    try:
        if factor == "otp_mobile":
            if not voter.phone_mobile:
                raise ServiceError("Aucun téléphone portable enregistré pour cet électeur.")
            e164 = parse_mobile(voter.phone_mobile).e164
            return e164, masking.mask_phone(e164)
        if not voter.email_pro:
            raise ServiceError("Aucune adresse professionnelle enregistrée pour cet électeur.")
        address = parse_email(voter.email_pro)
        return address, masking.mask_email(address)
    except InvalidValue as error:
        raise ServiceError(f"Coordonnée enregistrée inutilisable : {error}") from error
