"""Verifying a caller's identity inside an intervention.

The agent types what the caller says; each answer is normalised and compared with
what is on record (keyed hashes, in constant time). The answer is only vérifié or
non vérifié: never which factor failed, never a stored value. The journal and the
attempts table keep, for supervisors, which factors were tried and which failed.

Failed verifications of a voter count across agents: ``MAX_FAILURES`` within
``FAILURE_WINDOW`` lock the voter for remote verification until a supervisor
unlocks them (each remote failure says how many tries are left before the lock); the
in-person path through a president stays open (``remote_lock_applies``), and its
journal entry says the voter was locked.

The in-person factor is never typed by an agent: on a call from a president (S2) the
president attests it from their own session (:mod:`csu.services.presence`).
"""

import hmac
import itertools
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import ColumnElement, bindparam, func, insert, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from csu.domain import hashing, sealing
from csu.domain.answer_formats import refuse_malformed_answers
from csu.domain.clock import to_paris
from csu.domain.election import ElectionDefinition
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import (
    card_head,
    iban_tail,
    nir_factor,
    normalise_answer,
    parse_birth_date,
    parse_department,
    parse_numen,
)
from csu.domain.permissions import Situation
from csu.domain.verification import (
    ATTESTED,
    AUTOMATIC_FACTORS,
    CHANNEL_LABELS,
    DOCUMENT_TYPES,
    FACTOR_LABELS,
    FAILURE_WINDOW,
    IN_PERSON_CHANNELS,
    LOCK_DURATION,
    MAX_FAILURES,
    OTP_DIGITS,
    USED,
    Policy,
    answer_field,
    attestation_usable,
    covered_sets,
    describe_set,
    impossible_set,
    may_type_in_person,
    missing_answers,
    missing_sentence,
    one_time_code,
    outdated_attestation,
    parse_document,
    refuse_hidden_characters,
    remote_lock_applies,
    satisfied_set,
    unreachable_codes,
)
from csu.services import active_credentials
from csu.services.context import (
    Deps,
    Forbidden,
    OperatorContext,
    ServiceError,
    enforce,
    journals_refusals,
    retried,
)
from csu.services.credential_text import refuse_codes, voter_check
from csu.services.elections import get_definition
from csu.services.interventions import (
    caller_matches,
    owned_open_with_voter,
    require_open_election,
    verified_until,
)
from csu.services.reasons import typed_reason
from csu.services.sessions import require_live_in
from csu.store import journal
from csu.store.prepared import Prepared, session_cursor
from csu.store.tables import (
    Escalation,
    Intervention,
    Material,
    OneTimeCode,
    Operator,
    PresenceCheck,
    VerificationAttempt,
    Voter,
    core_tables,
)

OTP_PURPOSE = "one_time_code"
VERIFIED = "vérifié"
NOT_VERIFIED = "non vérifié"
REFUSED = "refusé"  # attempted on a voter locked for remote verification


@dataclass(frozen=True, slots=True)
class VerificationResult:
    verified: bool
    message: str  # French: what the agent reads
    valid_until: datetime | None  # aware, Europe/Paris
    locked_until: datetime | None  # aware, Europe/Paris: the voter is now locked
    # A remote failure, or a remote verification with a wrong answer: the voter's
    # failures that count towards the lock (this one included) and how many lock them;
    # None when verified with every answer right, or in person (no lock).
    failures: int | None = None
    failure_limit: int | None = None
    # Verified by one set while an answer of another was wrong: those answers' factors.
    wrong: tuple[str, ...] = ()


def verified_message(
    until: datetime | None,
    wrong: Collection[str],
    failures: int | None = None,
    lock: datetime | None = None,
    in_person: bool = True,
) -> str:
    """What the agent reads of a verification that passed; an answer that was wrong
    all the same is named: a caller who gets their NIR wrong is one to watch, and the
    agent took every answer for checked. Remotely, that wrong answer counts towards the
    lock (``failures``, and the ``lock`` it caused): named wrong, a factor could
    otherwise be guessed again and again beside a set that passes (attack run)."""
    said = f"Identité vérifiée (valable jusqu'à {until:%H:%M})." if until else "Identité vérifiée."
    if not wrong:
        return said
    labels = ", ".join(FACTOR_LABELS.get(factor, factor) for factor in sorted(wrong))
    counted = "le journal garde cet échec"
    if failures is not None:
        count = _failure_count(failures)
        counted = f"cet échec compte : {count} en {WINDOW_TEXT}"
        if lock is not None:
            counted += f" ; {_locked_terms(lock, in_person).removesuffix('.')}"
    return (
        f"{said} Attention, réponse fausse : {labels} (l'identité est vérifiée par les "
        f"autres réponses ; {counted})."
    )


IN_PERSON_REFUSED = (
    "Seul le président du bureau de l'électeur atteste une vérification en personne, "
    "depuis sa propre session : sa demande l'attend (« en attente du président »)."
)


@journals_refusals
@retried
def verify_identity(
    deps: Deps, who: OperatorContext, intervention_id: str, answers: Mapping[str, str]
) -> VerificationResult:
    """Checks the caller's answers against the channel's policy of the election.

    ``answers`` maps factor names to what the caller said. ``caller_id`` is checked from
    the number the intervention recorded. ``in_person`` (the document type and the last
    4 characters, as ``"cni:1234"``) is typed only by a president in their own
    intervention (S4); on an agent's intervention through a president (S2) it comes from
    the president's attestation (:mod:`csu.services.presence`), used here once. The
    answers must cover at least one set of the policy (otherwise nothing is counted and
    the acceptable sets are named). An answer holding a control or invisible character
    (a bidirectional mark, a zero-width space: a paste's, the field does not show it)
    is refused as a format error naming the field and the character, before anything is
    read or compared: nothing is counted or journalled (``refuse_hidden_characters``).
    """
    enforce("verify", Situation(who.role), deps=deps, who=who)
    now = deps.clock()
    given = {name: value for name, value in answers.items() if value and value.strip()}
    refuse_hidden_characters(given)
    # A wrong shape says nothing of the record: told, never counted as a failure.
    refuse_malformed_answers(given, to_paris(now).date())
    with deps.writing() as session:
        # The voter locked with the intervention, so that two agents failing at once both
        # count towards the lock (FOR NO KEY UPDATE: another agent's insert naming the
        # voter passes, docs/postgresql.md).
        row, voter = owned_open_with_voter(session, who, intervention_id)
        definition = get_definition(session, row.election_id or "")
        require_open_election(definition, now)
        policy = definition.verification
        own_check = may_type_in_person(who.role, who.login, row.operator_login,
                                       row.president_login)
        if "in_person" in given and not own_check:
            raise Forbidden(IN_PERSON_REFUSED)
        if "in_person" in given:
            _refuse_unaccepted_document(given["in_person"], definition.identity_documents)
        locked = _locked_until(voter, now)
        if locked is not None and remote_lock_applies(row.channel):
            # Journalled, then refused: someone still trying a locked voter's answers is
            # what the supervisors' alerts look for.
            _journal_locked_attempt(session, who, row, voter, locked, now)
            refusal = locked_message(
                locked, in_person_possible(session, definition, voter.id or 0)
            )
        else:
            refusal = None
            _refuse_swapped_codes(deps.key, session, row, given, now)
            recorded, until, wrong = _check_answers(
                deps, session, who, row, voter, given, policy, own_check, now,
                documents=definition.identity_documents,
            )  # fmt: skip
            in_person = recorded.lock is not None and in_person_possible(
                session, definition, voter.id or 0
            )
    if refusal is not None:
        raise Forbidden(refusal, to_journal=False)  # journalled above, as an attempt
    used = recorded.used
    if used is not None:
        shown = to_paris(until) if until else None
        lock = recorded.lock
        return VerificationResult(
            True,
            verified_message(shown, wrong, recorded.failures, lock, in_person),
            shown,
            to_paris(lock) if lock is not None else None,
            recorded.failures,
            MAX_FAILURES if recorded.failures is not None else None,
            wrong=tuple(sorted(wrong)),
        )
    if recorded.failures is None:  # in person: no lock to count towards
        return VerificationResult(False, "Identité non vérifiée.", None, None)
    # This failure counts, even one at the very instant of an unlock (the count takes
    # the attempts after it).
    failures = max(recorded.failures, 1)
    lock = recorded.lock
    return VerificationResult(
        False,
        failure_message(failures, lock, in_person),
        None,
        to_paris(lock) if lock is not None else None,
        failures,
        MAX_FAILURES,
    )


class MissingAnswers(ServiceError):
    """« Réponse manquante » : no set of the channel is complete; nothing was checked
    nor counted (the window puts the cursor on the first answer to ask for)."""


def _check_answers(
    deps: Deps,
    session: Session,
    who: OperatorContext,
    row: Intervention,
    voter: Voter,
    given: Mapping[str, str],
    policy: Policy,
    own_check: bool,
    now: datetime,
    *,
    documents: tuple[str, ...],
) -> "tuple[Recorded, datetime | None, frozenset[str]]":
    """The answers checked and recorded, in ``verify_identity``'s transaction (the
    voter not locked): what was recorded, until when the intervention is verified, and
    the factors typed whose answer was wrong.
    ``documents``: those the election accepts now; an attestation of another, made
    before its file was reloaded, counts for nothing (a set without ``in_person`` may
    still pass), and where one is needed the agent is told to ask again."""
    unknown = set(given) - set(FACTOR_LABELS) - AUTOMATIC_FACTORS
    if unknown:
        raise InvalidValue("Facteur", f"inconnu : {', '.join(sorted(unknown))}")
    attestation = None
    outdated = None
    if row.channel in IN_PERSON_CHANNELS and not own_check:
        attestation = usable_attestation(session, row.id, now)
        if attestation is not None:
            outdated = outdated_attestation(attestation.document_type, documents)
            if outdated is not None:
                attestation = None
    automatic = _automatic(row) | ({"in_person"} if attestation is not None else set())
    tried = set(given) | (automatic & _policy_factors(policy, row.channel))
    if not covered_sets(policy, row.channel, tried):
        if (
            attestation is None
            and not own_check
            and "in_person" in _policy_factors(policy, row.channel)
        ):
            raise ServiceError(outdated or waiting_message(row.president_login))
        channel_sets = policy.get(row.channel, ())
        impossible = unreachable_codes(voter.phone_mobile, voter.email_pro)
        missing = missing_answers(policy, row.channel, tried, impossible)
        lacking = missing_sentence(missing)
        if len(channel_sets) == 1 and missing == channel_sets[0]:
            # Nothing given of the one set: naming it twice said nothing more.
            raise MissingAnswers(f"{lacking}.")
        sets = " ; ou ".join(_set_said(s, impossible) for s in channel_sets)
        raise MissingAnswers(
            f"{lacking}. Le canal {CHANNEL_LABELS[row.channel]} demande {sets}."
        )
    passed = {
        factor
        for factor in tried
        if (factor == "in_person" and attestation is not None)
        or check_factor(deps, session, row, voter, factor, given.get(factor, ""), now)
    }
    details: dict[str, object] = {}
    if attestation is not None:
        details = {"presence_check": attestation.id, "attested_by": attestation.president_login,
                   "document": attestation.document_type}
    elif "in_person" in tried:
        details = {"document": _document_kind(given)}
    recorded = record_verification(
        session, who, row, voter, tried=tried, passed=passed, policy=policy, now=now,
        details=details,
    )
    used = recorded.used
    if used is not None and attestation is not None and "in_person" in used:
        attestation.status = USED  # an attestation verifies once
        attestation.used_at = now
        session.add(attestation)
    until = verified_until(row, now)
    # What was typed and did not match (not the automatic ones: the caller's number is
    # the panel's to say).
    wrong = frozenset(set(given) - passed)
    return recorded, until, wrong


def _journal_locked_attempt(
    session: Session,
    who: OperatorContext,
    row: Intervention,
    voter: Voter,
    locked: datetime,
    now: datetime,
) -> None:
    """An attempt on a voter locked for remote verification: refused before any answer
    is checked, counted towards nothing, journalled (outcome « refusé »)."""
    journal.append(
        session,
        actor=who.actor,
        action="verification",
        outcome=REFUSED,
        at=now,
        election=row.election_id,
        subject=voter.pseudonym,
        intervention=row.id,
        details={
            "channel": row.channel,
            "reason": "électeur verrouillé",
            "locked_until": locked.isoformat(),
        },
    )


@dataclass(frozen=True, slots=True)
class Recorded:
    """What :func:`record_verification` wrote: the set that passed (None: failed), the
    lock it caused, and the voter's failures that count towards a lock (None when
    verified with no wrong answer, or in person)."""

    used: frozenset[str] | None
    lock: datetime | None
    failures: int | None


def record_verification(
    session: Session,
    who: OperatorContext,
    row: Intervention,
    voter: Voter,
    *,
    tried: set[str],
    passed: set[str],
    policy: Policy,
    now: datetime,
    details: Mapping[str, object],
) -> Recorded:
    """Records one verification in the caller's transaction: the attempt, the
    intervention verified when a set of the policy passed, the voter locked after too
    many remote failures, and its journal entry (``who`` as the one who checked)."""
    used = satisfied_set(policy, row.channel, passed)
    failed = sorted(tried - passed)
    # Core statements on the driver's cursor: every verification writes both, and the
    # ORM's unit of work cost more than the rest of the check. The intervention object
    # is given the values written, as the ORM would have.
    with session_cursor(session) as (cursor, dialect):
        _ATTEMPT.execute(
            cursor, dialect, voter=voter.id or 0, intervention=row.id, operator=who.login,
            channel_used=row.channel, at_=now, passed_=used is not None,
            tried=",".join(sorted(tried)), failed_=",".join(failed),
        )  # fmt: skip
        if used is not None:
            factors = ",".join(sorted(used))
            _VERIFIED.execute(cursor, dialect, id=row.id, at_=now, factors=factors)
            set_committed_value(row, "verified_at", now)
            set_committed_value(row, "verified_factors", factors)
    lock: datetime | None = None
    failures: int | None = None
    # A wrong answer counts even beside a set that passed: else, told which answer was
    # wrong, one could try a NIR, an IBAN or a card's digits at will (attack run). Not
    # a factor nobody typed: a caller on another phone than the one on record is no
    # wrong answer (caller_id).
    typed_wrong = set(failed) - AUTOMATIC_FACTORS
    if (used is None or typed_wrong) and remote_lock_applies(row.channel):
        failures = _failures_counted(session, voter, now)
        if failures >= MAX_FAILURES:
            lock = _lock(session, voter, now)
    locked = _locked_until(voter, now)
    journal.append(
        session,
        actor=who.actor,
        action="verification",
        outcome=VERIFIED if used is not None else NOT_VERIFIED,
        at=now,
        election=row.election_id,
        subject=voter.pseudonym,
        intervention=row.id,
        details={
            "channel": row.channel,
            "factors_tried": sorted(tried),
            "factors_failed": failed,
            "set": sorted(used) if used is not None else None,
            "document": None,
            **details,
            "locked_until": lock.isoformat() if lock else None,
            # In person, a voter locked for remote verification is still verified:
            # said here so that supervisors see the lock was passed over, and by whom.
            "remote_lock_until": locked.isoformat()
            if locked is not None and not remote_lock_applies(row.channel)
            else None,
        },
    )
    return Recorded(used, lock, failures)


(_attempt, _intervention) = core_tables(VerificationAttempt, Intervention)
_ATTEMPT = Prepared(lambda: insert(_attempt).values(
    voter_id=bindparam("voter"), intervention_id=bindparam("intervention"),
    operator_login=bindparam("operator"), channel=bindparam("channel_used"),
    at=bindparam("at_", type_=_attempt.c.at.type),
    passed=bindparam("passed_", type_=_attempt.c.passed.type),
    factors_tried=bindparam("tried"), factors_failed=bindparam("failed_"),
))  # fmt: skip
_VERIFIED = Prepared(lambda: update(_intervention).where(
    _intervention.c.id == bindparam("id"),
).values(
    verified_at=bindparam("at_", type_=_intervention.c.verified_at.type),
    verified_factors=bindparam("factors"),
))  # fmt: skip


def usable_attestation(
    session: Session, intervention_id: str, now: datetime
) -> PresenceCheck | None:
    """The president's attestation for this intervention that may still verify it
    (attested, unused, unexpired), locked for the transaction; None otherwise."""
    check = session.execute(
        select(PresenceCheck)
        .where(PresenceCheck.intervention_id == intervention_id,
               PresenceCheck.status == ATTESTED)
        .order_by(PresenceCheck.decided_at.desc(), PresenceCheck.id.desc())  # type: ignore[union-attr]
        .limit(1)
        .with_for_update()
    ).scalar_one_or_none()
    if check is None or not attestation_usable(check.status, check.expires_at, now):
        return None
    return check


def waiting_message(president: str | None) -> str:
    named = f" « {president} »" if president else ""
    return (
        f"En attente du président{named} : la vérification en personne n'est pas encore "
        "attestée depuis sa session."
    )


@retried
def unlock_voter(deps: Deps, who: OperatorContext, voter_id: int, reason: str) -> list[int]:
    """A supervisor lifts a voter's lock; earlier failures no longer count. Returns the
    numbers of the voter's escalated cases still open: the unlock does not close them,
    and a supervisor who unlocked from the file took the job for done, the caller never
    called back."""
    enforce("unlock", Situation(who.role), deps=deps, who=who)
    reason = typed_reason(reason)
    now = deps.clock()
    with deps.writing() as session:
        require_live_in(session, who)
        voter = session.get(Voter, voter_id)
        if voter is None:
            raise ServiceError("Électeur introuvable.")
        refuse_codes(reason, "Le motif", "un motif", voter_check(deps, session, voter_id))
        was = voter.locked_until
        voter.locked_until = None
        voter.failures_cleared_at = now
        session.add(voter)
        journal.append(
            session,
            actor=who.actor,
            action="voter_unlock",
            outcome="ok",
            at=now,
            subject=voter.pseudonym,
            details={"reason": reason, "was_locked_until": was.isoformat() if was else None},
        )
        open_cases = select(Escalation.id).where(
            Escalation.voter_id == voter_id, col(Escalation.closed_at).is_(None)
        )
        return [case for case in session.execute(open_cases.order_by(Escalation.id)).scalars()]


WINDOW_TEXT = f"{FAILURE_WINDOW.total_seconds() / 3600:g} h"  # « 24 h »


def locked_message(until: datetime, in_person: bool = True) -> str:
    """``in_person``: whether a president may still check the voter in person (the
    election provides for it and the voter's bureau has one)."""
    terms = _locked_terms(until, in_person)
    return f"{MAX_FAILURES} échecs de vérification en {WINDOW_TEXT} : {terms}"


def in_person_possible(
    session: Session, definition: ElectionDefinition, voter_id: int
) -> bool:
    """Whether a president can still check the voter in person: the election provides
    for it, and a president of one of the voter's bureaus in it has an account. Said
    otherwise of a voter whose file reads « président : non désigné »."""
    if not IN_PERSON_CHANNELS & set(definition.verification):
        return False
    bureaus = select(Material.bureau_code).where(
        Material.voter_id == voter_id,
        Material.election_id == definition.id,
        Material.status == "active",  # not a material replaced or invalidated
    )
    found = session.execute(
        select(Operator.id).where(
            Operator.role == "president",
            Operator.active.is_(True),  # type: ignore[attr-defined]
            Operator.bureau_code.in_(bureaus),  # type: ignore[union-attr]
        ).limit(1)
    ).first()
    return found is not None


def failure_message(failures: int, lock: datetime | None, in_person: bool = True) -> str:
    """A remote failure, counted towards the lock (never which answer was wrong, which
    would help an impostor): « Identité non vérifiée (1er échec sur 3 en 24 h : encore
    2 essais avant le verrouillage). »"""
    count = _failure_count(failures)
    if lock is not None:
        terms = _locked_terms(lock, in_person)
        return f"Identité non vérifiée ({count} en {WINDOW_TEXT}) : {terms}"
    left = MAX_FAILURES - failures
    tries = "essai" if left == 1 else "essais"
    return (
        f"Identité non vérifiée ({count} en {WINDOW_TEXT} : encore {left} {tries} avant le "
        "verrouillage)."
    )


def _failure_count(failures: int) -> str:
    """« 2e échec sur 3 »."""
    rank = _ordinal(failures)
    # Two agents failing at once may count a 4th: « sur 3 » would then read wrong.
    return f"{rank} échec sur {MAX_FAILURES}" if failures <= MAX_FAILURES else f"{rank} échec"


def _locked_terms(until: datetime, in_person: bool = True) -> str:
    moment = to_paris(until)
    return (
        f"électeur verrouillé pour la vérification à distance jusqu'au "
        f"{moment:%d/%m/%Y à %H:%M}. Seul un superviseur peut le déverrouiller"
        + (" ; la vérification en personne par le président reste possible." if in_person
           else ".")
    )  # fmt: skip


def _ordinal(number: int) -> str:
    return "1er" if number == 1 else f"{number}e"


# ------------------------------------------------------------------- factors


def check_factor(
    deps: Deps,
    session: Session,
    row: Intervention,
    voter: Voter,
    factor: str,
    said: str,
    now: datetime,
) -> bool:
    """Whether one answer matches the record. An answer of the wrong shape, or holding
    a control or invisible character, never gets here: ``verify_identity`` refused it
    first (csu.domain.answer_formats), as its shape says nothing of the record; one
    that still fails to read (a document no longer accepted) simply fails."""
    key = deps.key
    try:
        if factor == "birth_date":
            typed = parse_birth_date(said, now.date())
            return voter.birth_date is not None and hmac.compare_digest(
                typed.isoformat(), voter.birth_date.isoformat()
            )
        if factor == "birth_department":
            return hashing.matches(key, hashing.BIRTH_DEPARTMENT, parse_department(said),
                                   voter.birth_department_hash)
        if factor == "numen":
            return hashing.matches(key, hashing.NUMEN, parse_numen(said), voter.numen_hash)
        if factor == "nir10":
            # Any form a caller says it in (csu.domain.identifiers.nir_factor).
            return hashing.matches(key, hashing.NIR10, nir_factor(said), voter.nir10_hash)
        if factor == "iban":
            return hashing.matches(key, hashing.IBAN6, iban_tail(said), voter.iban6_hash)
        if factor == "agent_card":
            return hashing.matches(key, hashing.CARD6, card_head(said), voter.card6_hash)
        if factor == "challenge_answer":
            return hashing.matches(key, hashing.CHALLENGE_ANSWER, normalise_answer(said),
                                   voter.challenge_answer_hash)
        if factor == "security_key_prefix":
            # The cell's own keys by keyed hash; an original the platform mailed by the
            # argon2id hash of its prefix that the platform exported.
            return active_credentials.key_prefix_matches(
                key, deps.hasher, session, row.voter_id, row.election_id, said
            )
        if factor in ("otp_mobile", "otp_email"):
            return _code_matches(key, session, row, factor, said, now)
        if factor == "caller_id":
            return caller_matches(key, row, voter) is True
        if factor == "in_person":
            accepted = get_definition(session, row.election_id or "").identity_documents
            return _in_person(row, said, accepted)
    except InvalidValue:
        return False
    return False


def _code_matches(
    key: bytes, session: Session, row: Intervention, factor: str, said: str, now: datetime
) -> bool:
    """The latest code of this factor sent in this intervention, unused and unexpired;
    it is spent when it matches, so it works once."""
    code = _live_code(key, session, row, factor, now)
    if code is None or not _is_code(code, said):
        return False
    code[0].used_at = now
    session.add(code[0])
    return True


def _live_code(
    key: bytes, session: Session, row: Intervention, factor: str, now: datetime
) -> tuple[OneTimeCode, str] | None:
    """The latest code of this factor sent in this intervention and its value, if it is
    unused and unexpired."""
    code = session.execute(
        select(OneTimeCode)
        .where(OneTimeCode.intervention_id == row.id, OneTimeCode.factor == factor)
        .order_by(OneTimeCode.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).scalar_one_or_none()
    if code is None or code.used_at is not None or now >= code.expires_at:
        return None
    secret = sealing.unseal(key, OTP_PURPOSE, code.secret_sealed)
    return code, pyotp.HOTP(secret, digits=OTP_DIGITS).at(0)


def _is_code(code: tuple[OneTimeCode, str], said: str) -> bool:
    typed = one_time_code(said)  # its shape was checked first (refuse_malformed_answers)
    return hmac.compare_digest(code[1], typed)


def _refuse_swapped_codes(
    key: bytes, session: Session, row: Intervention, given: Mapping[str, str], now: datetime
) -> None:
    """A code typed in the other code's field (the e-mail's in « Code reçu par SMS ») is
    refused saying so, and no failure is counted: the caller read out what they received,
    and three such slips of the agent locked the voter (newcomer run). Only a code both
    live and the other one's: a guess is as unlikely to hit it as to hit its own."""
    for factor, other in (("otp_mobile", "otp_email"), ("otp_email", "otp_mobile")):
        said = given.get(factor, "").strip()
        if not said:
            continue
        theirs = _live_code(key, session, row, other, now)
        if theirs is None or not _is_code(theirs, said):
            continue
        ours = _live_code(key, session, row, factor, now)
        if ours is not None and _is_code(ours, said):
            continue  # the same digits in both: a match, as typed
        by = "courriel" if other == "otp_email" else "SMS"
        raise InvalidValue(
            answer_field(factor),
            f"c'est le code envoyé par {by} : tapez-le dans son champ (aucun échec compté)",
        )


def _in_person(row: Intervention, said: str, accepted: tuple[str, ...]) -> bool:
    """A president's own check (S4), typed in their own session: the service let only
    them type it (``may_type_in_person``); the document must be well formed, and one
    the election accepts (``verify_identity`` refused another already, saying so)."""
    if row.channel not in IN_PERSON_CHANNELS or not row.president_login:
        return False
    kind, _, last4 = said.partition(":")
    parse_document(kind.strip(), last4, accepted)
    return True


def _refuse_unaccepted_document(said: str, accepted: tuple[str, ...]) -> None:
    """A known document the election does not accept (minint-2022: « carte d'identité,
    carte agent ») is refused with the accepted ones named, before anything is counted
    or journalled: the president shows another document, or none. A malformed one
    still reads as not verified (``_in_person``)."""
    kind = said.partition(":")[0].strip()
    if kind in DOCUMENT_TYPES and kind not in accepted:
        parse_document(kind, said.partition(":")[2], accepted)


def _document_kind(given: Mapping[str, str]) -> str | None:
    kind, _, last4 = given.get("in_person", "").partition(":")
    try:
        kind, tail = parse_document(kind.strip(), last4)
    except InvalidValue:
        return None
    return f"{kind} …{tail}"


def _automatic(row: Intervention) -> set[str]:
    return {"caller_id"} if row.caller_hash else set()


def _policy_factors(policy: Mapping[str, tuple[frozenset[str], ...]], channel: str) -> set[str]:
    return set().union(*policy.get(channel, ()))


# -------------------------------------------------------------------- lockout


def _locked_until(voter: Voter, now: datetime) -> datetime | None:
    return voter.locked_until if voter.locked_until and voter.locked_until > now else None


def _failures_counted(session: Session, voter: Voter, now: datetime) -> int:
    """The voter's remote failures within ``FAILURE_WINDOW`` since their last unlock,
    by any agents (the attempt just added included)."""
    since = now - FAILURE_WINDOW
    if voter.failures_cleared_at and voter.failures_cleared_at > since:
        since = voter.failures_cleared_at
    session.flush()
    failures = session.execute(
        select(func.count())
        .select_from(VerificationAttempt)
        .where(
            VerificationAttempt.voter_id == voter.id,
            counts_as_failure(),
            VerificationAttempt.channel.not_in(IN_PERSON_CHANNELS),  # type: ignore[attr-defined]
            VerificationAttempt.at > since,
        )
    ).scalar_one()
    return int(failures)


def counts_as_failure() -> ColumnElement[bool]:
    """An attempt that failed, or passed with a typed answer wrong all the same (not
    one whose only failed factors nobody typed: the caller's number)."""
    return or_(
        VerificationAttempt.passed == False,  # noqa: E712
        VerificationAttempt.factors_failed.not_in(_NOTHING_TYPED_FAILED),  # type: ignore[attr-defined]
    )


# factors_failed as stored (sorted, comma-joined) when no typed factor failed.
_NOTHING_TYPED_FAILED = tuple(
    ",".join(sorted(chosen))
    for size in range(len(AUTOMATIC_FACTORS) + 1)
    for chosen in itertools.combinations(sorted(AUTOMATIC_FACTORS), size)
)


def _lock(session: Session, voter: Voter, now: datetime) -> datetime:
    voter.locked_until = now + LOCK_DURATION
    session.add(voter)
    return voter.locked_until


def _set_said(factors: frozenset[str], impossible: Collection[str]) -> str:
    """A set of the policy in a refusal, said impossible when a code of it can go
    nowhere (as the verification window lists it)."""
    why = impossible_set(factors, impossible)
    return f"{describe_set(factors)} (impossible : {why})" if why else describe_set(factors)
