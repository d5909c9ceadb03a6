"""Rules for one row of an electoral roll: validate, normalise, then seal its secrets.

A row is checked column by column and every fault is reported with its line
and column, so that an administrator fixes a file in one pass. Secrets leave
``seal`` only as keyed hashes: the clear values never reach the store.
"""

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from csu.domain import hashing, identifiers
from csu.domain.clock import PARIS
from csu.domain.errors import InvalidValue
from csu.domain.scrutins import Scrutin, parse_roll_scrutins
from csu.domain.text import invisible_shown, is_blank, mixed_scripts, single_line

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
_WORDS = re.compile(r"[\s\-\u2010\u2011]+")  # a name's words, hyphens apart


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
    # The id of the election's one implicit scrutin, when its file lists none: the
    # « scrutins » column may name it, which says what an empty cell says.
    implicit_scrutin: str | None = None


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
    identity: int = 0  # identity_print of the row: never stored, the import compares it


def identity_print(last_name: str, first_name: str, born: date | None) -> int:
    """The identity of a person as rolls are compared (names by normalise_name: no
    accents, case, hyphens or apostrophes; the date of birth exactly), in one int: an
    import remembers one for each of a million matricules. Each name is a CRC-32, so
    that identity_differences can tell which field differs; two different names taken
    for the same have a chance of one in four billion."""
    return (
        zlib.crc32(last_name.encode()) << 52
        | zlib.crc32(first_name.encode()) << 20
        | (born.toordinal() if born else 0)  # below 2**20 until the year 2870
    )


def identity_differences(one: int, other: int) -> list[str]:
    """Which of name, first name and date of birth two identity prints differ in
    (French field names, in that order, as identifiers.identity_mismatches)."""
    last, first, born = identifiers.IDENTITY_FIELDS
    found = []
    if one >> 52 != other >> 52:
        found.append(last)
    if (one >> 20) & 0xFFFFFFFF != (other >> 20) & 0xFFFFFFFF:
        found.append(first)
    if one & 0xFFFFF != other & 0xFFFFF:
        found.append(born)
    return found


def check_header(header: list[str], line: int = 1) -> tuple[list[str], list[RowError]]:
    """Normalised column names, and the faults of the header row (at ``line``)."""
    names = [name.strip().lower() for name in header]
    errors = [
        RowError(line, name, "colonne obligatoire absente")
        for name in REQUIRED
        if name not in names
    ]
    errors += [
        RowError(line, shorten(name) or "(vide)", "colonne inconnue")
        for name in names
        if name not in COLUMNS
    ]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            errors.append(RowError(line, shorten(name), "colonne en double"))
        seen.add(name)
    return names, errors


def _phone(raw: str) -> str:
    return identifiers.parse_phone(raw).e164


def _mobile(raw: str) -> str:
    return identifiers.parse_mobile(raw).e164


class RowChecker:
    """``validate_row`` for the rows of one roll: the election's rules bound once.

    ``fields`` gives a valid row as the fields of its :class:`ValidRow`, by name, and
    ``seal_fields`` those of its :class:`SealedRow`: an import of a million rows
    skips building the two frozen dataclasses (~5 µs each a row).
    """

    __slots__ = ("_ballots", "_columns", "_default_capacity", "_rules", "_scrutins")

    def __init__(self, rules: RollRules) -> None:
        self._rules = rules
        # A roll repeats a few « scrutins » cells, capacities and bureaus: each
        # combination is checked once (its result or its fault).
        self._scrutins: dict[tuple[str, str, str], str | InvalidValue | None] = {}
        self._ballots = rules.scrutins or (
            (Scrutin(rules.implicit_scrutin, rules.implicit_scrutin),)
            if rules.implicit_scrutin
            else ()
        )
        self._default_capacity = _default_capacity(rules.capacities)
        # In the order faults are reported: (column, ValidRow field, parser, required).
        self._columns: tuple[tuple[str, str, Callable[[str], Any], bool], ...] = (
            (
                "matricule",
                "matricule",
                partial(identifiers.parse_matricule, pattern=rules.matricule_pattern),
                True,
            ),
            ("nom", "last_name", _name, True),
            ("prenom", "first_name", _name, True),
            (
                "date_naissance",
                "birth_date",
                partial(identifiers.parse_birth_date, today=rules.today),
                True,
            ),
            ("bureau", "bureau", _code, True),
            ("identifiant", "identifier", _identifier, True),
            ("qualite", "capacity", partial(_capacity, allowed=rules.capacities), False),
            ("email_pro", "email_pro", identifiers.parse_email, False),
            ("telephone_pro", "phone_pro", _phone, False),
            ("telephone_mobile", "phone_mobile", _mobile, False),
            ("numen", "numen", identifiers.parse_numen, False),
            ("nir", "nir", identifiers.parse_nir, False),
            ("iban", "iban", identifiers.parse_iban, False),
            ("carte_agent", "agent_card", identifiers.parse_agent_card, False),
            ("question_defi", "challenge_question", _question, False),
            ("reponse_defi", "challenge_answer", identifiers.normalise_answer, False),
            ("adresse_postale", "postal_address", parse_postal_address, False),
            ("circonscription", "constituency", _constituency, False),
        )

    def fields(self, row: dict[str, str], line: int) -> dict[str, Any] | list[RowError]:
        """The fields of the row's ValidRow, or its faults."""
        errors: list[RowError] = []
        valid: dict[str, Any] = {"line": line}
        for column, name, parse, required in self._columns:
            raw = row.get(column)
            if raw:
                raw = raw.strip()
            if not raw:
                if required:
                    errors.append(RowError(line, column, "valeur obligatoire absente"))
                valid[name] = None
                continue
            try:
                valid[name] = parse(raw)
            except InvalidValue as error:
                errors.append(RowError(line, column, error.fault))
                valid[name] = None
        capacity = valid["capacity"] = valid["capacity"] or self._default_capacity
        bureau = valid["bureau"]
        scrutins: str | None = None
        if bureau:  # the row's own scrutins, or else those of the election that take it
            checked = self._roll_scrutins(row.get("scrutins") or "", capacity, bureau)
            if isinstance(checked, InvalidValue):
                errors.append(RowError(line, "scrutins", checked.fault))
            else:
                scrutins = checked
        valid["scrutins"] = scrutins
        question, answer = valid["challenge_question"], valid["challenge_answer"]
        if (question is None) != (answer is None):
            column = "reponse_defi" if answer is None else "question_defi"
            errors.append(RowError(line, column, "question et réponse vont ensemble"))
        if errors:
            return errors
        return valid


    def _roll_scrutins(self, raw: str, capacity: str, bureau: str) -> str | InvalidValue | None:
        key = (raw, capacity, bureau)
        if key in self._scrutins:
            return self._scrutins[key]
        found: str | InvalidValue | None
        try:
            found = parse_roll_scrutins(raw, self._ballots, capacity, bureau)
            if not self._rules.scrutins:
                found = None  # the implicit scrutin named: every material has it anyway
        except InvalidValue as error:
            found = error
        if len(self._scrutins) < _MAX_REMEMBERED:  # a hostile file cannot grow it unbounded
            self._scrutins[key] = found
        return found


_MAX_REMEMBERED = 10_000


def validate_row(row: dict[str, str], line: int, rules: RollRules) -> ValidRow | list[RowError]:
    checked = RowChecker(rules).fields(row, line)
    if isinstance(checked, list):
        return checked
    return ValidRow(**checked)


_VALID_FIELDS = tuple(f.name for f in dataclass_fields(ValidRow))


def seal(row: ValidRow, key: bytes) -> SealedRow:
    """Replace every secret by its keyed hash."""
    return SealedRow(**seal_fields({name: getattr(row, name) for name in _VALID_FIELDS}, key))


def seal_fields(row: dict[str, Any], key: bytes) -> dict[str, Any]:
    """``seal`` on the fields of a ValidRow, by name: those of the SealedRow."""
    keyed_hash = hashing.keyed_hash
    matricule, nir, iban, card = row["matricule"], row["nir"], row["iban"], row["agent_card"]
    # Each secret as seal hashes it: None stays None.
    numen = row["numen"]
    nir10 = nir and identifiers.nir_secret(nir)
    department = nir and identifiers.nir_department(nir)
    iban6 = iban and identifiers.iban_secret(iban)
    card6 = card and identifiers.agent_card_secret(card)
    answer = row["challenge_answer"]
    nom = identifiers.normalise_name(row["last_name"])
    prenom = identifiers.normalise_name(row["first_name"])
    return {
        "line": row["line"],
        "matricule": matricule,
        "pseudonym": hashing.pseudonym(key, matricule),
        "last_name": row["last_name"],
        "first_name": row["first_name"],
        "search_name": f"{nom} {prenom}",
        "search_name_rev": f"{prenom} {nom}",
        "birth_date": row["birth_date"],
        "bureau": row["bureau"],
        "capacity": row["capacity"],
        "identifier": row["identifier"],
        "email_pro": row["email_pro"],
        "phone_pro": row["phone_pro"],
        "phone_mobile": row["phone_mobile"],
        "numen_hash": None if numen is None else keyed_hash(key, hashing.NUMEN, numen),
        "nir10_hash": None if nir10 is None else keyed_hash(key, hashing.NIR10, nir10),
        "birth_department_hash": (
            None if department is None else keyed_hash(key, hashing.BIRTH_DEPARTMENT, department)
        ),
        "iban6_hash": None if iban6 is None else keyed_hash(key, hashing.IBAN6, iban6),
        "card6_hash": None if card6 is None else keyed_hash(key, hashing.CARD6, card6),
        "challenge_question": row["challenge_question"],
        "challenge_answer_hash": (
            None if answer is None else keyed_hash(key, hashing.CHALLENGE_ANSWER, answer)
        ),
        "scrutins": row["scrutins"],
        "adresse_postale": row["postal_address"],
        "circonscription": row["constituency"],
        "identity": identity_print(nom, prenom, row["birth_date"]),
    }


def _name(raw: str) -> str:
    single_line(raw, "Nom")  # before the spaces are tidied: a tab or NUL is a fault
    value = " ".join(raw.split())
    if len(value) > _MAX_NAME:
        raise InvalidValue("Nom", f"{_MAX_NAME} caractères au plus")
    if _NOT_IN_NAME.search(value):
        raise InvalidValue("Nom", "caractère non admis dans un nom")
    if is_blank(value):  # U+200B, U+3164…: a name that shows nothing
        raise InvalidValue("Nom", "aucun caractère visible")
    if any(mixed_scripts(word) for word in _WORDS.split(value)):  # « Dupont-Иванов » too
        raise InvalidValue(
            "Nom", "lettres de plusieurs alphabets dans un mot (ex. un « о » cyrillique)"
        )
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
    """A value quoted in a message, cut (a file's cell may be thousands of characters),
    what draws nothing in it shown as its code."""
    return invisible_shown(value if len(value) <= limit else value[: limit - 1] + "…")
