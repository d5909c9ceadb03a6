"""Rules for one row of an electoral roll: validate, normalise, then seal its secrets.

A row is checked column by column and every fault is reported with its line
and column, so that an administrator fixes a file in one pass. Secrets leave
``seal`` only as keyed hashes: the clear values never reach the store.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from csu.domain import hashing, identifiers
from csu.domain.clock import PARIS
from csu.domain.errors import InvalidValue
from csu.domain.scrutins import Scrutin, parse_roll_scrutins
from csu.domain.text import single_line

COLUMNS = (
    "matricule",
    "nom",
    "prenom",
    "date_naissance",
    "email_pro",
    "telephone_pro",
    "telephone_mobile",
    "bureau",
    "qualite",
    "identifiant",
    "numen",
    "nir",
    "iban",
    "carte_agent",
    "question_defi",
    "reponse_defi",
    "scrutins",
    "adresse_postale",
    "circonscription",
)
REQUIRED = ("matricule", "nom", "prenom", "date_naissance", "bureau", "identifiant")
DEFAULT_CAPACITY = "électeur"
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
# Identifiers may be e-mail-like logins (Education: prenom.nom@ac-dijon.fr).
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@/+-]{0,99}$")
_MAX_NAME = 200
_NOT_IN_NAME = re.compile(r"[\d<>@;]")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    column: str
    reason: str

    def describe(self) -> str:
        return f"ligne {self.line}, colonne {self.column} : {self.reason}"


@dataclass(frozen=True, slots=True)
class RollRules:
    """What an election asks of its roll."""

    today: date
    matricule_pattern: str = identifiers.DEFAULT_MATRICULE_PATTERN
    capacities: tuple[str, ...] = ()  # empty: any capacity is accepted
    scrutins: tuple[Scrutin, ...] = ()  # the election's [[scrutins]]


@dataclass(frozen=True, slots=True)
class ValidRow:
    """A row checked and normalised; still holds secrets in clear (memory only)."""

    line: int
    matricule: str
    last_name: str
    first_name: str
    birth_date: date
    bureau: str
    capacity: str
    identifier: str
    email_pro: str | None
    phone_pro: str | None
    phone_mobile: str | None
    numen: str | None
    nir: str | None
    iban: str | None
    agent_card: str | None
    challenge_question: str | None
    challenge_answer: str | None
    scrutins: str | None = None  # "csa|cap" as the row listed them; None: the file decides
    postal_address: str | None = None  # lines joined by "\n" (parse_postal_address)
    constituency: str | None = None


@dataclass(frozen=True, slots=True)
class SealedRow:
    """What is written to the store for one row: no secret in clear."""

    line: int
    matricule: str
    pseudonym: str
    last_name: str
    first_name: str
    search_name: str
    search_name_rev: str
    birth_date: date
    bureau: str
    capacity: str
    identifier: str
    email_pro: str | None
    phone_pro: str | None
    phone_mobile: str | None
    numen_hash: str | None
    nir10_hash: str | None
    birth_department_hash: str | None
    iban6_hash: str | None
    card6_hash: str | None
    challenge_question: str | None
    challenge_answer_hash: str | None
    scrutins: str | None = None
    adresse_postale: str | None = None  # a contact, kept like email_pro (shown masked)
    circonscription: str | None = None


def check_header(header: list[str]) -> tuple[list[str], list[RowError]]:
    """Normalised column names, and the faults of the header row (line 1)."""
    names = [name.strip().lower() for name in header]
    errors = [
        RowError(1, name, "colonne obligatoire absente") for name in REQUIRED if name not in names
    ]
    errors += [
        RowError(1, shorten(name) or "(vide)", "colonne inconnue")
        for name in names
        if name not in COLUMNS
    ]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            errors.append(RowError(1, shorten(name), "colonne en double"))
        seen.add(name)
    return names, errors


def validate_row(row: dict[str, str], line: int, rules: RollRules) -> ValidRow | list[RowError]:
    errors: list[RowError] = []

    def field(column: str, parse: Callable[[str], Any], required: bool = False) -> Any:
        raw = (row.get(column) or "").strip()
        if not raw:
            if required:
                errors.append(RowError(line, column, "valeur obligatoire absente"))
            return None
        try:
            return parse(raw)
        except InvalidValue as error:
            errors.append(RowError(line, column, error.fault))
            return None

    matricule = field(
        "matricule", lambda v: identifiers.parse_matricule(v, rules.matricule_pattern), True
    )
    last_name = field("nom", _name, True)
    first_name = field("prenom", _name, True)
    birth_date = field(
        "date_naissance", lambda v: identifiers.parse_birth_date(v, rules.today), True
    )
    bureau = field("bureau", _code, True)
    identifier = field("identifiant", _identifier, True)
    capacity = field("qualite", lambda v: _capacity(v, rules.capacities)) or _default_capacity(
        rules.capacities
    )
    email_pro = field("email_pro", identifiers.parse_email)
    phone_pro = field("telephone_pro", lambda v: identifiers.parse_phone(v).e164)
    phone_mobile = field("telephone_mobile", lambda v: identifiers.parse_mobile(v).e164)
    numen = field("numen", identifiers.parse_numen)
    nir = field("nir", identifiers.parse_nir)
    iban = field("iban", identifiers.parse_iban)
    agent_card = field("carte_agent", identifiers.parse_agent_card)
    question = field("question_defi", _question)
    answer = field("reponse_defi", identifiers.normalise_answer)
    postal_address = field("adresse_postale", parse_postal_address)
    constituency = field("circonscription", _constituency)
    scrutins: str | None = None
    if bureau:  # the row's own scrutins, or else those of the election that take it
        try:
            scrutins = parse_roll_scrutins(
                row.get("scrutins") or "", rules.scrutins, capacity, bureau
            )
        except InvalidValue as error:
            errors.append(RowError(line, "scrutins", error.fault))
    if (question is None) != (answer is None):
        column = "reponse_defi" if answer is None else "question_defi"
        errors.append(RowError(line, column, "question et réponse vont ensemble"))
    if errors:
        return errors
    assert matricule and last_name and first_name and birth_date and bureau and identifier
    return ValidRow(
        line=line,
        matricule=matricule,
        last_name=last_name,
        first_name=first_name,
        birth_date=birth_date,
        bureau=bureau,
        capacity=capacity,
        identifier=identifier,
        email_pro=email_pro,
        phone_pro=phone_pro,
        phone_mobile=phone_mobile,
        numen=numen,
        nir=nir,
        iban=iban,
        agent_card=agent_card,
        challenge_question=question,
        challenge_answer=answer,
        scrutins=scrutins,
        postal_address=postal_address,
        constituency=constituency,
    )


def seal(row: ValidRow, key: bytes) -> SealedRow:
    """Replace every secret by its keyed hash."""

    def hashed(purpose: str, value: str | None) -> str | None:
        return hashing.keyed_hash(key, purpose, value) if value is not None else None

    nom = identifiers.normalise_name(row.last_name)
    prenom = identifiers.normalise_name(row.first_name)
    return SealedRow(
        line=row.line,
        matricule=row.matricule,
        pseudonym=hashing.pseudonym(key, row.matricule),
        last_name=row.last_name,
        first_name=row.first_name,
        search_name=f"{nom} {prenom}",
        search_name_rev=f"{prenom} {nom}",
        birth_date=row.birth_date,
        bureau=row.bureau,
        capacity=row.capacity,
        identifier=row.identifier,
        email_pro=row.email_pro,
        phone_pro=row.phone_pro,
        phone_mobile=row.phone_mobile,
        numen_hash=hashed(hashing.NUMEN, row.numen),
        nir10_hash=hashed(hashing.NIR10, row.nir and identifiers.nir_secret(row.nir)),
        birth_department_hash=hashed(
            hashing.BIRTH_DEPARTMENT, row.nir and identifiers.nir_department(row.nir)
        ),
        iban6_hash=hashed(hashing.IBAN6, row.iban and identifiers.iban_secret(row.iban)),
        card6_hash=hashed(
            hashing.CARD6, row.agent_card and identifiers.agent_card_secret(row.agent_card)
        ),
        challenge_question=row.challenge_question,
        challenge_answer_hash=hashed(hashing.CHALLENGE_ANSWER, row.challenge_answer),
        scrutins=row.scrutins,
        adresse_postale=row.postal_address,
        circonscription=row.constituency,
    )


def _name(raw: str) -> str:
    single_line(raw, "Nom")  # before the spaces are tidied: a tab or NUL is a fault
    value = " ".join(raw.split())
    if len(value) > _MAX_NAME:
        raise InvalidValue("Nom", f"{_MAX_NAME} caractères au plus")
    if _NOT_IN_NAME.search(value):
        raise InvalidValue("Nom", "caractère non admis dans un nom")
    return value


MAX_ADDRESS_LINES = 6
MAX_ADDRESS_LINE = 100
_ADDRESS_SEPARATOR = re.compile(r"\r\n|\r|\n| / ")
_POSTCODE = re.compile(r"\b[0-9]{5}\b")
_MAX_CONSTITUENCY = 100


def parse_postal_address(raw: str) -> str:
    """A home address for a letter: 2 to 6 lines (new lines in the cell, or « / »
    between them), the last with the postcode and the town (« 59000 LILLE »); spaces
    tidied; returned with its lines joined by "\n"."""
    field = "Adresse postale"
    lines = [" ".join(part.split()) for part in _ADDRESS_SEPARATOR.split(raw)]
    lines = [line for line in lines if line]
    for line in lines:
        single_line(line, field)
        if len(line) > MAX_ADDRESS_LINE:
            raise InvalidValue(field, f"{MAX_ADDRESS_LINE} caractères au plus par ligne")
        if _NOT_IN_ADDRESS.search(line):
            raise InvalidValue(field, "caractère non admis dans une adresse")
    if not 2 <= len(lines) <= MAX_ADDRESS_LINES:
        raise InvalidValue(
            field,
            f"2 à {MAX_ADDRESS_LINES} lignes attendues (séparées par un retour à la ligne "
            "ou « / »), la dernière avec le code postal et la commune",
        )
    if not _POSTCODE.search(lines[-1]):
        raise InvalidValue(
            field, "la dernière ligne doit porter le code postal et la commune (ex. 59000 LILLE)"
        )
    return "\n".join(lines)


_NOT_IN_ADDRESS = re.compile(r"[<>@;]")


def _constituency(raw: str) -> str:
    single_line(raw, "Circonscription")
    value = " ".join(raw.split())
    if len(value) > _MAX_CONSTITUENCY:
        raise InvalidValue("Circonscription", f"{_MAX_CONSTITUENCY} caractères au plus")
    return value


def _code(raw: str) -> str:
    if not _CODE.match(raw):
        raise InvalidValue("Code", "lettres, chiffres et . _ / - seulement, 64 caractères au plus")
    return raw


def _identifier(raw: str) -> str:
    if not _IDENTIFIER.match(raw):
        raise InvalidValue(
            "Identifiant", "lettres, chiffres et . _ @ / + - seulement, 100 caractères au plus"
        )
    return raw


def _question(raw: str) -> str:
    single_line(raw, "Question")
    value = " ".join(raw.split())
    if len(value) > 300:
        raise InvalidValue("Question", "300 caractères au plus")
    return value


def _capacity(raw: str, allowed: tuple[str, ...]) -> str:
    value = " ".join(raw.split()).lower()
    if allowed and value not in allowed:
        raise InvalidValue("Qualité", f"« {value} » inconnue ; attendues : {', '.join(allowed)}")
    return value


def _default_capacity(allowed: tuple[str, ...]) -> str:
    return allowed[0] if allowed else DEFAULT_CAPACITY


_VOTE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


def parse_vote_time(raw: str) -> datetime:
    """When a material was used: ISO 8601 with an offset, or Paris local time."""
    value = raw.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
        for pattern in _VOTE_FORMATS:
            try:
                moment = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        raise InvalidValue(
            "Date de vote", f"« {shorten(value)} » illisible (jj/mm/aaaa hh:mm ou ISO 8601)"
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00: before the first representable day
        fault = f"« {shorten(value)} » hors des dates possibles"
        raise InvalidValue("Date de vote", fault) from None


def parse_identifier(raw: str) -> str:
    """A material identifier as the roll states it (émargement files name them too)."""
    return _identifier(raw)


def shorten(value: str, limit: int = 40) -> str:
    """A value quoted in a message, cut: a file's cell may be thousands of characters."""
    return value if len(value) <= limit else value[: limit - 1] + "…"
