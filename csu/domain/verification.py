"""Verification of a caller's identity: the factor vocabulary and the policies.

A policy says, for each channel through which a voter reaches the cell, which
sets of factors are acceptable: any one set, fully checked, suffices. A set must
hold at least one secret factor, since public facts (date of birth, département
of birth, the number a call comes from) prove nothing on their own.

The rules of checking live here too: which sets a caller's answers cover, how long
a verification lasts, and how many failures lock a voter. Comparing the answers
with what is on record is the service's work (keyed hashes, constant time).
"""

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta

from csu.domain.errors import InvalidValue
from csu.domain.text import visible_text

FACTOR_LABELS: dict[str, str] = {
    "birth_date": "date de naissance",
    "birth_department": "département de naissance",
    "numen": "NUMEN",
    "nir10": "10 premiers chiffres du NIR",
    "iban": "6 derniers caractères de l'IBAN",
    "agent_card": "6 premiers caractères du n° de série de la carte agent",
    "security_key_prefix": "6 premiers caractères de la clé de sécurité",
    "challenge_answer": "réponse à la question défi",
    "otp_mobile": "code à usage unique envoyé par SMS",
    "otp_email": "code à usage unique envoyé par courriel",
    "caller_id": "numéro de l'appelant",
    "in_person": "pièce d'identité vérifiée en personne",
}
"""Every factor an agent may check, with its French label for the screens."""

FACTORS: frozenset[str] = frozenset(FACTOR_LABELS)

PUBLIC_FACTORS: frozenset[str] = frozenset({"birth_date", "birth_department", "caller_id"})
"""Public facts, not secrets (CNIL): never enough on their own."""

SECRET_FACTORS: frozenset[str] = FACTORS - PUBLIC_FACTORS

CHANNELS: tuple[str, ...] = ("phone", "president", "email")

CHANNEL_LABELS: dict[str, str] = {
    "phone": "téléphone",
    "president": "présentiel via président",
    "email": "courriel",
}

IN_PERSON_CHANNELS: frozenset[str] = frozenset({"president"})
"""Channels where someone sees the voter: the only ones where ``in_person`` makes sense."""

Policy = dict[str, tuple[frozenset[str], ...]]
"""Channel -> acceptable factor sets, any one of which suffices."""


def _listing(names: list[str]) -> str:
    return "[" + ", ".join(names) + "]"


def validate_policy(policy: dict[str, list[list[str]]], where: str) -> Policy:
    """Check a verification policy read from an election definition.

    ``policy`` maps a channel to a list of factor sets (lists of factor names);
    ``where`` names the source (e.g. ``minint-2022.toml``) for the messages.
    Sets are numbered from 1 in messages, as an administrator counts them:
    ``minint-2022.toml : verification.phone[2]``.

    Refuses an unknown channel, a channel without any set, an unknown or
    repeated factor, an empty set, a set of public factors only and
    ``in_person`` outside the president channel.
    """
    if not isinstance(policy, dict):
        raise InvalidValue(f"{where} : verification", "type attendu : table de canaux")
    if not policy:
        raise InvalidValue(
            f"{where} : verification",
            "aucun canal défini (canaux admis : " + ", ".join(CHANNELS) + ")",
        )
    result: Policy = {}
    for channel, sets in policy.items():
        field = f"{where} : verification.{channel}"
        if channel not in CHANNELS:
            raise InvalidValue(
                field,
                f"canal inconnu « {channel} » (canaux admis : " + ", ".join(CHANNELS) + ")",
            )
        if not isinstance(sets, list) or not all(isinstance(s, list) for s in sets):
            raise InvalidValue(field, "type attendu : liste d'ensembles de facteurs")
        if not sets:
            raise InvalidValue(field, "aucun ensemble de facteurs")
        checked: list[frozenset[str]] = []
        for number, factors in enumerate(sets, start=1):
            checked.append(_validate_set(channel, factors, f"{field}[{number}]"))
        result[channel] = tuple(checked)
    return {channel: result[channel] for channel in CHANNELS if channel in result}


def _validate_set(channel: str, factors: Sequence[object], field: str) -> frozenset[str]:
    if not factors:
        raise InvalidValue(field, "l'ensemble est vide")
    names: list[str] = []
    for factor in factors:
        if not isinstance(factor, str):
            raise InvalidValue(field, "type attendu : liste de noms de facteurs (textes)")
        if factor not in FACTORS:
            raise InvalidValue(
                field,
                f"facteur inconnu « {factor} » (facteurs admis : "
                + ", ".join(sorted(FACTORS))
                + ")",
            )
        if factor in names:
            raise InvalidValue(field, f"facteur « {factor} » en double")
        names.append(factor)
    if not any(name in SECRET_FACTORS for name in names):
        raise InvalidValue(field, f"l'ensemble {_listing(names)} ne contient aucun facteur secret")
    if "in_person" in names and channel not in IN_PERSON_CHANNELS:
        raise InvalidValue(
            field,
            "le facteur in_person n'a de sens que pour le canal president "
            "(quelqu'un voit l'électeur et sa pièce d'identité)",
        )
    return frozenset(names)


def describe_set(factors: frozenset[str]) -> str:
    """French description of a factor set, e.g. ``date de naissance + NUMEN``."""
    order = list(FACTOR_LABELS)
    return " + ".join(FACTOR_LABELS[f] for f in sorted(factors, key=order.index))


# ------------------------------------------------------------------ checking

VERIFICATION_VALIDITY = timedelta(minutes=10)
"""A successful verification lasts for its intervention, and this long at most."""

MAX_FAILURES = 3
FAILURE_WINDOW = timedelta(hours=24)
LOCK_DURATION = timedelta(hours=24)
"""MAX_FAILURES failed verifications of one voter within FAILURE_WINDOW, by any agents,
lock the voter for remote verification (phone, e-mail) for LOCK_DURATION."""

OTP_FACTORS: dict[str, str] = {"otp_mobile": "sms", "otp_email": "email"}
"""One-time-code factors and the channel their code goes out by."""
OTP_DIGITS = 6
"""The length of a one-time code sent by SMS or e-mail (what the agent is told to expect)."""


def one_time_code(raw: str, field: str = "Code") -> str:
    """A one-time code as typed: its ``OTP_DIGITS`` digits (spaces dropped); another
    length is a format fault (the code sent is never that), counted as no failure."""
    value = "".join(raw.split())
    if not value:
        raise InvalidValue(field, "valeur absente")
    if not (value.isascii() and value.isdigit()) or len(value) != OTP_DIGITS:
        raise InvalidValue(field, f"{OTP_DIGITS} chiffres attendus")
    return value


OTP_SENDS_PER_HOUR = 3

AUTOMATIC_FACTORS: frozenset[str] = frozenset({"caller_id"})
"""Factors the service checks itself: nobody types them."""

DOCUMENT_TYPES: dict[str, str] = {
    "cni": "carte nationale d'identité",
    "passeport": "passeport",
    "carte_agent": "carte agent",
    "titre_sejour": "titre de séjour",
    "permis": "permis de conduire",
}
"""Identity documents a president may attest having seen (factor ``in_person``)."""


def covered_sets(policy: Policy, channel: str, tried: Collection[str]) -> list[frozenset[str]]:
    """The sets of the channel's policy whose every factor was tried."""
    return [factors for factors in policy.get(channel, ()) if factors <= set(tried)]


# Why a one-time code can go nowhere: the voter's file holds no mobile, or no address.
UNREACHABLE: dict[str, str] = {
    "otp_mobile": "aucun portable enregistré",
    "otp_email": "aucune adresse enregistrée",
}


def unreachable_codes(phone_mobile: str | None, email: str | None) -> frozenset[str]:
    """The code factors that cannot be given: no mobile, or no address, to send to."""
    return frozenset(
        factor
        for factor, contact in (("otp_mobile", phone_mobile), ("otp_email", email))
        if not contact
    )


def impossible_set(factors: frozenset[str], impossible: Collection[str]) -> str | None:
    """Why a set of the policy cannot be given, in French (« aucun portable
    enregistré »), when one of its codes can go nowhere; None otherwise."""
    why = [UNREACHABLE[factor] for factor in sorted(factors & set(impossible))]
    return ", ".join(why) if why else None


def missing_answers(
    policy: Policy, channel: str, tried: Collection[str], impossible: Collection[str] = ()
) -> frozenset[str]:
    """The factors the answers ``tried`` lack, from the channel's set nearest to them
    (the fewest still to give, the first set of the file on a tie): the birth date after
    a code typed alone. None when a set is covered. A set holding an ``impossible``
    factor (a code with nowhere to go) is named only when every set holds one: « code
    envoyé par SMS » was asked of a voter without a mobile."""
    sets = policy.get(channel, ())
    if not sets or covered_sets(policy, channel, tried):
        return frozenset()
    possible = [factors for factors in sets if not factors & set(impossible)] or sets
    return min((factors - set(tried) for factors in possible), key=len)


def missing_sentence(missing: frozenset[str]) -> str:
    """« Réponse manquante : date de naissance », « Réponses manquantes : … + … »; the
    document seen in person says what to give of it."""
    noun = "Réponse manquante" if len(missing) == 1 else "Réponses manquantes"
    sentence = f"{noun} : {describe_set(missing)}"
    if "in_person" in missing:
        sentence += " (son type et les 4 derniers caractères de son numéro)"
    return sentence


def satisfied_set(policy: Policy, channel: str, passed: Collection[str]) -> frozenset[str] | None:
    """The first set of the channel's policy whose every factor passed, if any."""
    covered = covered_sets(policy, channel, passed)
    return covered[0] if covered else None


DOCUMENT_FIELD = "Pièce d'identité"


def answer_field(factor: str) -> str:
    """The French name of a factor's field in a refusal: « Date de naissance »."""
    label = FACTOR_LABELS.get(factor, factor)
    return label[:1].upper() + label[1:]


def refuse_hidden_characters(answers: Mapping[str, str]) -> None:
    """Raises a French :class:`InvalidValue` naming the field, the position and the
    character when an answer holds a control or invisible character (a bidirectional
    mark, a zero-width space…), as a paste brings them: the field shows « 077497 »,
    holds one more character, and the right answer would read as a wrong one, counted
    towards the lock. A format error, said before anything is compared: it tells
    nothing of the record. ``in_person`` is read as ``"cni:1234"``."""
    for factor, said in answers.items():
        if factor == "in_person":
            visible_text(said.partition(":")[2], DOCUMENT_FIELD)
        else:
            visible_text(said, answer_field(factor))


def outdated_attestation(document_type: str | None, accepted: Collection[str]) -> str | None:
    """Why a president's attestation may no longer verify: the document they saw is
    one the election's file no longer accepts (reloaded since with its own list of
    ``identity_documents``); None when it still does."""
    if document_type is None or document_type in accepted:
        return None
    seen = DOCUMENT_TYPES.get(document_type, document_type)
    return (
        f"Le président a attesté une pièce (« {seen} ») que cette élection n'accepte plus "
        f"({_accepted_named(accepted)}) : demandez-lui une nouvelle vérification en personne."
    )


def _accepted_named(accepted: Collection[str]) -> str:
    """« pièces acceptées : carte nationale d'identité, carte agent », in the list's order."""
    return "pièces acceptées : " + ", ".join(
        DOCUMENT_TYPES[k] for k in DOCUMENT_TYPES if k in accepted
    )


def parse_document(
    kind: str, last4: str, accepted: Collection[str] = tuple(DOCUMENT_TYPES)
) -> tuple[str, str]:
    """An identity document seen in person: its type, one the election accepts
    (``accepted``: its ``identity_documents``), and the last 4 characters of its
    number, upper-cased; a French :class:`InvalidValue` otherwise (naming a control or
    invisible character, which a paste may bring and the field does not show)."""
    if kind not in DOCUMENT_TYPES:
        raise InvalidValue(DOCUMENT_FIELD, "type de pièce non reconnu")
    if kind not in accepted:
        raise InvalidValue(
            DOCUMENT_FIELD,
            f"« {DOCUMENT_TYPES[kind]} » n'est pas une pièce acceptée pour cette élection "
            f"({_accepted_named(accepted)})",
        )
    visible_text(last4, DOCUMENT_FIELD)
    tail = "".join(last4.split()).upper()
    if len(tail) != 4 or not tail.isalnum() or not tail.isascii():
        raise InvalidValue(
            DOCUMENT_FIELD,
            "les 4 derniers caractères du numéro sont attendus (lettres, chiffres)",
        )
    return kind, tail


def validate_required_sets(
    sets: object, field: str
) -> tuple[frozenset[str], ...]:
    """The factor sets an action demands (``verification_for``): known factors, each set
    holding a secret one. Channels do not apply: any channel's verification counts."""
    if not isinstance(sets, list) or not sets or not all(isinstance(x, list) for x in sets):
        raise InvalidValue(field, "type attendu : liste non vide d'ensembles de facteurs")
    return tuple(
        _validate_set("president", factors, f"{field}[{number}]")
        for number, factors in enumerate(sets, start=1)
    )


def enough_for(required: tuple[frozenset[str], ...] | None, verified: Collection[str]) -> bool:
    """Whether a verification by the factors ``verified`` suffices for an action that
    demands one of the ``required`` sets (None: any verification suffices)."""
    return required is None or any(factors <= set(verified) for factors in required)


# ------------------------------------------------------- S2: the president's check

PRESENCE_REQUEST_VALIDITY = timedelta(minutes=10)
"""How long the president has to attest an agent's request (the cell's policy: the
organisers' documents give no figure). A later attestation is refused; the agent asks
again."""

PRESENCE_ATTESTATION_VALIDITY = timedelta(minutes=10)
"""How long an attestation may be used by the agent's verification, when the channel's
set demands more than the in-person check (the cell's policy)."""

PENDING = "pending"
ATTESTED = "attested"
DECLINED = "declined"
USED = "used"
EXPIRED = "expired"  # never stored: a pending or attested check past its expiry

PRESENCE_STATES: dict[str, str] = {
    PENDING: "en attente du président",
    ATTESTED: "attestée par le président",
    DECLINED: "refusée par le président",
    USED: "attestée par le président",
    EXPIRED: "expirée",
}

MIN_DECLINE_REASON_LENGTH = 5


def remote_lock_applies(channel: str) -> bool:
    """Whether a voter's lock after remote failures stops verification on ``channel``.

    The lock answers repeated wrong answers over the phone or by e-mail, where nobody
    sees the caller. On the in-person channel the president sees the voter and their
    identity document, so the lock does not stop it; the president's attestation then
    says that the voter was locked, for the journal."""
    return channel not in IN_PERSON_CHANNELS


def presidents_own(operator_login: str | None, president_login: str | None) -> bool:
    """Whether an intervention is the president's own (S4: the president sees the voter
    and acts), not an agent's taking a president's call (S2): its operator is the
    president it names. Only then does ``in_person`` give what it alone may (a
    minint-2022 password) and is a credential handed over « en main propre »."""
    return operator_login is not None and operator_login == president_login


def factors_that_count(
    verified: Collection[str], operator_login: str | None, president_login: str | None
) -> set[str]:
    """The factors of a verification that count towards ``verification_for``:
    ``in_person`` only in the president's own intervention (S4); a president's
    attestation for an agent's call (S2) gives the agent what any verification gives,
    the key of minint-2022, not a password."""
    counted = set(verified) - {""}
    if not presidents_own(operator_login, president_login):
        counted.discard("in_person")
    return counted


def may_type_in_person(
    role: str, login: str, operator_login: str, president_login: str | None
) -> bool:
    """Whether an operator may record the ``in_person`` factor by typing it: only a
    president, in their own intervention on the in-person channel. An agent (or a
    supervisor) taking a president's call waits for the president's attestation, made
    from the president's own session: nothing they type counts as an in-person check."""
    return role == "president" and login == operator_login and presidents_own(
        operator_login, president_login
    )


def presence_state(status: str, expires_at: datetime, now: datetime) -> str:
    """The state of a check at ``now``: a pending or attested check past its expiry
    is expired; declined and used ones stay so."""
    if status in (PENDING, ATTESTED) and now >= expires_at:
        return EXPIRED
    return status


def president_refusal(
    *,
    named_president: str,
    check_bureau: str,
    president_login: str,
    president_bureau: str | None,
) -> str | None:
    """Why this president may not act on a check, in French; None if they may. A
    president acts only on voters of their own bureau, on the request addressed to them."""
    if president_bureau is None or president_bureau != check_bureau:
        return "Cette demande concerne un électeur d'un autre bureau que le vôtre."
    if president_login != named_president:
        return f"Cette demande s'adresse au président « {named_president} »."
    return None


def attestation_refusal(
    *, status: str, expires_at: datetime, now: datetime, intervention_open: bool
) -> str | None:
    """Why a check may not be attested (or declined) now, in French; None if it may:
    once, before it expires, while the agent's intervention is open."""
    state = presence_state(status, expires_at, now)
    if state == EXPIRED:
        return "Demande expirée : l'agent doit renouveler sa demande."
    if state != PENDING:
        return f"Demande déjà traitée ({PRESENCE_STATES[state]})."
    if not intervention_open:
        return "L'intervention de l'agent est close : plus rien à attester."
    return None


def attestation_usable(status: str, expires_at: datetime, now: datetime) -> bool:
    """Whether an attestation may still verify its intervention: attested, not yet
    used, not expired."""
    return presence_state(status, expires_at, now) == ATTESTED
