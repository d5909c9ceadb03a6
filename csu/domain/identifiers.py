"""Parsers for the identifiers a voter is known by.

Each ``parse_*`` function returns the normalised value or raises
:class:`~csu.domain.errors.InvalidValue` with a French message naming the
field and the fault -- and nothing else, whatever the input string.

They run in the hot path of an electoral-roll import (a million rows), so
regexes are compiled once, cheap checks come first and each library is
called in its cheapest correct way; the costs are noted where they matter.
"""

import datetime
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from types import ModuleType
from typing import Any, cast

import email_validator
import phonenumbers
from email_validator import rfc_constants as email_rfc
from email_validator import syntax as email_syntax
from phonenumbers import (
    NumberParseException,
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberDesc,
    PhoneNumberType,
)
from stdnum import numdb
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fr import nir as stdnum_nir
from stdnum.util import get_cc_module

from csu.domain import organiser_patterns
from csu.domain.errors import InvalidValue
from csu.domain.plural import counted
from csu.domain.text import describe_character, mixed_scripts

__all__ = [
    "DEFAULT_MATRICULE_PATTERN",
    "MAX_MATRICULE",
    "Phone",
    "agent_card_secret",
    "iban_secret",
    "iban_shaped",
    "nir_department",
    "nir_factor",
    "nir_secret",
    "normalise_answer",
    "normalise_name",
    "parse_agent_card",
    "parse_birth_date",
    "parse_department",
    "parse_email",
    "parse_iban",
    "parse_matricule",
    "parse_mobile",
    "parse_nir",
    "parse_numen",
    "parse_phone",
    "typed_matricule",
]

ABSENT = "valeur absente"
# An empty phone or e-mail field is one typed at the desk (a roll's empty cell never
# reaches a parser): said as what to do, not as « valeur absente ».
PHONE_ABSENT = "tapez le numéro donné par l'électeur"
EMAIL_ABSENT = "tapez l'adresse donnée par l'électeur"

# Spaces a value may carry when copied from a document: the French
# typographic ones (no-break and narrow no-break) included.
_SPACES = " \t\u00a0\u202f\u2009"


def _deleting(chars: str) -> dict[int, None]:
    return str.maketrans("", "", chars)


# ---------------------------------------------------------------- matricule

DEFAULT_MATRICULE_PATTERN = r"^[A-Z0-9]{4,12}$"
MAX_MATRICULE = 64
"""The width of the voters' matricule column (csu.store.tables.Voter): no longer one
can be stored, so none is worth matching."""
_ALNUM = re.compile(r"[A-Z0-9]+")


def parse_matricule(raw: str, pattern: str = DEFAULT_MATRICULE_PATTERN) -> str:
    """Trim and upper-case a staff number, then match it whole against ``pattern``."""
    field = "Matricule"
    value = raw.strip()
    if not value:
        raise InvalidValue(field, ABSENT)
    # Checked before upper-casing: "ß".upper() is "SS", which would slip through.
    if not value.isascii():
        raise InvalidValue(field, "caractères non autorisés (lettres et chiffres seulement)")
    # Whatever the organiser's pattern (« .* », or « \S » which takes ESC): a control
    # character would reach a supervisor's terminal through an export (attack run), and
    # a space would make the voter unfindable, as the look-up reads a matricule without.
    for index, char in enumerate(value):
        if not char.isprintable():
            raise InvalidValue(
                field, f"caractère interdit en position {index + 1} ({describe_character(char)})"
            )
        if char == " ":
            raise InvalidValue(field, f"espace interdit en position {index + 1}")
    value = value.upper()
    # Bounded before matching: the store's column, where a roll line may hold 16,384
    # characters (the organiser's pattern runs in linear time, csu.domain.organiser_patterns).
    too_long = len(value) > MAX_MATRICULE
    # fullmatch, not match: "$" also matches before a final newline.
    if not too_long and organiser_patterns.compiled(pattern).fullmatch(value):
        return value
    if pattern == DEFAULT_MATRICULE_PATTERN:
        if not _ALNUM.fullmatch(value):
            raise InvalidValue(field, "caractères non autorisés (lettres et chiffres seulement)")
        raise InvalidValue(field, f"4 à 12 caractères attendus, {counted(len(value), 'reçu')}")
    if too_long:
        raise InvalidValue(field, f"{MAX_MATRICULE} caractères au plus, {len(value)} reçus")
    raise InvalidValue(field, "format non reconnu")


def typed_matricule(raw: str) -> str:
    """A matricule typed to find a voter's entries (a journal filter, an export's
    option): its spaces dropped, as the look-up reads one read out in groups
    (« MI 1216 1814 »), and any election's pattern taken, as the journal holds every
    election's voters; still refused with a control character or past its column."""
    return parse_matricule("".join(raw.split()), ANY_MATRICULE)


ANY_MATRICULE = r".+"


# -------------------------------------------------------------------- NUMEN

_NUMEN = re.compile(r"[0-9]{2}[A-Z][0-9]{7}[A-Z]{3}")


def parse_numen(raw: str) -> str:
    """A NUMEN: 2 digits, 1 letter, 7 digits, 3 letters; spaces dropped, upper-cased."""
    field = "NUMEN"
    value = "".join(raw.split())
    if not value:
        raise InvalidValue(field, ABSENT)
    if not value.isascii():
        raise InvalidValue(field, "caractères non autorisés (lettres et chiffres seulement)")
    value = value.upper()
    if _NUMEN.fullmatch(value):
        return value
    if len(value) != 13:
        raise InvalidValue(field, f"13 caractères attendus, {counted(len(value), 'reçu')}")
    raise InvalidValue(field, "format attendu : 2 chiffres, 1 lettre, 7 chiffres, 3 lettres")


# ---------------------------------------------------------------------- NIR

_NIR_DROP = _deleting(_SPACES + ".")
_NIR = re.compile(r"[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8}")


def parse_nir(raw: str) -> str:
    """A French social-security number: 15 characters, 13 + a 2-digit key.

    Spaces and dots are dropped; Corsica (2A, 2B) is handled by stdnum's key.
    """
    field = "NIR"
    # translate() is the costly step here (~0.8 µs): a value with nothing to drop skips it.
    value = raw if raw.isascii() and raw.isalnum() else raw.translate(_NIR_DROP)
    if not value:
        raise InvalidValue(field, ABSENT)
    if not value.isascii() or not value.isalnum():
        raise InvalidValue(field, "caractères non autorisés (chiffres, et 2A ou 2B pour la Corse)")
    value = value.upper()
    if len(value) != 15:
        raise InvalidValue(field, f"15 caractères attendus, {counted(len(value), 'reçu')}")
    if not _NIR.fullmatch(value):
        raise InvalidValue(field, "lettres admises seulement en 6e-7e position (Corse : 2A, 2B)")
    # The key itself comes from stdnum; validate() would compact and re-check
    # the format we have just checked, calc_check_digits() is the part we lack.
    if stdnum_nir.calc_check_digits(value) != value[13:]:
        raise InvalidValue(field, f"clé de contrôle {value[13:]} incorrecte")
    return value


def nir_secret(nir: str) -> str:
    """The secret factor of a normalised NIR: its first 10 characters."""
    return nir[:10]


# What a caller's NIR may be written with: spaces (French typographic ones too), dots,
# dashes of every kind and slashes, as it is read out or copied from a card.
_NIR_SAID_DROP = _deleting(_SPACES + ".-/\u2010\u2011\u2012\u2013\u2014\u2212")
_NIR_HEAD = re.compile(r"[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{3}(?:[0-9]{3})?")


def nir_factor(raw: str) -> str:
    """The NIR factor (its first 10 characters, as :func:`nir_secret` keeps them) of a
    NIR as a caller gives it: the first 10 characters, the 13 without the key, or the
    whole 15 with it (the key is then checked); spaces, dots, dashes and slashes
    dropped, « 2a » read as 2A (Corsica)."""
    field = "NIR"
    value = raw.translate(_NIR_SAID_DROP)
    if not value:
        raise InvalidValue(field, ABSENT)
    if not value.isascii() or not value.isalnum():
        raise InvalidValue(field, "caractères non autorisés (chiffres, et 2A ou 2B pour la Corse)")
    value = value.upper()
    if len(value) == 15:
        return nir_secret(parse_nir(value))
    if len(value) not in (10, 13):
        raise InvalidValue(
            field, f"10, 13 ou 15 caractères attendus (avec la clé), {counted(len(value), 'reçu')}"
        )
    if not _NIR_HEAD.fullmatch(value):
        raise InvalidValue(field, "lettres admises seulement en 6e-7e position (Corse : 2A, 2B)")
    return nir_secret(value)


def iban_tail(raw: str) -> str:
    """The IBAN factor: its last 6 characters, as a caller reads them or within the
    whole IBAN (spaces dropped); fewer, or other than letters and digits, is a format
    fault, which says nothing of the IBAN on record."""
    return _read_part("IBAN", raw)[-6:]


def card_head(raw: str) -> str:
    """The agent card factor: the first 6 characters of its serial number, or more of
    it (spaces dropped)."""
    return _read_part("Carte agent", raw)[:6]


def _read_part(field: str, raw: str) -> str:
    value = "".join(raw.split()).upper()
    if not value:
        raise InvalidValue(field, ABSENT)
    if not value.isascii() or not value.isalnum():
        raise InvalidValue(field, "lettres et chiffres seulement")
    if len(value) < 6:
        raise InvalidValue(field, f"6 caractères attendus, {counted(len(value), 'reçu')}")
    return value


def nir_department(nir: str) -> str:
    """The département of birth in a normalised NIR: characters 6-7.

    Overseas (97x) and former overseas territories (98x) take three
    characters, as in the INSEE code, so that "971" typed by a caller
    compares equal; "99" means born abroad.
    """
    department = nir[5:7]
    if department in ("97", "98"):
        return nir[5:8]
    return department


# --------------------------------------------------------------------- IBAN

_IBAN_DROP = _deleting(_SPACES + "-.")
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+")
_IBAN_DIGITS = str.maketrans({chr(c): str(c - 55) for c in range(ord("A"), ord("Z") + 1)})
_IBAN_FIELD = re.compile(r"([0-9]+)!([nac])")
_IBAN_CLASSES = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}


@dataclass(frozen=True, slots=True)
class _IbanCountry:
    length: int
    bban: re.Pattern[str]
    module: ModuleType | None  # stdnum's national check, for the few countries that have one


@cache
def _iban_country(code: str) -> _IbanCountry | None:
    """The IBAN format of a country, from stdnum's copy of the SWIFT registry."""
    properties = numdb.get("iban").info(code)[0][1]
    structure = properties.get("bban")
    if not structure:
        return None
    fields = _IBAN_FIELD.findall(structure)
    if "".join(f"{count}!{kind}" for count, kind in fields) != structure:
        return None  # a structure this parser does not know how to read
    pattern = "".join(f"{_IBAN_CLASSES[kind]}{{{count}}}" for count, kind in fields)
    length = 4 + sum(int(count) for count, _ in fields)
    return _IbanCountry(length, re.compile(pattern), get_cc_module(code, "iban"))


def parse_iban(raw: str) -> str:
    """An IBAN in compact upper-case form: country format and mod-97 key checked.

    Same guarantees as ``stdnum.iban.validate`` (whose registry and national
    checks it uses) at about a tenth of the cost: stdnum converts each
    character with int(c, 36), rebuilds the BBAN regex from the registry and
    walks the prefix database on every call (~33 µs), all of which is done
    once per country here. tests/domain/test_identifiers.py checks that both
    agree on valid IBANs and on corrupted ones.
    """
    field = "IBAN"
    value = raw if raw.isascii() and raw.isalnum() else raw.translate(_IBAN_DROP)  # as parse_nir
    if not value:
        raise InvalidValue(field, ABSENT)
    if not value.isascii() or not value.isalnum():
        raise InvalidValue(field, "caractères non autorisés (lettres et chiffres seulement)")
    value = value.upper()
    refusal = _iban_shape_refusal(value)
    if refusal is not None:
        raise InvalidValue(field, refusal)
    code = value[:2]
    # ISO 13616: the number with its first 4 characters moved to the end,
    # letters read as 10..35, is 1 modulo 97.
    if int((value[4:] + value[:4]).translate(_IBAN_DIGITS)) % 97 != 1:
        raise InvalidValue(field, f"clé de contrôle {value[2:4]} incorrecte")
    country = _iban_country(code)  # known: the shape was checked against it
    if country is not None and country.module is not None:
        try:
            country.module.validate(value)
        except StdnumValidationError:
            raise InvalidValue(field, f"numéro de compte incorrect pour {code}") from None
    return value


def iban_shaped(value: str) -> bool:
    """Whether a compact upper-case ``value`` has its country's IBAN length and account
    format, whatever its check digits: an IBAN, or one mistyped (masking)."""
    return _iban_shape_refusal(value) is None


def _iban_shape_refusal(value: str) -> str | None:
    """Why a compact upper-case ``value`` is not shaped as its country's IBANs (in
    French), or None: the checks before the check digits."""
    if not _IBAN_SHAPE.fullmatch(value):
        return "doit commencer par 2 lettres (pays) et 2 chiffres (clé)"
    code = value[:2]
    country = _iban_country(code)
    if country is None:
        return f"code pays {code} inconnu"
    if len(value) != country.length:
        return f"{country.length} caractères attendus pour {code}, {counted(len(value), 'reçu')}"
    if not country.bban.fullmatch(value, 4):
        return f"format de compte incorrect pour {code}"
    return None


def iban_secret(iban: str) -> str:
    """The secret factor of a normalised IBAN: its last 6 characters."""
    return iban[-6:]


# --------------------------------------------------------------- agent card

_CARD_DROP = _deleting(_SPACES)


def parse_agent_card(raw: str) -> str:
    """An agent-card serial: letters and digits, 6 to 32 of them, upper-cased.

    Spaces are dropped, as for the NUMEN: a serial read out over the phone
    is often typed in groups.
    """
    field = "Carte agent"
    value = raw.strip()
    if not (value.isascii() and value.isalnum()):  # nothing to drop otherwise, as parse_nir
        value = value.translate(_CARD_DROP)
    if not value:
        raise InvalidValue(field, ABSENT)
    if not value.isascii() or not value.isalnum():
        raise InvalidValue(field, "caractères non autorisés (lettres et chiffres seulement)")
    if not 6 <= len(value) <= 32:
        raise InvalidValue(field, f"6 à 32 caractères attendus, {counted(len(value), 'reçu')}")
    return value.upper()


def agent_card_secret(serial: str) -> str:
    """The secret factor of a normalised agent-card serial: its first 6 characters."""
    return serial[:6]


# ----------------------------------------------------------- date of birth

_FRENCH_DATE = re.compile(r"([0-9]{1,2})[/. -]([0-9]{1,2})[/. -]([0-9]{4})")
# Eight digits, as read out over the phone and typed without the slashes: jjmmaaaa.
_FRENCH_DIGITS = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{4})")
_ISO_DIGITS = re.compile(r"(19|20)[0-9]{2}(0[1-9]|1[0-2])[0-9]{2}")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
MIN_AGE = 16
MAX_AGE = 100


def date_parts(value: str) -> tuple[str, str, str] | None:
    """(day, month, year) of a date as typed, or None: « jj/mm/aaaa » (or « . », « - »
    or a space between), « jjmmaaaa » as read out over the phone, ISO « aaaa-mm-jj », or
    « aaaammjj » where read day first it gives no month (« 80 ») or no year of this or
    the last century (« 20080521 »: the 20/08/0521)."""
    if match := _FRENCH_DATE.fullmatch(value) or _FRENCH_DIGITS.fullmatch(value):
        day, month, year = match.groups()
        if _ISO_DIGITS.fullmatch(value) and not (
            1 <= int(month) <= 12 and year.startswith(("19", "20"))
        ):
            return value[6:], value[4:6], value[:4]
        return day, month, year
    if match := _ISO_DATE.fullmatch(value):
        year, month, day = match.groups()
        return day, month, year
    return None


def parse_birth_date(raw: str, today: datetime.date) -> datetime.date:
    """A date of birth, "jj/mm/aaaa" (or "jjmmaaaa", or spaces for the slashes) or ISO
    "aaaa-mm-jj", for an age of 16 to 100 on ``today``."""
    field = "Date de naissance"
    value = raw.strip()
    if not value:
        raise InvalidValue(field, ABSENT)
    parts = date_parts(value)
    if parts is None:
        raise InvalidValue(field, "format attendu jj/mm/aaaa")
    day, month, year = parts
    try:
        born = datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise InvalidValue(field, f"le {day}/{month}/{year} n'existe pas") from None
    if born > today:
        raise InvalidValue(field, "date dans le futur")
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if not MIN_AGE <= age <= MAX_AGE:
        raise InvalidValue(field, f"âge de {age} ans, hors des limites ({MIN_AGE} à {MAX_AGE} ans)")
    return born


# ------------------------------------------------------------- département

# Metropolitan 01-95 (20 is Corsica before 1976, still in old NIRs), 2A/2B,
# overseas 971-978, former and present territories 984-989, 99 abroad.
_DEPARTMENT = re.compile(r"0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-8]|98[4-9]|99")


def parse_department(raw: str) -> str:
    """A département of birth as a caller says it: "75", "2a", "971", "99" (abroad)."""
    field = "Département de naissance"
    value = raw.strip()
    if not value:
        raise InvalidValue(field, ABSENT)
    if not value.isascii():
        raise InvalidValue(field, "caractères non autorisés")
    value = value.upper()
    if len(value) == 1 and value.isdigit():
        value = "0" + value  # "1" is the Ain, written "01"
    if _DEPARTMENT.fullmatch(value):
        return value
    raise InvalidValue(field, f"{value} n'est pas un département (ex. : 75, 2A, 971, 99)")


# ------------------------------------------------------------------- phone


@dataclass(frozen=True, slots=True)
class Phone:
    e164: str  # "+33612345678"
    region: str | None  # "FR", "GP"... as phonenumbers sees it
    is_mobile: bool


_PHONE_FIELD = "Téléphone"
_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
# phonenumbers ignores these separators; dropping them first makes its
# per-character digit normalisation shorter (~5 µs of ~25 on "06 12 34 56 78").
# tests/domain/test_identifiers.py checks that the parse is unchanged.
# (Three digits at least: phonenumbers reads "1.0" and "10" differently.)
# At most two separators in a row keeps the text far below phonenumbers' own
# 250-character limit, so the fast path never accepts what it would refuse.
_PHONE_SIMPLE = re.compile(r"\+?[ .\-]{0,2}(?:[0-9][ .\-]{0,2}){3,20}")
_FRENCH_NATIONAL = re.compile(r"0[1-9][0-9]{8}")
_FRENCH_INTERNATIONAL = re.compile(r"\+33[1-9][0-9]{8}")

# Overseas départements share the French 10-digit plan: from Paris one dials
# 0690 12 34 56 for Guadeloupe, from Guadeloupe 06 12 34 56 78 for Paris;
# phonenumbers keeps each under its own country code. A national number that
# is invalid where it was typed is tried under the zone's other codes.
_FRENCH_ZONE_REGIONS = frozenset({"FR", "GP", "BL", "MF", "MQ", "GF", "RE", "YT"})
_FRENCH_ZONE_CODES = (33, 590, 596, 594, 262)

_PARSE_FAULTS = {
    NumberParseException.INVALID_COUNTRY_CODE: "indicatif pays inconnu",
    NumberParseException.NOT_A_NUMBER: "ce n'est pas un numéro de téléphone",
    NumberParseException.TOO_SHORT_AFTER_IDD: "numéro trop court",
    NumberParseException.TOO_SHORT_NSN: "numéro trop court",
    NumberParseException.TOO_LONG: "numéro trop long",
}
_LENGTH_FAULTS = {
    phonenumbers.ValidationResult.TOO_SHORT: "numéro trop court",
    phonenumbers.ValidationResult.TOO_LONG: "numéro trop long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "nombre de chiffres incorrect",
}


_NUMBER_PUNCTUATION = frozenset(" .-/()+\t")
# A word processor's dashes and spaces (« 01–40–00–00–00 », a thin space), read as the
# separators they stand for: phonenumbers took some and refused others.
_TYPOGRAPHIC_SEPARATORS = str.maketrans(
    # Unicode's spaces (category Zs), the ASCII one aside.
    dict.fromkeys("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                  "\u2009\u200a\u202f\u205f\u3000", " ")
    | dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-")
)


def _reads_in_a_number(char: str) -> bool:
    """A digit (of any script: phonenumbers reads them) or a separator a number is
    written with."""
    return char in _NUMBER_PUNCTUATION or unicodedata.category(char) == "Nd"


def _read(raw: str, region: str) -> tuple[int, str, PhoneNumber | None]:
    """The country code and national significant number of a typed number, and the
    PhoneNumber phonenumbers made of it (None when read here)."""
    text = raw.strip()
    if not text:
        raise InvalidValue(_PHONE_FIELD, PHONE_ABSENT)
    if not text.isascii():
        text = text.translate(_TYPOGRAPHIC_SEPARATORS)
    if _PHONE_SIMPLE.fullmatch(text):
        # Three replace() calls: ~4x faster than translate() on these few characters.
        text = text.replace(" ", "").replace(".", "").replace("-", "")
        # Most numbers in a roll are French, "0612345678" or "+33612345678",
        # whose parse is plain: ~0.5 µs here against ~20 µs in phonenumbers.
        # tests/domain/test_identifiers.py checks both give the same number.
        if _FRENCH_NATIONAL.fullmatch(text) and region == "FR":
            return 33, text[1:], None
        if _FRENCH_INTERNATIONAL.fullmatch(text):
            return 33, text[3:], None
    # phonenumbers reads a number out of any text around it: « abc 06 12 34 56 78 😀 »
    # was taken for the mobile, what else was typed silently dropped.
    stray = next((char for char in text if not _reads_in_a_number(char)), None)
    if stray is not None:
        # Shown as itself only if it shows (a zero-width space shows nothing); its code
        # only beyond ASCII, where it may look like another (« U+0043 » for a C typed
        # was jargon to an agent; newcomer run).
        shows = stray.isprintable() and not stray.isspace()
        named = f"« {stray} »" if shows else ""
        code = f"(U+{ord(stray):04X})" if not (shows and stray.isascii()) else ""
        raise InvalidValue(
            _PHONE_FIELD,
            f"caractère {' '.join(filter(None, (named, code)))} non admis dans un numéro "
            "(chiffres, espaces et + . - / ( ) seulement)",
        )
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as error:
        fault = _PARSE_FAULTS.get(error.error_type, "numéro illisible")
        raise InvalidValue(_PHONE_FIELD, fault) from None
    code = cast(int, number.country_code)  # always set by parse()
    return code, phonenumbers.national_significant_number(number), number


# phonenumbers' number_type() and region_code_for_number() match a number against
# the patterns of its region's metadata, but look each pattern up in re's cache on
# every call, behind a few Python calls per pattern (~8 µs a French number). The
# same patterns and possible lengths, read from phonenumbers' own metadata once
# and compiled for each length of number, give the same answers in ~1.5 µs.
# tests/domain/test_fast_paths.py checks both agree on generated numbers.

# The types _number_type_helper checks one after the other, before fixed line.
_SPECIFIC_TYPES = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)
_FullMatch = Callable[[str], "re.Match[str] | None"]


def _pattern(desc: PhoneNumberDesc | None, length: int) -> str | None:
    """The pattern _is_number_matching_desc matches a number of this length with,
    None when it answers False whatever the digits."""
    if desc is None:
        return None
    if desc.possible_length and length not in desc.possible_length:
        return None
    return desc.national_number_pattern or None  # none, or empty: _match_national_number


@dataclass(frozen=True, slots=True)
class _TypeChecks:
    """One region's _number_type_helper for numbers of one length.

    Its checks after the general one, in its order, are the branches of one
    regex, each a group: a fullmatch tries the branches in order and ends in
    the first that matches the whole number (as a match then a fullmatch does,
    in _match), whose group is then the only one set.
    """

    general: _FullMatch | None
    types: _FullMatch | None  # premium rate ... voicemail, fixed line, mobile
    kinds: tuple[int, ...]  # the type of each group, from group 1
    mobile: _FullMatch | None  # tried after fixed line, as number_type does
    same_mobile_and_fixed_line: bool
    # Each branch on its own, in case a pattern has groups (none has today).
    one_by_one: tuple[_FullMatch, ...] | None = None

    def kind(self, nsn: str) -> int:
        if self.general is None or self.general(nsn) is None:
            return PhoneNumberType.UNKNOWN
        if self.one_by_one is not None:
            found = [i for i, fullmatch in enumerate(self.one_by_one) if fullmatch(nsn)]
            index = found[0] if found else None
        else:
            match = None if self.types is None else self.types(nsn)
            index = None if match is None else match.lastindex - 1  # type: ignore[operator]
        if index is None:
            return PhoneNumberType.UNKNOWN
        kind = self.kinds[index]
        if kind == PhoneNumberType.FIXED_LINE and (
            self.same_mobile_and_fixed_line
            or (self.mobile is not None and self.mobile(nsn) is not None)
        ):
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return kind


def _type_checks(metadata: PhoneMetadata, length: int) -> _TypeChecks:
    same = bool(metadata.same_mobile_and_fixed_line_pattern)
    branches = [(_pattern(getattr(metadata, name), length), kind) for name, kind in _SPECIFIC_TYPES]
    branches.append((_pattern(metadata.fixed_line, length), PhoneNumberType.FIXED_LINE))
    mobile = _pattern(metadata.mobile, length)
    if not same:  # else number_type() never reads mobile on its own
        branches.append((mobile, PhoneNumberType.MOBILE))
    kept = [(pattern, kind) for pattern, kind in branches if pattern is not None]
    general = _pattern(metadata.general_desc, length)
    types = "|".join(f"({pattern})" for pattern, _ in kept)
    # A pattern with groups of its own would shift the groups' numbers.
    grouped = any(re.compile(pattern).groups for pattern, _ in kept)
    return _TypeChecks(
        general=None if general is None else re.compile(general).fullmatch,
        types=re.compile(types).fullmatch if kept and not grouped else None,
        kinds=tuple(kind for _, kind in kept),
        mobile=None if mobile is None else re.compile(mobile).fullmatch,
        same_mobile_and_fixed_line=same,
        one_by_one=tuple(re.compile(p).fullmatch for p, _ in kept) if grouped else None,
    )


# Bounded: codes and regions come from phonenumbers' metadata, lengths from its
# parse (17 digits at most).
@lru_cache(maxsize=4096)
def _region_checks(country_code: int, region: str | None, length: int) -> _TypeChecks | None:
    """The checks number_type() runs, on the metadata it reads for this region."""
    if region is None:  # no metadata for it
        return None
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    return None if metadata is None else _type_checks(metadata, length)


@lru_cache(maxsize=4096)
def _shared_code(country_code: int, length: int) -> tuple[tuple[str, Any], ...]:
    """What _region_code_for_number_from_list tries for a code of several regions,
    in order: each region with its leading digits' match if its metadata has
    them, else with its type checks."""
    candidates: list[tuple[str, Any]] = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[country_code]:
        metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            candidates.append((region, re.compile(metadata.leading_digits).match))
        else:
            candidates.append((region, _type_checks(metadata, length)))
    return tuple(candidates)


def _number_kind(country_code: int, nsn: str) -> tuple[int, str | None]:
    """(number_type(number), region_code_for_number(number)) of the PhoneNumber with
    this code and national significant number, as phonenumbers gives them."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code) or ()
    region = regions[0] if len(regions) == 1 else None
    if len(regions) > 1:
        for name, check in _shared_code(country_code, len(nsn)):
            if isinstance(check, _TypeChecks):
                if check.kind(nsn) != PhoneNumberType.UNKNOWN:
                    region = name
                    break
            elif check(nsn):
                region = name
                break
    checks = _region_checks(country_code, region, len(nsn))
    return (PhoneNumberType.UNKNOWN if checks is None else checks.kind(nsn)), region


def _french_zone_type(nsn: str, country_code: int) -> tuple[int, int, str | None] | None:
    """The number under another code of the French zone where it is valid, if any:
    that code, its type and its region."""
    for code in _FRENCH_ZONE_CODES:
        if code != country_code:
            kind, where = _number_kind(code, nsn)
            if kind != PhoneNumberType.UNKNOWN:
                return code, kind, where
    return None


# Of the right length, but in no range in service (« 07 12… »): a digit mistyped, most
# likely, said so that the number is read again rather than taken for a bad format.
UNASSIGNED = "numéro non attribué (dans aucune tranche en service) : un chiffre est sans doute faux"


FRENCH_DIGITS = 10


def _national_french(text: str, region: str) -> bool:
    """A number written the French way, « 0 » then the rest (not « 00 », an abroad one)."""
    french = region.upper() in _FRENCH_ZONE_REGIONS
    return french and text.startswith("0") and not text.startswith("00")


def parse_phone(raw: str, region: str = "FR") -> Phone:
    """A valid phone number, national (for ``region``) or international form."""
    code, nsn, number = _read(raw, region)
    # number_type() is UNKNOWN exactly when is_valid_number() is False (both
    # run the same type patterns after the same region look-up), so one call
    # gives both answers.
    kind, where = _number_kind(code, nsn)
    if kind == PhoneNumberType.UNKNOWN:
        text = raw.lstrip()
        other = None
        national = int(nsn) if number is None else cast(int, number.national_number)
        if (
            region.upper() in _FRENCH_ZONE_REGIONS
            and text.startswith("0")
            and not text.startswith("00")
            and 100_000_000 <= national <= 999_999_999
        ):
            # Under another code: PhoneNumber(code, national), whose nsn is str(national).
            nsn = str(national)
            other = _french_zone_type(nsn, code)
        if other is None:
            digits = sum(char.isdigit() for char in text)
            if _national_french(text, region) and digits != FRENCH_DIGITS:
                # « 06 12 34 56 7 » fits some range's length: a digit left out is no
                # « chiffre faux ».
                short = digits < FRENCH_DIGITS
                one = abs(digits - FRENCH_DIGITS) == 1
                missing = (
                    ("il manque un chiffre" if one else "des chiffres manquent")
                    if short
                    else ("un chiffre de trop" if one else "trop de chiffres")
                )
                raise InvalidValue(
                    _PHONE_FIELD,
                    f"{missing} ({digits} ici ; un numéro français en compte {FRENCH_DIGITS}, "
                    "0 compris)",
                )
            if number is None:
                number = PhoneNumber(country_code=code, national_number=int(nsn))
            reason = phonenumbers.is_possible_number_with_reason(number)
            raise InvalidValue(_PHONE_FIELD, _LENGTH_FAULTS.get(reason, UNASSIGNED))
        code, kind, where = other
    elif number is not None and not number.national_number:  # format_number reads raw_input
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return Phone(e164=e164, region=where, is_mobile=kind in _MOBILE_TYPES)
    # format_number(number, E164): "+", the code, the national significant number.
    return Phone(e164=f"+{code}{nsn}", region=where, is_mobile=kind in _MOBILE_TYPES)


def parse_mobile(raw: str, region: str = "FR") -> Phone:
    """A valid mobile phone number (one that can receive an SMS)."""
    phone = parse_phone(raw, region)
    if not phone.is_mobile:
        raise InvalidValue(_PHONE_FIELD, "ce n'est pas un numéro de mobile")
    return phone


# ------------------------------------------------------------------ e-mail

_EMAIL_FIELD = "Courriel"


def _memoise_email_domains() -> None:
    """Make email-validator remember the domains it has checked.

    Checking the domain is 60 % of its cost (~19 of ~32 µs), and a roll has
    a few dozen domains (ac-dijon.fr...) for a million addresses. The check
    is a pure function of its arguments, so memoising it changes nothing but
    the time (~11 µs a call). Skipped if a new email-validator moves it.
    """
    module = sys.modules.get("email_validator.validate_email")
    check = getattr(module, "validate_email_domain_name", None)
    if check is None or getattr(check, "csu_memoised", False):
        return
    remembered = lru_cache(maxsize=1024)(check)

    def memoised(
        domain: str, test_environment: bool = False, globally_deliverable: bool = True
    ) -> dict[str, str]:
        # A copy: the caller gets a dict it may change without touching the cache.
        return dict(remembered(domain, test_environment, globally_deliverable))

    memoised.csu_memoised = True  # type: ignore[attr-defined]
    module.validate_email_domain_name = memoised  # type: ignore[union-attr]


_memoise_email_domains()


def _email_fault(address: str) -> str:
    """A French reason for an address email-validator refused (failure path only)."""
    local, at, domain = address.rpartition("@")
    if not at:
        return "il manque le signe @"
    if any(c.isspace() for c in address):
        return "espace non autorisée"
    if "@" in local and not local.startswith('"'):
        return "un seul signe @ attendu"
    if not local:
        return "rien avant le signe @"
    if not domain:
        return "rien après le signe @"
    if "." not in domain:
        return "nom de domaine incomplet après le @ (ex. : nom@domaine.fr)"
    if ".." in address or local.startswith(".") or local.endswith(".") or domain[0] == ".":
        return "point mal placé"
    if domain.rstrip(".").rpartition(".")[2].lower() in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        return f"nom de domaine réservé, sans messagerie ({domain})"
    return "adresse mal formée"


# Most addresses of a roll are plain: an ASCII dot-atom before the @, one of a few
# domains after. For them validate_email() still reads its settings, splits the
# address character by character and builds its result (~30 µs); its answer is
# then the local part as typed, the @ and the domain as its domain check gives it,
# provided the three lengths it checks hold. That is worked out here from
# email-validator's own rules and domain check (~2 µs); anything else, or any
# doubt, goes to validate_email(). tests/domain/test_fast_paths.py checks both
# agree on generated addresses.
_DOT_ATOM = email_rfc.DOT_ATOM_TEXT  # matched with .match: it ends with \Z
_CASE_INSENSITIVE = frozenset(email_rfc.CASE_INSENSITIVE_MAILBOX_NAMES)  # lower-cased by it


@lru_cache(maxsize=1024)
def _email_domain(
    domain: str, test_environment: bool, globally_deliverable: bool
) -> tuple[str, int] | None:
    """The normalised domain and the longest (in UTF-8) of the domain as typed, its
    normalised and its ASCII forms; None if email-validator refuses the domain."""
    try:
        info = email_syntax.validate_email_domain_name(
            domain, test_environment=test_environment, globally_deliverable=globally_deliverable
        )
    except email_validator.EmailNotValidError:
        return None
    forms = (domain, info["domain"], info["ascii_domain"])
    return info["domain"], max(len(form.encode()) for form in forms)


def _plain_email(address: str) -> str | None:
    """validate_email(address, check_deliverability=False).normalized for a plain
    address, None for any other (valid or not)."""
    if not address.isascii():
        return None
    local, _, domain = address.partition("@")
    # No second @, nothing quoted, no display name, no domain literal: the
    # library splits such an address at its @ exactly so.
    if (
        "@" in domain
        or len(local) > email_rfc.LOCAL_PART_MAX_LENGTH  # checked in strict mode
        or not _DOT_ATOM.match(local)
        or local.lower() in _CASE_INSENSITIVE
        or not domain
        or domain[0] == "["
    ):
        return None
    checked = _email_domain(
        domain, email_validator.TEST_ENVIRONMENT, email_validator.GLOBALLY_DELIVERABLE
    )
    if checked is None:
        return None
    normalised, longest = checked
    # The address as typed, normalised and in ASCII: 254 bytes at most each.
    if len(local) + 1 + longest > email_rfc.EMAIL_MAX_LENGTH:
        return None
    return f"{local}@{normalised}"


def parse_email(raw: str) -> str:
    """An e-mail address, syntax only (no DNS), in email-validator's normalised form."""
    address = raw.strip()
    if not address:
        raise InvalidValue(_EMAIL_FIELD, EMAIL_ABSENT)
    normalised = _plain_email(address)
    if normalised is None:
        try:
            checked = email_validator.validate_email(address, check_deliverability=False)
        except email_validator.EmailNotValidError:
            raise InvalidValue(_EMAIL_FIELD, _email_fault(address)) from None
        normalised = checked.normalized
    # Read in its Unicode form, whichever way it was typed (« xn--nterieur-shh » is
    # « іnterieur »): « іnterieur.gouv.fr », a Cyrillic « і », reads as the ministry's.
    if any(mixed_scripts(label) for label in normalised.rpartition("@")[2].split(".")):
        raise InvalidValue(
            _EMAIL_FIELD,
            "domaine mêlant des alphabets (ex. une lettre cyrillique parmi des latines)",
        )
    return normalised


# ---------------------------------------------------- answers and names

# Letters that NFKD leaves whole but a French speaker reads as two or as plain.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})
_NAME_SEPARATORS = str.maketrans(dict.fromkeys("'’‘ʼ`´-‐‑‒–—―", " "))
_ASCII_NAME_SEPARATORS = tuple(chr(c) for c in _NAME_SEPARATORS if c < 128)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    # Twice: case folding can give letters that decompose again ("ẞ", "ǰ"...),
    # and NFKD can give upper-case ones ("ℌ" -> "H"); one more round settles.
    folded = _strip_accents(text).casefold().translate(_LIGATURES)
    return _strip_accents(folded).casefold()


def normalise_answer(raw: str) -> str:
    """A challenge answer as compared: no accents, case-folded, spaces collapsed."""
    answer = " ".join(_fold(raw).split())
    if not answer:
        raise InvalidValue("Réponse secrète", ABSENT)
    return answer


def normalise_name(raw: str) -> str:
    """A name as searched: "Éloïse-Marie O'Neil" -> "eloise marie o neil"."""
    # Separators replaced after folding: NFKD can make new ones ("＇" -> "'").
    folded = _fold(raw)
    if folded.isascii():  # most names: replace() the few ASCII ones, ~4x faster
        for separator in _ASCII_NAME_SEPARATORS:
            folded = folded.replace(separator, " ")
        return " ".join(folded.split())
    return " ".join(folded.translate(_NAME_SEPARATORS).split())


IDENTITY_FIELDS = ("nom", "prénom", "date de naissance")


def identity_mismatches(
    typed: tuple[str, str, datetime.date], on_roll: tuple[str, str, datetime.date | None]
) -> list[str]:
    """Which of name, first name and date of birth typed from a signed request differ
    from the roll (French field names, in that order). Names compare without accents,
    case, hyphens or apostrophes (« Éloïse-Marie » is « eloise marie »)."""
    (last, first, born), (roll_last, roll_first, roll_born) = typed, on_roll
    found = []
    if normalise_name(last) != normalise_name(roll_last):
        found.append(IDENTITY_FIELDS[0])
    if normalise_name(first) != normalise_name(roll_first):
        found.append(IDENTITY_FIELDS[1])
    if roll_born is None or born != roll_born:
        found.append(IDENTITY_FIELDS[2])
    return found
