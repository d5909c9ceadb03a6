"""Election definitions: calendar, support hours, credentials, verification policy.

An administrator describes each election in a TOML file (see ``data/elections``);
the service layer reads the file and hands its text to :func:`parse_election`,
which checks every key and returns a frozen :class:`ElectionDefinition`. Any
fault is an :class:`InvalidValue` naming the file and the key path
(``minint-2022.toml : closes_at``) with a French sentence saying what is wrong.

The store keeps the JSON form (:func:`election_to_json`); services rebuild the
definition from it with :func:`definition_from_json`, through the same checks.

Times: the file gives local times in Europe/Paris; the definition holds aware
UTC datetimes; support hours are evaluated in Paris local time.
"""

import difflib
import json
import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any, NoReturn

from csu.domain import masking, organiser_patterns
from csu.domain import notice_wording as wording
from csu.domain.clock import PARIS, rfc3339
from csu.domain.contacts import TOP_LEVEL_KEYS as CONTACT_KEYS
from csu.domain.contacts import (
    ElectionContacts,
    contacts_to_json,
    parse_contacts,
    sms_numbers,
)
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import MAX_MATRICULE
from csu.domain.mail_domains import domain_pattern_fault
from csu.domain.messages import DEFAULTS as DEFAULT_MESSAGES
from csu.domain.messages import (
    MAX_SMS_SEGMENTS,
    SMS_PURPOSES,
    SMS_SAMPLES,
    check_template,
    duration,
    sms_segments,
)
from csu.domain.numbers import french_number
from csu.domain.plural import counted, plural_of
from csu.domain.scrutins import (
    EmargementRules,
    Scrutin,
    parse_rules,
    parse_scrutins,
    rules_to_json,
    scrutins_to_json,
)
from csu.domain.sms import measure
from csu.domain.text import is_blank, refuse_control_characters
from csu.domain.urls import request_url
from csu.domain.verification import (
    DOCUMENT_TYPES,
    FACTOR_LABELS,
    SECRET_FACTORS,
    Policy,
    validate_policy,
    validate_required_sets,
)

DEFAULT_MATRICULE_PATTERN = "^[A-Z0-9]{4,12}$"
DEFAULT_CAPACITY = "électeur"
UNAMBIGUOUS_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Upper-case letters and digits without 0/O, 1/I/L and U/V look-alikes."""

CREDENTIAL_KINDS: tuple[str, ...] = ("security_key", "password", "vote_code")
CREDENTIAL_LABELS: dict[str, str] = {
    "security_key": "clé de sécurité",
    "password": "mot de passe",
    "vote_code": "code de vote",
    "identifier": "identifiant de vote",
}
MIN_PASSWORD_LENGTH = 12
# The least a generated code may be (key, password, vote code, substitution identifier).
# 40 bits: 2^40 guesses take the platform's lock (5 failures, then 15 min) past any
# vote's length, and an argon2id hash of the code (~0.3 s a try) about 10,000 CPU-years
# offline. The shipped files hold 59 to 79 bits (12 or 16 characters among 30 or 55), a
# margin of 19 bits. 10 distinct characters: a code of digits is the smallest alphabet an
# organiser uses; fewer (« A », « AB ») is a mistake, whatever the length.
MIN_ALPHABET = 10
MIN_CREDENTIAL_BITS = 40

DELIVERED_KINDS: tuple[str, ...] = (*CREDENTIAL_KINDS, "identifier")
"""What the cell may hand a voter: the credentials, and the material's identifier."""
ROUTES: dict[str, str] = {
    "read_out": "par lecture à l'appelant",
    "link": "par lien",
    "email": "par courriel",
    "post": "par courrier",
}
"""How a credential reaches the voter: shown once to the operator who reads it out, a
one-time link that shows it on the voter's own screen, an e-mail, a letter home. The
value is the French phrase of the refusals (« ... se réassortit uniquement par lien »)."""
ROUTES_OF_KIND: dict[str, tuple[str, ...]] = {
    "security_key": ("read_out", "link", "post"),
    "password": ("read_out", "link", "post"),
    "vote_code": ("read_out", "link", "post"),
    "identifier": ("read_out", "email", "post"),
}
_THE: dict[str, str] = {
    "security_key": "la clé de sécurité",
    "password": "le mot de passe",
    "vote_code": "le code de vote",
    "identifier": "l'identifiant de vote",
}

IDENTITY_FIELDS: dict[str, str] = {
    "birth_date": "date de naissance",
    "email": "adresse électronique enregistrée",
    "mobile": "téléphone portable enregistré",
    "work_phone": "téléphone du poste de travail",
    "numen": "NUMEN",
    "nir": "NIR (n° de sécurité sociale)",
    "iban": "IBAN",
    "agent_card": "carte agent (n° de série)",
    "challenge": "question défi et réponse secrète",
}
"""Identity data an electoral roll may carry, with French labels."""

FACTOR_NEEDS: dict[str, tuple[str, ...]] = {
    "birth_date": ("birth_date",),
    "birth_department": ("nir",),  # characters 6-7 of the NIR
    "numen": ("numen",),
    "nir10": ("nir",),
    "iban": ("iban",),
    "agent_card": ("agent_card",),
    "challenge_answer": ("challenge",),
    "otp_mobile": ("mobile",),
    "otp_email": ("email",),
    "caller_id": ("work_phone", "mobile"),
    "security_key_prefix": (),  # needs the security_key credential instead
    "in_person": (),
}
"""Identity fields the roll must carry for a factor to be checkable (any one suffices)."""

REDEEM_FACTORS: tuple[str, ...] = (
    "numen", "birth_department", "birth_date", "nir10", "iban", "agent_card",
    "challenge_answer",
)  # fmt: skip
"""Factors a link may ask the voter on its own page before it shows the credential
(``redeem_factors`` of ``[delivery.KIND]``): what the roll holds, typed by the voter;
never a code sent meanwhile, the caller's number or an in-person check."""
DEFAULT_REDEEM_FAILURES_LIMIT = 3
"""Wrong answers on a link's page after which the link is void (the cell's policy:
the organisers' documents give no figure)."""
MAX_REDEEM_FAILURES_LIMIT = 10

PERIODS: tuple[str, ...] = ("before", "during")
PERIOD_LABELS: dict[str, str] = {"before": "avant le vote", "during": "pendant le vote"}
DAY_NAMES: tuple[str, ...] = (
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
)  # fmt: skip

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID = 64  # the width of every election column of the store and of the journal
MAX_TITLE = 300
# A message's subject is one line of an inbox; its body, with the support numbers the
# outbox adds, an SMS of a few segments: a page pasted by mistake would go to every voter.
MAX_SUBJECT = 150
MAX_MESSAGE_BODY = 1_000
MAX_INSTEAD = 300  # what the agent reads out when a route is closed: a sentence or two
_PHONE = re.compile(r"\+?[0-9][0-9 .]{2,18}[0-9]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CLOCK_TIME = re.compile(r"([01]?[0-9]|2[0-3])[:h]([0-5][0-9])")

SMS_SENDER_MAX = 11
_SMS_SENDER = re.compile(rf"[A-Za-z0-9]{{1,{SMS_SENDER_MAX}}}")


def check_sms_sender(value: str) -> str:
    """An SMS sender id as gateways accept it (GSM alphanumeric sender): 11 letters or
    digits at most, unaccented, at least one letter (all digits is a phone number).
    Raises a French :class:`ValueError`."""
    if not _SMS_SENDER.fullmatch(value) or value.isdigit():
        raise ValueError(
            f"{SMS_SENDER_MAX} lettres ou chiffres au plus, sans accent ni espace, dont une "
            "lettre au moins (les passerelles SMS refusent un autre expéditeur)"
        )
    return value


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class CredentialFormat:
    """How a generated credential looks: drawn from ``alphabet``, ``length`` long,
    shown in groups of ``group`` characters (0: in one piece)."""

    kind: str
    alphabet: str
    length: int
    group: int = 0

    @property
    def label(self) -> str:
        return CREDENTIAL_LABELS.get(self.kind, self.kind)

    @property
    def bits(self) -> float:
        """Entropy of a uniformly drawn credential, in bits."""
        return self.length * math.log2(len(self.alphabet)) if len(self.alphabet) > 1 else 0.0

    def grouped(self, value: str, separator: str = " ") -> str:
        """``value`` cut in groups for display, e.g. ``ABCD EFGH JKMN PQRS``."""
        if self.group <= 0:
            return value
        return separator.join(value[i : i + self.group] for i in range(0, len(value), self.group))


@dataclass(frozen=True)
class CredentialRoute:
    """Whether the cell may issue a kind of credential (``issue``), and by which routes
    (``by``, keys of :data:`ROUTES`) it reaches the voter; ``instead``, what the voter
    does otherwise (self-service), in French; ``address_final``: once a personal
    address is confirmed for it, it can no longer be changed (seed 003);
    ``redeem_factors``: what the voter types on the link's page before it shows the
    credential (seed 003: NUMEN + département of birth; none: the token alone), and
    ``redeem_failures_limit`` wrong answers void the link."""

    kind: str
    issue: bool
    by: tuple[str, ...] = ()
    instead: str | None = None
    address_final: bool = False
    redeem_factors: tuple[str, ...] = ()
    redeem_failures_limit: int = DEFAULT_REDEEM_FAILURES_LIMIT


@dataclass(frozen=True)
class SupportWindow:
    """Hours when the cell answers: on ``days`` (0 = Monday) of ``period``
    ("before" the opening or "during" the vote), from ``start`` to ``end``
    (end excluded), Paris local time."""

    period: str
    days: frozenset[int]
    start: time
    end: time

    def covers(self, local: datetime) -> bool:
        """Whether the Paris local moment falls in this window (the period aside)."""
        return local.weekday() in self.days and self.start <= local.time() < self.end


@dataclass(frozen=True)
class SupportLine:
    """A support number published for part of the voters (e.g. a local chamber)."""

    name: str
    phone: str
    email: str | None = None


@dataclass(frozen=True)
class SubstitutionRules:
    """Replacement material (CCI): declarations of loss are refused before
    ``from_day`` (Paris date); ``identifier`` is the format of the new
    identifier that replaces the original one."""

    enabled: bool = False
    from_day: date | None = None
    requires_approval: bool = True
    checklist: tuple[str, ...] = ()
    identifier: CredentialFormat | None = None


@dataclass(frozen=True)
class Timings:
    """Delays of one-time links and codes."""

    link_validity_minutes: int = 30
    otp_validity_seconds: int = 120
    code_display_seconds: int = 120
    # The last moment a one-time link may be used, whenever it was sent (aware UTC);
    # seed 003: « cet usage unique pourra être effectué jusqu'au 20 octobre ».
    links_until: datetime | None = None


@dataclass(frozen=True)
class PlatformPolicy:
    """How CSU's API answers the voting platform's login checks. The organisers'
    documents say nothing of it: the cell's own policy (``[platform]`` in the file).

    After ``login_failures_limit`` failed checks in a row for one identifier, its
    checks are refused for ``login_lock_minutes`` (HTTP 429 with Retry-After). While
    the vote is open, a platform whose émargement feed sends nothing for
    ``feed_silence_minutes`` raises an alert for the supervisors."""

    login_failures_limit: int = 5
    login_lock_minutes: int = 15
    feed_silence_minutes: int = 30


@dataclass(frozen=True)
class ElectionDefinition:
    """One election as its administrator defined it. Treat the dicts as read-only."""

    id: str
    title: str
    organiser: str
    sender_name: str
    support_phone: str
    opens_at: datetime  # aware, UTC
    closes_at: datetime  # aware, UTC
    verification: Policy
    retention_days: int
    csu_phone: str | None = None
    matricule_pattern: str = DEFAULT_MATRICULE_PATTERN
    capacities: tuple[str, ...] = (DEFAULT_CAPACITY,)
    identity_fields: tuple[str, ...] = ()
    credentials: dict[str, CredentialFormat] = field(default_factory=dict)
    support_starts_on: date | None = None
    support_windows: tuple[SupportWindow, ...] = ()
    support_lines: tuple[SupportLine, ...] = ()
    substitution: SubstitutionRules = SubstitutionRules()
    timings: Timings = Timings()
    platform: PlatformPolicy = PlatformPolicy()  # the cell's policy, not the organiser's
    # Its ballots ([[scrutins]]; none: one implicit, see csu.domain.scrutins.ballots)
    # and what their émargement still allows.
    scrutins: tuple[Scrutin, ...] = ()
    emargement: EmargementRules = field(default_factory=EmargementRules)
    # The SMS' sender (``sms_sender``); None: ``sender_name``, which only e-mails suit.
    sms_sender: str | None = None
    # The voting platform's address, for one-time links (None: the link is the token).
    platform_url: str | None = None
    # Mail domains never taken for a voter's personal address (csu.domain.mail_domains).
    professional_domains: tuple[str, ...] = ()
    # purpose -> (subject, body): the election's own wording of messages to voters.
    messages: dict[str, tuple[str, str]] = field(default_factory=dict)
    # credential kind -> the factor sets a verification must have used to issue it.
    verification_for: dict[str, tuple[frozenset[str], ...]] = field(default_factory=dict)
    # kind -> whether the cell issues it and by which routes ([delivery] in the file).
    delivery: dict[str, CredentialRoute] = field(default_factory=dict)
    # The organiser's procedure per scenario (S1..S8), kept as checked JSON values:
    # csu.domain.call_script reads them ([scripts] in the file).
    scripts: dict[str, Any] = field(default_factory=dict)
    # [[support_numbers]], [[ccil]], [escalation] (csu.domain.contacts).
    contacts: ElectionContacts = field(default_factory=ElectionContacts)
    # The identity documents a president may attest having seen (factor ``in_person``),
    # as the organiser lists them (``identity_documents``); every kind by default.
    identity_documents: tuple[str, ...] = tuple(DOCUMENT_TYPES)

    @property
    def credential_kinds(self) -> tuple[str, ...]:
        return tuple(kind for kind in CREDENTIAL_KINDS if kind in self.credentials)

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self.verification)

    @property
    def first_vote_day(self) -> date:
        """Paris date of the opening."""
        return self.opens_at.astimezone(PARIS).date()

    @property
    def last_vote_day(self) -> date:
        """Paris date of the last moment of the vote (closing at midnight ends the day before)."""
        return (self.closes_at - timedelta(microseconds=1)).astimezone(PARIS).date()

    @property
    def purge_after(self) -> datetime:
        """When personal data of this election must be purged (UTC)."""
        return self.closes_at + timedelta(days=self.retention_days)

    def matches_matricule(self, matricule: str) -> bool:
        # No longer than the store's column, checked before the organiser's pattern runs.
        if len(matricule) > MAX_MATRICULE:
            return False
        matcher = organiser_patterns.compiled(self.matricule_pattern)
        return matcher.fullmatch(matricule) is not None

    def route_of(self, kind: str) -> CredentialRoute:
        """Whether and how the cell issues ``kind`` (not issued when undeclared)."""
        return self.delivery.get(kind) or CredentialRoute(kind=kind, issue=False)

    def allows(self, kind: str, route: str) -> bool:
        route_spec = self.route_of(kind)
        return route_spec.issue and route in route_spec.by


class ElectionState(Enum):
    """Where an election stands; the value is the French label."""

    BEFORE = "avant ouverture"
    OPEN = "ouvert"
    CLOSED = "clos"

    @property
    def label(self) -> str:
        return self.value


# --------------------------------------------------------------------------- rules


def _utc(moment: datetime) -> datetime:
    """Aware UTC; a naive value is taken as UTC, as the store gives it."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def state_at(definition: ElectionDefinition, now_utc: datetime) -> ElectionState:
    """Before opening, open (opening included, closing excluded), or closed."""
    now = _utc(now_utc)
    if now < definition.opens_at:
        return ElectionState.BEFORE
    if now < definition.closes_at:
        return ElectionState.OPEN
    return ElectionState.CLOSED


def support_period_at(definition: ElectionDefinition, now_utc: datetime) -> str | None:
    """The support period of a moment, by Paris calendar day: "before" from
    ``support.starts_on`` to the eve of the opening day, "during" from the
    opening day to the last day of the vote, else None.

    Periods go by day because the seeds announce hours by date ("tous les jours
    du 01/12/22 au 08/12/22 de 9h00 à 18h00"): the cell still answers on the
    closing day after the vote closes."""
    day = _utc(now_utc).astimezone(PARIS).date()
    if day < definition.first_vote_day:
        starts = definition.support_starts_on
        return "before" if starts is None or day >= starts else None
    if day <= definition.last_vote_day:
        return "during"
    return None


def within_support_hours(definition: ElectionDefinition, now_utc: datetime) -> bool:
    """Whether the cell answers at this moment (Paris local time, DST-correct)."""
    period = support_period_at(definition, now_utc)
    if period is None:
        return False
    local = _utc(now_utc).astimezone(PARIS)
    return any(w.period == period and w.covers(local) for w in definition.support_windows)


def accepts_substitution_at(definition: ElectionDefinition, now_utc: datetime) -> bool:
    """Whether a declaration of loss may be taken now: substitution enabled,
    the Paris date not before ``substitution.from``, and the vote not closed."""
    rules = definition.substitution
    if not rules.enabled or rules.from_day is None:
        return False
    now = _utc(now_utc)
    return now.astimezone(PARIS).date() >= rules.from_day and now < definition.closes_at


def route_refusal(definition: ElectionDefinition, kind: str, route: str) -> str | None:
    """Why the cell may not hand ``kind`` to the voter by ``route`` in this election,
    as a French sentence saying what is possible instead; None when it may."""
    if definition.allows(kind, route):
        return None
    spec = definition.route_of(kind)
    the = _THE.get(kind, kind)
    if not spec.issue:
        issued = "délivrée" if kind == "security_key" else "délivré"
        sentence = f"Pour cette élection, {the} n'est pas {issued} par la cellule."
    else:
        verb = "se transmet" if kind == "identifier" else "se réassortit"
        routes = " ou ".join(ROUTES[r] for r in spec.by)
        sentence = f"Pour cette élection, {the} {verb} uniquement {routes}."
    if spec.instead:
        sentence += f" {spec.instead}"
    return sentence


def link_expiry(definition: ElectionDefinition, now_utc: datetime) -> datetime:
    """When a one-time link sent now stops working: its validity, cut at the
    election's ``links_until`` if it has one, and at the close of the vote (a link
    opened after it gives nothing: the voter could not vote with it)."""
    expires = _utc(now_utc) + timedelta(minutes=definition.timings.link_validity_minutes)
    until = definition.timings.links_until
    return min(expires, definition.closes_at, *(() if until is None else (until,)))


def _describe_days(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if len(ordered) == 7:
        return "tous les jours"
    if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"du {DAY_NAMES[ordered[0]]} au {DAY_NAMES[ordered[-1]]}"
    return ", ".join(DAY_NAMES[d] for d in ordered)


def _hhmm(moment: time) -> str:
    return moment.isoformat(timespec="minutes" if moment.second == 0 else "seconds")


def describe_support_hours(definition: ElectionDefinition) -> str:
    """French summary, e.g. ``avant le vote (à partir du 17/11/2022) : du lundi
    au vendredi, 09:00–18:00 ; pendant le vote : tous les jours, 09:00–18:00``."""
    parts: list[str] = []
    for period in PERIODS:
        groups: dict[frozenset[int], list[str]] = {}
        for window in definition.support_windows:
            if window.period == period:
                groups.setdefault(window.days, []).append(
                    f"{_hhmm(window.start)}–{_hhmm(window.end)}"
                )
        if not groups:
            continue
        head = PERIOD_LABELS[period]
        if period == "before" and definition.support_starts_on is not None:
            head += f" (à partir du {definition.support_starts_on:%d/%m/%Y})"
        body = " ; ".join(f"{_describe_days(d)}, {' et '.join(h)}" for d, h in groups.items())
        parts.append(f"{head} : {body}")
    return " ; ".join(parts) if parts else "aucun horaire d'assistance défini"


# --------------------------------------------------------------------------- reading


# Bounds of a definition's numbers and dates (see _Reader.integer, plausible_year).
MAX_INTEGER = 1_000_000
MAX_RETENTION_DAYS = 36_500
MAX_CREDENTIAL_LENGTH = 256
MIN_YEAR, MAX_YEAR = 2000, 2200


class _Reader:
    """Checks values found at key paths of one source, failing with its name."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, fault: str) -> NoReturn:
        raise InvalidValue(f"{self.source} : {path}" if path else self.source, fault)

    def table(
        self, value: object, path: str, allowed: Iterable[str], required: Iterable[str] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, "type attendu : table")
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                fault = "clé inconnue"
                fault += f" ; vouliez-vous dire « {hint[0]} » ?" if hint else ""
                fault += " (clés admises : " + ", ".join(allowed) + ")"
                self.fail(_join(path, str(key)), fault)
        for key in required:
            if key not in value:
                self.fail(_join(path, key), "clé obligatoire absente")
        return value

    def text(self, value: object, path: str, limit: int | None = None) -> str:
        if not isinstance(value, str):
            self.fail(path, "type attendu : texte")
        if is_blank(value):  # zero-width characters alone show as nothing
            self.fail(path, "ne doit pas être vide")
        # The rule of every typed text (csu.domain.text): a bidirectional override in a
        # title reorders what agents read, as it would in a name.
        refuse_control_characters(value, f"{self.source} : {path}")
        if limit is not None and len(value.strip()) > limit:
            self.fail(path, f"{limit} caractères au plus")
        return value.strip()

    def integer(
        self, value: object, path: str, minimum: int, maximum: int = MAX_INTEGER
    ) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, "type attendu : nombre entier")
        if value < minimum:
            self.fail(path, f"doit valoir au moins {minimum}")
        if value > maximum:  # durations and lengths: a huge one would overflow or exhaust memory
            self.fail(path, f"doit valoir au plus {maximum}")
        return value

    def boolean(self, value: object, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, "type attendu : booléen (true ou false)")
        return value

    def texts(self, value: object, path: str, *, allow_empty: bool = False) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.fail(path, "type attendu : liste de textes")
        if not value and not allow_empty:
            self.fail(path, "la liste ne doit pas être vide")
        items: list[str] = []
        for number, item in enumerate(value, start=1):
            text = self.text(item, f"{path}[{number}]")
            if text.casefold() in (seen.casefold() for seen in items):
                self.fail(f"{path}[{number}]", f"« {text} » figure deux fois")
            items.append(text)
        return tuple(items)

    def moment(self, value: object, path: str) -> datetime:
        """A date-time: local to Paris when it carries no offset; returned in UTC."""
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                self.fail(path, "date et heure illisibles (ex. 2022-12-01T09:00:00)")
        if not isinstance(value, datetime):
            self.fail(path, "type attendu : date et heure locales (ex. 2022-12-01T09:00:00)")
        self.plausible_year(value, path)
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        earlier = value.replace(tzinfo=PARIS, fold=0)
        later = value.replace(tzinfo=PARIS, fold=1)
        if earlier.utcoffset() != later.utcoffset():
            self.fail(
                path,
                "heure inexistante ou ambiguë à Paris (changement d'heure) : "
                "choisissez une autre heure",
            )
        return earlier.astimezone(UTC)

    def day(self, value: object, path: str) -> date:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                self.fail(path, "date illisible (ex. 2021-10-29)")
        if isinstance(value, datetime) or not isinstance(value, date):
            self.fail(path, "type attendu : date (ex. 2021-10-29)")
        self.plausible_year(value, path)
        return value

    def plausible_year(self, value: date, path: str) -> None:
        """Years far off are typing mistakes, and near year 1 or 9999 the conversions
        to UTC and the retention arithmetic would overflow."""
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            self.fail(path, f"année {value.year} invraisemblable ({MIN_YEAR} à {MAX_YEAR})")

    def clock_time(self, value: object, path: str) -> time:
        if isinstance(value, str):
            found = _CLOCK_TIME.fullmatch(value.strip())
            if found is None:
                self.fail(path, 'heure illisible (ex. "09:00")')
            return time(int(found.group(1)), int(found.group(2)))
        if not isinstance(value, time) or value.tzinfo is not None:
            self.fail(path, 'type attendu : heure (ex. "09:00")')
        return value

    def phone(self, value: object, path: str) -> str:
        text = self.text(value, path)
        if not _PHONE.fullmatch(text):
            self.fail(path, "numéro de téléphone attendu (chiffres, espaces ou points)")
        return text

    def choice(self, value: object, path: str, allowed: Iterable[str], what: str) -> str:
        text = self.text(value, path)
        allowed = tuple(allowed)
        if text not in allowed:
            self.fail(path, f"{what} inconnu « {text} » (valeurs admises : {', '.join(allowed)})")
        return text


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_TOP_LEVEL: tuple[str, ...] = (
    "id", "title", "organiser", "sender_name", "sms_sender", "support_phone", "csu_phone",
    "opens_at", "closes_at", "matricule_pattern", "capacities", "identity_fields",
    "retention_days", "support", "credentials", "verification", "substitution", "timings",
    "platform_url", "messages", "verification_for", "platform", "scrutins", "emargement",
    "delivery", "scripts", "professional_domains", "identity_documents", *CONTACT_KEYS,
)  # fmt: skip
_REQUIRED: tuple[str, ...] = (
    "id", "title", "organiser", "sender_name", "support_phone",
    "opens_at", "closes_at", "retention_days", "support", "verification",
)  # fmt: skip

_TOML_FAULTS: dict[str, str] = {
    "Invalid value": "valeur invalide (un texte doit être entre guillemets)",
    "Invalid statement": "instruction invalide",
    "Expected '=' after a key in a key/value pair": "« = » attendu après la clé",
    "Cannot overwrite a value": "clé définie deux fois",
    "Unclosed array": "liste non fermée (« ] » manquant)",
    "Unterminated string": "texte non fermé (guillemet manquant)",
    "Illegal character in string": "caractère interdit dans le texte",
    "Invalid initial character for a key part": "caractère invalide au début d'une clé",
    "Expected newline or end of document after a statement": (
        "fin de ligne attendue après la valeur"
    ),
    "Expected ']' at the end of a table declaration": "« ] » attendu à la fin de l'en-tête",
    "Expected ']]' at the end of an array declaration": "« ]] » attendu à la fin de l'en-tête",
}
_TOML_WHERE = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


def parse_election(text: str, source: str) -> ElectionDefinition:
    """Parse and check the TOML text of an election definition.

    ``source`` names the file in messages (e.g. ``minint-2022.toml``).
    Raises :class:`InvalidValue` on the first fault found."""
    _refuse_long_dotted_keys(text, source)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        fault = "syntaxe TOML incorrecte : listes ou tables imbriquées trop profondément"
        raise InvalidValue(source, fault) from None
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = _TOML_WHERE.search(message)
        detail = message[: where.start()] if where else message
        fault = "syntaxe TOML incorrecte : " + _toml_fault(detail)
        if where and where.group(1):
            field_name = f"{source} : ligne {where.group(1)}, colonne {where.group(2)}"
        else:
            field_name = f"{source} : fin du fichier" if where else source
        raise InvalidValue(field_name, fault) from None
    except ValueError:  # a number too long to convert (Python caps digits at 4300)
        raise InvalidValue(source, "nombre trop long (plus de 4 300 chiffres)") from None
    definition = build_election(data, source)
    # Checked when a file is loaded, not when a stored definition is read back: a
    # definition stored before this check must still open.
    _check_sms_length(_Reader(source), definition)
    return definition


MAX_KEY_PARTS = 64
"""Parts of a dotted key (``a.b.c``) or table name at most: no election file needs more
than a few, and tomllib's time and memory grow with the square of their number (an
80 KB key of 40,000 parts took 6 GB and 24 s; attack run)."""
# Runs of key parts (bare or quoted) joined by dots, wherever they are: a text in a
# string counts too, which only refuses what no election file holds.
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"\\\n]*"|'[^'\n]*')"""
_DOTTED_RUN = re.compile(rf"{_KEY_PART}(?:[ \t]*\.[ \t]*{_KEY_PART})+")


def _refuse_long_dotted_keys(text: str, source: str) -> None:
    for run in _DOTTED_RUN.finditer(text):
        if run.group().count(".") + 1 > MAX_KEY_PARTS:
            line = text.count("\n", 0, run.start()) + 1
            raise InvalidValue(
                f"{source} : ligne {line}",
                f"clé de plus de {MAX_KEY_PARTS} parties séparées par des points",
            )


# Messages of tomllib that carry a value, by their first words.
_TOML_PREFIXES: tuple[tuple[str, str], ...] = (
    ("Illegal character", "caractère interdit"),
    ("Found invalid character", "caractère invalide"),
    ("Cannot declare", "table déclarée deux fois"),
    ("Cannot mutate immutable namespace", "table ou liste déjà définie en ligne"),
    ("Cannot redefine namespace", "table redéfinie"),
    ("Duplicate inline table key", "clé en double dans une table en ligne"),
    ("Invalid date or datetime", "date ou heure invalide"),
    ("Invalid hex value", "code hexadécimal invalide"),
    ("Escaped character is not a Unicode scalar value", "caractère échappé invalide"),
    ("Unescaped '\\'", "barre oblique inverse « \\ » non échappée"),
    ("Unclosed inline table", "table en ligne non fermée (« } » manquant)"),
)


def _toml_fault(detail: str) -> str:
    """tomllib's English message, said in French (its own text as a last resort)."""
    if detail in _TOML_FAULTS:
        return _TOML_FAULTS[detail]
    for prefix, french in _TOML_PREFIXES:
        if detail.startswith(prefix):
            return french
    return "erreur de syntaxe"


def is_election_id(value: str) -> bool:
    """Whether ``value`` could be an election's id (an address names one as typed)."""
    return len(value) <= MAX_ID and _SLUG.fullmatch(value) is not None


def build_election(data: dict[str, Any], source: str) -> ElectionDefinition:
    """Check an already parsed definition (TOML or JSON form) and build it."""
    r = _Reader(source)
    top = r.table(data, "", _TOP_LEVEL, _REQUIRED)

    slug = r.text(top["id"], "id", MAX_ID)
    if not _SLUG.fullmatch(slug):
        r.fail("id", "identifiant court attendu : minuscules, chiffres et tirets (ex. minint-2022)")

    opens_at = r.moment(top["opens_at"], "opens_at")
    closes_at = r.moment(top["closes_at"], "closes_at")
    if closes_at <= opens_at:
        r.fail("closes_at", "doit être postérieure à opens_at")

    pattern = _matricule_pattern(r, top.get("matricule_pattern", DEFAULT_MATRICULE_PATTERN))

    identity_fields = r.texts(top.get("identity_fields", []), "identity_fields", allow_empty=True)
    for number, name in enumerate(identity_fields, start=1):
        if name not in IDENTITY_FIELDS:
            r.fail(
                f"identity_fields[{number}]",
                f"champ d'identité inconnu « {name} » (champs admis : "
                + ", ".join(IDENTITY_FIELDS)
                + ")",
            )

    credentials = _credentials(r, top.get("credentials", {}))
    starts_on, windows, lines = _support(r, top["support"])
    if starts_on is not None and starts_on >= opens_at.astimezone(PARIS).date():
        r.fail("support.starts_on", "doit précéder le jour d'ouverture du vote")

    verification = validate_policy(top["verification"], source)
    _check_factors_available(r, "verification", top["verification"], identity_fields, credentials)
    verification_for = _verification_for(r, top.get("verification_for", {}), credentials)
    _check_factors_available(
        r, "verification_for", top.get("verification_for", {}), identity_fields, credentials
    )
    every_set = [s for sets in (*verification.values(), *verification_for.values()) for s in sets]
    _check_key_prefix(r, credentials, every_set)
    documents = _identity_documents(r, top, every_set)

    substitution = _substitution(r, top.get("substitution", {"enabled": False}))
    last_day = (closes_at - timedelta(microseconds=1)).astimezone(PARIS).date()
    if substitution.from_day is not None and substitution.from_day > last_day:
        r.fail("substitution.from", "doit précéder la clôture du vote")

    timings = _timings(r, top.get("timings", {}))
    if timings.links_until is not None and timings.links_until <= opens_at:
        # link_expiry cuts every link at links_until: none could ever be used.
        r.fail("timings.links_until", "doit être postérieure à opens_at")

    return ElectionDefinition(
        id=slug,
        title=r.text(top["title"], "title", MAX_TITLE),
        organiser=r.text(top["organiser"], "organiser", MAX_TITLE),
        sender_name=r.text(top["sender_name"], "sender_name"),
        sms_sender=_sms_sender(r, top["sms_sender"]) if "sms_sender" in top else None,
        support_phone=r.phone(top["support_phone"], "support_phone"),
        csu_phone=r.phone(top["csu_phone"], "csu_phone") if "csu_phone" in top else None,
        opens_at=opens_at,
        closes_at=closes_at,
        matricule_pattern=pattern,
        capacities=r.texts(top.get("capacities", [DEFAULT_CAPACITY]), "capacities"),
        identity_fields=identity_fields,
        credentials=credentials,
        verification=verification,
        support_starts_on=starts_on,
        support_windows=windows,
        support_lines=lines,
        substitution=substitution,
        timings=timings,
        platform=_platform(r, top.get("platform", {})),
        retention_days=r.integer(
            top["retention_days"], "retention_days", 1, MAX_RETENTION_DAYS
        ),
        platform_url=_platform_url(r, top["platform_url"]) if "platform_url" in top else None,
        professional_domains=_professional_domains(r, top.get("professional_domains", [])),
        messages=_messages(r, top.get("messages", {})),
        verification_for=verification_for,
        scrutins=parse_scrutins(
            r, top.get("scrutins", []), top.get("capacities", [DEFAULT_CAPACITY])
        ),
        emargement=parse_rules(r, top.get("emargement", {})),
        delivery=_delivery(r, top.get("delivery"), credentials, identity_fields),
        scripts=_scripts(r, top.get("scripts", {})),
        identity_documents=documents,
        contacts=parse_contacts(top, source),
    )


# A link's token: secrets.token_urlsafe(24), as csu.services.vote_codes writes it.
_TOKEN_LENGTH = 32
# What no election file bounds: an address typed for one delivery (the link's, the
# substitution material's), shown masked as its first character, « *** » and its
# domain, and an identifier that is an address (Education: prenom.nom@ac-….fr). The
# longest domains of mailbox providers and employers run under 30 characters
# (developpement-durable.gouv.fr, littoralhautsdefrance.cci.fr): 40 for the domain and
# 30 for the local part (« jean-christophe.dupont-moretti ») leave a margin.
_REALISTIC_DOMAIN = 40
_REALISTIC_LOCAL_PART = 30
# The longest number E.164 allows (15 digits), for a mobile typed for a link.
_LONGEST_MOBILE = "+1" + "9" * 14


def _widest(pattern: str, cap: int) -> int:
    """The most characters a match of ``pattern`` may have, ``cap`` at most (and when
    the pattern sets no bound, or cannot be measured)."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        return min(cap, int(_parser.parse(pattern).getwidth()[1]))
    except (ImportError, AttributeError, re.error, TypeError, ValueError):
        return cap


def _longest_duration(seconds: int) -> str:
    """The longest of :func:`duration` for 1 to ``seconds`` seconds: a link's validity
    is cut at the close of the vote, « 29 min 59 s » is longer than « 30 minutes »."""
    candidates = {seconds, max(1, seconds - 1), min(seconds, 59), seconds - seconds % 60 or 1}
    return _longest_of(duration(s) for s in candidates)


def _longest_of(texts: Iterable[str]) -> str:
    return max(texts, key=lambda text: (measure(text).units, text))


def longest_sms_values(d: ElectionDefinition) -> dict[str, dict[str, str]]:
    """Per purpose that may go by SMS, the longest value each placeholder can take for
    this election (its ``support_phone`` aside: each number of the election is tried):
    its sender, validities, link form, widest identifier, every capacity in one
    substitution, the longest masked address or mobile."""
    domain = "d" * (_REALISTIC_DOMAIN - 3) + ".fr"
    masked = masking.mask_email(f"pp@{domain}")  # « p***@dddd….fr »
    recipient = _longest_of((masked, masking.mask_phone(_LONGEST_MOBILE)))
    width = _widest(d.matricule_pattern, MAX_MATRICULE)
    if d.substitution.identifier is not None:
        width = max(width, d.substitution.identifier.length)
    identifiers = ["W" * width]
    if d.professional_domains:  # the identifier may be the professional address
        identifiers.append("p" * _REALISTIC_LOCAL_PART + "@" + domain)
    identifier = _longest_of(identifiers)
    notices = [
        *(wording.credential_notice(text, identifier)
          for text in (*wording.ISSUED.values(), *wording.REVOKED.values())),
        wording.LETTER.format(identifier=identifier),
        *wording.REDEEMED.values(),
    ]
    if d.substitution.enabled:  # one material a capacity: all of them at once
        replaced = [(identifier, capacity) for capacity in d.capacities]
        notices.append(wording.substituted(replaced, recipient))
    token = "x" * _TOKEN_LENGTH
    base = {"sender": d.sender_name, "when": SMS_SAMPLES["when"]}
    return {
        "otp": base | {
            "code": SMS_SAMPLES["code"],
            "validity": duration(d.timings.otp_validity_seconds),
        },
        "vote_code_link": base | {
            "link": f"{d.platform_url}/reassort?jeton={token}" if d.platform_url
            else f"jeton {token}",
            "validity": _longest_duration(d.timings.link_validity_minutes * 60),
        },
        "notice": base | {"what": _longest_of(notices)},
        "link_notice": base | {
            "what": _longest_of(
                wording.link_requested(kind, recipient) for kind in wording.LINK_REQUESTED
            )
        },
        "link_voided_notice": base | {"what": _longest_of(wording.VOIDED.values())},
        "substitution_refused_notice": base | {
            "what": wording.substitution_refused(
                [(identifier, capacity) for capacity in d.capacities]
            )
        },
    }  # fmt: skip


def _check_sms_length(r: _Reader, d: ElectionDefinition) -> None:
    """Refuses a message that would go out by SMS in more than MAX_SMS_SEGMENTS
    segments with the longest values it may carry (:func:`longest_sms_values`) and
    each number of the election: a long ``sender_name`` or wording would otherwise
    cost every voter, and the SMS could lose its end."""
    numbers = [(n.short(), n.phone) for n in sms_numbers(d.contacts, d.csu_phone, d.support_phone)]
    longest = longest_sms_values(d)
    for purpose in SMS_PURPOSES:
        count = sms_segments(d.messages, purpose, longest[purpose], numbers)
        if count > MAX_SMS_SEGMENTS:
            remedy = (
                "raccourcissez-le" if purpose in d.messages
                else "texte par défaut : raccourcissez sender_name ou redéfinissez ce message"
            )  # fmt: skip
            r.fail(
                f"messages.{purpose}",
                f"par SMS, ce message ferait {count} segments ({MAX_SMS_SEGMENTS} au plus) "
                "avec les valeurs les plus longues qu'il peut porter (identifiants, "
                f"matériels, adresse, lien, durées et numéros de ce scrutin) : {remedy}",
            )


def _default_delivery(credentials: dict[str, CredentialFormat]) -> dict[str, CredentialRoute]:
    """Without [delivery] (files written before it): what the cell always did, every
    credential shown once and read out (a vote code by link too), the identifier by
    e-mail."""
    routes = {
        kind: CredentialRoute(
            kind=kind, issue=True, by=("read_out", "link") if kind == "vote_code" else ("read_out",)
        )
        for kind in credentials
    }
    routes["identifier"] = CredentialRoute(kind="identifier", issue=True, by=("email",))
    return routes


def _delivery(
    r: _Reader,
    value: object,
    credentials: dict[str, CredentialFormat],
    identity_fields: tuple[str, ...],
) -> dict[str, CredentialRoute]:
    if value is None:
        return _default_delivery(credentials)
    spec = r.table(value, "delivery", DELIVERED_KINDS)
    result: dict[str, CredentialRoute] = {}
    for kind, raw in spec.items():
        path = f"delivery.{kind}"
        keys = (
            "issue", "by", "instead", "address_final", "redeem_factors", "redeem_failures_limit",
        )  # fmt: skip
        entry = r.table(raw, path, keys, ("issue",))
        issue = r.boolean(entry["issue"], f"{path}.issue")
        by = r.texts(entry.get("by", []), f"{path}.by", allow_empty=True)
        for number, route in enumerate(by, start=1):
            if route not in ROUTES_OF_KIND[kind]:
                r.fail(
                    f"{path}.by[{number}]",
                    f"voie inconnue ou impossible pour ce code « {route} » (voies admises : "
                    + ", ".join(ROUTES_OF_KIND[kind])
                    + ")",
                )
        if issue and not by:
            r.fail(f"{path}.by", "au moins une voie attendue quand issue = true")
        if not issue and by:
            r.fail(f"{path}.by", "aucune voie quand issue = false")
        if issue and kind != "identifier" and kind not in credentials:
            r.fail(f"{path}.issue", f"exige [credentials.{kind}] (la forme du code)")
        instead = (
            r.text(entry["instead"], f"{path}.instead", MAX_INSTEAD) if "instead" in entry else None
        )
        final = r.boolean(entry.get("address_final", False), f"{path}.address_final")
        factors, limit = _redeem_factors(r, entry, path, by, identity_fields)
        result[kind] = CredentialRoute(
            kind=kind, issue=issue, by=by, instead=instead, address_final=final,
            redeem_factors=factors, redeem_failures_limit=limit,
        )  # fmt: skip
    return result


def _redeem_factors(
    r: _Reader,
    entry: dict[str, Any],
    path: str,
    by: tuple[str, ...],
    identity_fields: tuple[str, ...],
) -> tuple[tuple[str, ...], int]:
    """``redeem_factors`` and ``redeem_failures_limit`` of a ``[delivery.KIND]``: what
    the link's page asks before it shows the credential (seed 003), checkable with what
    the roll carries, one of them a secret; and the wrong answers that void the link."""
    if "redeem_factors" not in entry:
        if "redeem_failures_limit" in entry:
            r.fail(f"{path}.redeem_failures_limit", "sans objet sans redeem_factors")
        return (), DEFAULT_REDEEM_FAILURES_LIMIT
    where = f"{path}.redeem_factors"
    factors = r.texts(entry["redeem_factors"], where)
    if "link" not in by:
        r.fail(where, "exige la voie link dans by (les facteurs se saisissent sur la page du lien)")
    for number, factor in enumerate(factors, start=1):
        if factor not in REDEEM_FACTORS:
            r.fail(
                f"{where}[{number}]",
                f"facteur inconnu ou impossible sur la page du lien « {factor} » (facteurs "
                "admis : " + ", ".join(REDEEM_FACTORS) + ")",
            )
        needs = FACTOR_NEEDS[factor]
        if not any(need in identity_fields for need in needs):
            r.fail(
                f"{where}[{number}]",
                f"le facteur {factor} ({FACTOR_LABELS[factor]}) exige le champ "
                + " ou ".join(needs)
                + " dans identity_fields",
            )
    if not any(factor in SECRET_FACTORS for factor in factors):
        r.fail(where, "aucun facteur secret : il en faut au moins un (ex. numen)")
    limit = r.integer(
        entry.get("redeem_failures_limit", DEFAULT_REDEEM_FAILURES_LIMIT),
        f"{path}.redeem_failures_limit",
        1,
        MAX_REDEEM_FAILURES_LIMIT,
    )
    return factors, limit


def _scripts(r: _Reader, value: object) -> dict[str, Any]:
    """The call scripts, checked by csu.domain.call_script (imported here late: it
    reads this module's reader)."""
    from csu.domain.call_script import check_scripts

    return check_scripts(r, value)


def _verification_for(
    r: _Reader, value: object, credentials: dict[str, CredentialFormat]
) -> dict[str, tuple[frozenset[str], ...]]:
    spec = r.table(value, "verification_for", CREDENTIAL_KINDS)
    result: dict[str, tuple[frozenset[str], ...]] = {}
    for kind, sets in spec.items():
        if kind not in credentials:
            r.fail(f"verification_for.{kind}", "ce scrutin ne délivre pas ce type de code")
        result[kind] = validate_required_sets(sets, f"{r.source} : verification_for.{kind}")
    return result


def _platform_url(r: _Reader, value: object) -> str:
    url = r.text(value, "platform_url").rstrip("/")
    if not re.fullmatch(r"https://[^\s/$.?#][^\s]*", url):
        r.fail("platform_url", "adresse https:// attendue (ex. https://vote.exemple.fr)")
    try:  # malformed (« https://[::1/ »), what no link can carry, a port out of bounds
        parts = request_url(url, "platform_url")
    except InvalidValue as refusal:
        r.fail("platform_url", refusal.fault)
    # Every link sent to a voter starts with it: a password there would go out in each
    # message, and « https://vote.gouv.fr@autre.exemple » leads elsewhere than it reads.
    if "@" in parts.netloc:
        r.fail(
            "platform_url",
            "ni nom d'utilisateur ni mot de passe dans l'adresse (https://nom:secret@… "
            "refusé) : chaque lien envoyé aux électeurs les porterait",
        )
    return url


def _matricule_pattern(r: _Reader, value: object) -> str:
    pattern = r.text(value, "matricule_pattern")
    try:
        organiser_patterns.compiled(pattern)
    except organiser_patterns.PatternRefused as refusal:
        r.fail("matricule_pattern", str(refusal))
    return pattern


def _identity_documents(
    r: _Reader, top: dict[str, Any], every_set: list[frozenset[str]]
) -> tuple[str, ...]:
    """The documents a president may attest (``identity_documents``: keys of
    DOCUMENT_TYPES), every kind when the file does not say; only where a set of the
    file asks ``in_person``, the one factor that reads them."""
    if "identity_documents" not in top:
        return tuple(DOCUMENT_TYPES)
    if not any("in_person" in factors for factors in every_set):
        r.fail("identity_documents", "sans objet : aucun ensemble ne demande in_person")
    kinds = r.texts(top["identity_documents"], "identity_documents")
    for number, kind in enumerate(kinds, start=1):
        if kind not in DOCUMENT_TYPES:
            r.fail(
                f"identity_documents[{number}]",
                f"pièce inconnue « {kind} » (pièces admises : {', '.join(DOCUMENT_TYPES)})",
            )
    return kinds


def _professional_domains(r: _Reader, value: object) -> tuple[str, ...]:
    domains = r.texts(value, "professional_domains", allow_empty=True)
    for number, domain in enumerate(domains, start=1):
        fault = domain_pattern_fault(domain)
        if fault is not None:
            r.fail(f"professional_domains[{number}]", f"« {domain} » : {fault}")
    return domains


def _messages(r: _Reader, value: object) -> dict[str, tuple[str, str]]:
    spec = r.table(value, "messages", DEFAULT_MESSAGES)
    result: dict[str, tuple[str, str]] = {}
    for purpose, template in spec.items():
        path = f"messages.{purpose}"
        parts = r.table(template, path, ("subject", "body"), ("subject", "body"))
        subject = r.text(parts["subject"], f"{path}.subject", MAX_SUBJECT)
        body = parts["body"]
        if not isinstance(body, str) or is_blank(body):
            r.fail(f"{path}.body", "texte non vide attendu")
        if len(body) > MAX_MESSAGE_BODY:
            r.fail(f"{path}.body", f"{MAX_MESSAGE_BODY} caractères au plus ({len(body)} ici)")
        # Several lines, as a message has; nothing that would reorder or hide them.
        refuse_control_characters(
            body, f"{r.source} : {path}.body", allow_tab=True, allow_newlines=True
        )
        result[purpose] = check_template(purpose, subject, body, f"{r.source} : {path}")
    return result


def _credential_format(r: _Reader, value: object, path: str, kind: str) -> CredentialFormat:
    spec = r.table(value, path, ("alphabet", "length", "group"), ("alphabet", "length"))
    alphabet = spec["alphabet"]
    if not isinstance(alphabet, str):
        r.fail(_join(path, "alphabet"), "type attendu : texte")
    if not alphabet:
        r.fail(_join(path, "alphabet"), "ne doit pas être vide")
    if any(c.isspace() or not c.isprintable() for c in alphabet):
        r.fail(_join(path, "alphabet"), "ne doit contenir ni espace ni caractère de contrôle")
    doubled = sorted({c for c in alphabet if alphabet.count(c) > 1})
    if doubled:
        twice = plural_of(len(doubled), "caractère")
        r.fail(_join(path, "alphabet"), f"{twice} en double : " + " ".join(doubled))
    if len(alphabet) < MIN_ALPHABET:
        r.fail(
            _join(path, "alphabet"),
            f"{MIN_ALPHABET} caractères différents au moins ({len(alphabet)} ici) : un code "
            "tiré de si peu de caractères se devine",
        )
    length = r.integer(spec["length"], _join(path, "length"), 1, MAX_CREDENTIAL_LENGTH)
    if kind == "password" and length < MIN_PASSWORD_LENGTH:
        r.fail(
            _join(path, "length"),
            f"un mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères",
        )
    group = r.integer(spec.get("group", 0), _join(path, "group"), 0)
    if group > length:
        r.fail(_join(path, "group"), "ne doit pas dépasser la longueur (length)")
    fmt = CredentialFormat(kind=kind, alphabet=alphabet, length=length, group=group)
    if fmt.bits < MIN_CREDENTIAL_BITS:
        needed = math.ceil(MIN_CREDENTIAL_BITS / math.log2(len(alphabet)))
        bits = french_number(fmt.bits, 1)
        r.fail(
            _join(path, "length"),
            f"{counted(length, 'caractère')} parmi {len(alphabet)} "
            f"{plural_of(length, 'ne donne', 'ne donnent')} que {bits} bits ; "
            f"{MIN_CREDENTIAL_BITS} au moins attendus (longueur × log2(taille de l'alphabet)) : "
            f"{needed} caractères au moins avec cet alphabet",
        )
    return fmt


def _credentials(r: _Reader, value: object) -> dict[str, CredentialFormat]:
    if not isinstance(value, dict):
        r.fail("credentials", "type attendu : table")
    for kind in value:
        if kind not in CREDENTIAL_KINDS:
            r.fail(
                f"credentials.{kind}",
                f"type de code inconnu « {kind} » (types admis : {', '.join(CREDENTIAL_KINDS)})",
            )
    return {
        kind: _credential_format(r, value[kind], f"credentials.{kind}", kind)
        for kind in CREDENTIAL_KINDS
        if kind in value
    }


def _support(
    r: _Reader, value: object
) -> tuple[date | None, tuple[SupportWindow, ...], tuple[SupportLine, ...]]:
    spec = r.table(value, "support", ("starts_on", "windows", "lines"), ("windows",))
    starts_on = r.day(spec["starts_on"], "support.starts_on") if "starts_on" in spec else None
    raw_windows = spec["windows"]
    if not isinstance(raw_windows, list) or not raw_windows:
        r.fail("support.windows", "au moins une plage horaire attendue ([[support.windows]])")
    windows: list[SupportWindow] = []
    for number, raw in enumerate(raw_windows, start=1):
        path = f"support.windows[{number}]"
        window = r.table(
            raw, path, ("period", "days", "from", "to"), ("period", "days", "from", "to")
        )
        period = r.choice(window["period"], f"{path}.period", PERIODS, "période")
        names = r.texts(window["days"], f"{path}.days")
        days: set[int] = set()
        for index, name in enumerate(names, start=1):
            if name.lower() not in DAY_NAMES:
                r.fail(
                    f"{path}.days[{index}]",
                    f"jour inconnu « {name} » (jours admis : {', '.join(DAY_NAMES)})",
                )
            days.add(DAY_NAMES.index(name.lower()))
        start = r.clock_time(window["from"], f"{path}.from")
        end = r.clock_time(window["to"], f"{path}.to")
        if end <= start:
            r.fail(f"{path}.to", "doit être postérieure à from")
        windows.append(SupportWindow(period=period, days=frozenset(days), start=start, end=end))
    lines: list[SupportLine] = []
    raw_lines = spec.get("lines", [])
    if not isinstance(raw_lines, list):
        r.fail("support.lines", "type attendu : liste de tables ([[support.lines]])")
    for number, raw in enumerate(raw_lines, start=1):
        path = f"support.lines[{number}]"
        line = r.table(raw, path, ("name", "phone", "email"), ("name", "phone"))
        email = None
        if "email" in line:
            email = r.text(line["email"], f"{path}.email")
            if not _EMAIL.fullmatch(email):
                r.fail(f"{path}.email", "adresse électronique invalide")
        lines.append(
            SupportLine(
                name=r.text(line["name"], f"{path}.name"),
                phone=r.phone(line["phone"], f"{path}.phone"),
                email=email,
            )
        )
    return starts_on, tuple(windows), tuple(lines)


def _check_factors_available(
    r: _Reader,
    section: str,
    policy: dict[str, list[list[str]]],
    identity_fields: tuple[str, ...],
    credentials: dict[str, CredentialFormat],
) -> None:
    """Every factor of the policy (``[verification]``, or ``[verification_for]``: a set
    nobody can pass there blocks the issue for good) must be checkable with what the
    roll carries."""
    for channel, sets in policy.items():
        for number, factors in enumerate(sets, start=1):
            for factor in factors:
                needs = FACTOR_NEEDS[factor]
                if factor == "security_key_prefix" and "security_key" not in credentials:
                    r.fail(
                        f"{section}.{channel}[{number}]",
                        "le facteur security_key_prefix exige [credentials.security_key]",
                    )
                if needs and not any(need in identity_fields for need in needs):
                    r.fail(
                        f"{section}.{channel}[{number}]",
                        f"le facteur {factor} ({FACTOR_LABELS[factor]}) exige le champ "
                        + " ou ".join(needs)
                        + " dans identity_fields",
                    )


def _check_key_prefix(
    r: _Reader, credentials: dict[str, CredentialFormat], sets: Iterable[frozenset[str]]
) -> None:
    """A file that verifies by the security key's first characters gives keys that the
    check can read (csu.domain.credentials.prefix_fault): else every caller would fail
    it, each failure counting towards their lock."""
    key = credentials.get("security_key")
    if key is None or not any("security_key_prefix" in factors for factors in sets):
        return
    from csu.domain.credentials import prefix_fault  # late: it imports this module

    fault = prefix_fault(key)
    if fault is not None:
        r.fail(f"credentials.security_key.{fault[0]}", fault[1])


def _substitution(r: _Reader, value: object) -> SubstitutionRules:
    keys = ("enabled", "from", "requires_approval", "checklist", "identifier")
    spec = r.table(value, "substitution", keys, ("enabled",))
    enabled = r.boolean(spec["enabled"], "substitution.enabled")
    if enabled:
        for key in ("from", "identifier"):
            if key not in spec:
                r.fail(f"substitution.{key}", "clé obligatoire quand enabled = true")
    from_day = r.day(spec["from"], "substitution.from") if "from" in spec else None
    identifier = None
    if "identifier" in spec:
        identifier = _credential_format(
            r, spec["identifier"], "substitution.identifier", "identifier"
        )
    return SubstitutionRules(
        enabled=enabled,
        from_day=from_day,
        requires_approval=r.boolean(
            spec.get("requires_approval", True), "substitution.requires_approval"
        ),
        checklist=r.texts(spec.get("checklist", []), "substitution.checklist", allow_empty=True),
        identifier=identifier,
    )


def _sms_sender(r: _Reader, value: object) -> str:
    # Read first: its refusal (an InvalidValue, a ValueError) already names the field.
    sender = r.text(value, "sms_sender")
    try:
        return check_sms_sender(sender)
    except ValueError as error:
        r.fail("sms_sender", str(error))


def _platform(r: _Reader, value: object) -> PlatformPolicy:
    keys = ("login_failures_limit", "login_lock_minutes", "feed_silence_minutes")
    spec = r.table(value, "platform", keys)
    default = PlatformPolicy()
    return PlatformPolicy(
        **{
            key: r.integer(spec.get(key, getattr(default, key)), f"platform.{key}", 1)
            for key in keys
        }
    )


def _timings(r: _Reader, value: object) -> Timings:
    keys = ("link_validity_minutes", "otp_validity_seconds", "code_display_seconds")
    spec = r.table(value, "timings", (*keys, "links_until"))
    default = Timings()
    until = r.moment(spec["links_until"], "timings.links_until") if "links_until" in spec else None
    return Timings(
        **{
            key: r.integer(spec.get(key, getattr(default, key)), f"timings.{key}", 1)
            for key in keys
        },
        links_until=until,
    )


# --------------------------------------------------------------------------- JSON form


def _format_json(fmt: CredentialFormat) -> dict[str, Any]:
    return {"alphabet": fmt.alphabet, "length": fmt.length, "group": fmt.group}


def election_to_json(definition: ElectionDefinition) -> dict[str, Any]:
    """The definition as plain JSON values (for the store), in the TOML schema's
    shape; date-times as UTC RFC 3339 text, dates ISO, times ``HH:MM``."""
    d = definition
    factor_order = list(FACTOR_LABELS)
    support: dict[str, Any] = {
        "windows": [
            {
                "period": w.period,
                "days": [DAY_NAMES[day] for day in sorted(w.days)],
                "from": _hhmm(w.start),
                "to": _hhmm(w.end),
            }
            for w in d.support_windows
        ],
        "lines": [
            {"name": line.name, "phone": line.phone} | ({"email": line.email} if line.email else {})
            for line in d.support_lines
        ],
    }
    if d.support_starts_on is not None:
        support["starts_on"] = d.support_starts_on.isoformat()
    substitution: dict[str, Any] = {
        "enabled": d.substitution.enabled,
        "requires_approval": d.substitution.requires_approval,
        "checklist": list(d.substitution.checklist),
    }
    if d.substitution.from_day is not None:
        substitution["from"] = d.substitution.from_day.isoformat()
    if d.substitution.identifier is not None:
        substitution["identifier"] = _format_json(d.substitution.identifier)
    data: dict[str, Any] = {
        "id": d.id,
        "title": d.title,
        "organiser": d.organiser,
        "sender_name": d.sender_name,
        "support_phone": d.support_phone,
        "opens_at": rfc3339(d.opens_at),
        "closes_at": rfc3339(d.closes_at),
        "matricule_pattern": d.matricule_pattern,
        "capacities": list(d.capacities),
        "identity_fields": list(d.identity_fields),
        "retention_days": d.retention_days,
        "support": support,
        "credentials": {kind: _format_json(fmt) for kind, fmt in d.credentials.items()},
        "verification": {
            channel: [sorted(s, key=factor_order.index) for s in sets]
            for channel, sets in d.verification.items()
        },
        "substitution": substitution,
        "messages": {
            purpose: {"subject": subject, "body": body}
            for purpose, (subject, body) in d.messages.items()
        },
        "timings": {
            "link_validity_minutes": d.timings.link_validity_minutes,
            "otp_validity_seconds": d.timings.otp_validity_seconds,
            "code_display_seconds": d.timings.code_display_seconds,
        }
        | ({"links_until": rfc3339(d.timings.links_until)} if d.timings.links_until else {}),
        "delivery": {
            kind: {"issue": route.issue, "by": list(route.by)}
            | ({"instead": route.instead} if route.instead else {})
            | ({"address_final": True} if route.address_final else {})
            | (
                {
                    "redeem_factors": list(route.redeem_factors),
                    "redeem_failures_limit": route.redeem_failures_limit,
                }
                if route.redeem_factors
                else {}
            )
            for kind, route in d.delivery.items()
        },
    }
    if d.scripts:
        data["scripts"] = d.scripts
    if d.csu_phone is not None:
        data["csu_phone"] = d.csu_phone
    if d.sms_sender is not None:
        data["sms_sender"] = d.sms_sender
    if d.platform_url is not None:
        data["platform_url"] = d.platform_url
    if d.professional_domains:
        data["professional_domains"] = list(d.professional_domains)
    if d.identity_documents != tuple(DOCUMENT_TYPES):
        data["identity_documents"] = list(d.identity_documents)
    if d.platform != PlatformPolicy():
        data["platform"] = {
            "login_failures_limit": d.platform.login_failures_limit,
            "login_lock_minutes": d.platform.login_lock_minutes,
            "feed_silence_minutes": d.platform.feed_silence_minutes,
        }
    if d.verification_for:
        data["verification_for"] = {
            kind: [sorted(s, key=factor_order.index) for s in sets]
            for kind, sets in d.verification_for.items()
        }
    if d.scrutins:
        data["scrutins"] = scrutins_to_json(d.scrutins)
    data["emargement"] = rules_to_json(d.emargement)
    data |= contacts_to_json(d.contacts)
    return data


def definition_from_json(data: dict[str, Any]) -> ElectionDefinition:
    """Rebuild a definition from :func:`election_to_json`'s form, checking it again."""
    return build_election(data, stored_source(data.get("id") if isinstance(data, dict) else None))


def definition_from_text(text: str, election_id: str | None = None) -> ElectionDefinition:
    """A stored definition's JSON text, read and checked again: JSON no CSU wrote (cut
    short, or nested deeper than the parser goes) is an ``InvalidValue`` as any fault.
    Given the ``election_id`` of its row, faults name it, and a definition holding
    another id is refused (it would stand in for that other election)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidValue(stored_source(election_id), "JSON illisible") from None
    if election_id is None:
        return definition_from_json(data)
    source = stored_source(election_id)
    if not isinstance(data, dict):
        raise InvalidValue(source, "ce n'est pas un objet JSON")
    held = data.get("id")
    if not isinstance(held, str) or not held:
        raise InvalidValue(source, "sans identifiant")
    if held != election_id:
        shown = stored_source(held).removeprefix("définition enregistrée ")
        raise InvalidValue(source, f"elle porte l'identifiant d'une autre élection, « {shown} »")
    return build_election(data, source)


def stored_source(election_id: object) -> str:
    """« définition enregistrée ID », the id cut to its column's width: a fault quotes
    what the store holds, which a hand on the base may have made anything."""
    if not isinstance(election_id, str) or not election_id:
        return "définition enregistrée"
    shown = election_id if len(election_id) <= MAX_ID else election_id[: MAX_ID - 1] + "…"
    return f"définition enregistrée {shown}"
