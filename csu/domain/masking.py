"""Masked forms of personal data, for screens and the journal: all in one place.

Every mask takes any string without raising, and keeps at most half of a
value's characters, so that a short or odd value is never shown whole.

Screens show a voter's contact data masked wherever it appears: an identifier of
voting material that is an e-mail address (Education: ``prenom.nom@ac-…``) is
masked like the address (``mask_identifier``), and free text read back from the
store (journal details, notes, delivery errors) has every address and phone number
in it masked (``mask_contacts``). What an operator types as a reason or a note is
stored with every address, phone number, IBAN, NIR, NUMEN and identity document number
in it masked (``mask_personal_data``): the journal is append-only, a number once in it would
stay. (A credential in such a text is refused, not masked: csu.services.credential_text.)
"""

import re

from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    Leniency,
    NumberParseException,
    PhoneNumberFormat,
    PhoneNumberMatcher,
    region_code_for_number,
)
from phonenumbers import format_number as format_phone
from phonenumbers import parse as parse_number

__all__ = [
    "holds_phone",
    "mask_contacts",
    "mask_document_number",
    "mask_email",
    "mask_iban",
    "mask_identifier",
    "mask_matricule",
    "mask_nir",
    "mask_numen",
    "mask_personal_data",
    "mask_phone",
    "mask_text",
    "readable_phone",
]

STAR = "*"


def _compact(value: str) -> str:
    return "".join(value.split())


def _kept(length: int, head: int, tail: int) -> tuple[int, int]:
    """How many characters to keep at each end, at most half of ``length`` in all.

    The tail gives way first: the head is what an operator recognises.
    """
    allowed = length // 2
    tail = max(0, min(tail, allowed - head))
    head = max(0, min(head, allowed))
    return head, tail


def _keep_ends(value: str, head: int, tail: int) -> str:
    head, tail = _kept(len(value), head, tail)
    return value[:head] + STAR * (len(value) - head - tail) + value[len(value) - tail :]


def _grouped(value: str, sizes: list[int]) -> str:
    groups, start = [], 0
    for size in sizes:
        if start >= len(value):
            break
        groups.append(value[start : start + size])
        start += size
    return " ".join(groups)


def mask_nir(nir: str) -> str:
    """Only the first character (sex) of a NIR: "1 ** ** ** *** *** **"."""
    value = _compact(nir).replace(".", "")
    if not value:
        return ""
    first = value[0] if len(value) >= 2 else STAR
    # Always the shape of a full NIR: the mask tells nothing of what was typed.
    return first + " ** ** ** *** *** **"


def mask_iban(iban: str) -> str:
    """First 4 and last 4 characters of an IBAN, grouped by 4.

    "FR76 **** **** **** **** ***1 234" for a French IBAN ending in 1234.
    """
    value = _compact(iban)
    masked = _keep_ends(value, 4, 4)
    return _grouped(masked, [4] * (len(masked) // 4 + 1))


def mask_numen(numen: str) -> str:
    """The last 3 letters of a NUMEN: "**********ABC", however it was separated
    (« 12-A-123 45 67-ABC »: its letters and digits only)."""
    return _keep_ends("".join(c for c in numen if c.isalnum()), 0, 3)


def _country_code(digits: str) -> str | None:
    # Country codes form a prefix code of 1 to 3 digits: the first hit is the one.
    for size in (1, 2, 3):
        if len(digits) > size and int(digits[:size]) in COUNTRY_CODE_TO_REGION_CODE:
            return digits[:size]
    return None


def mask_phone(e164: str) -> str:
    """Country code, first national digit and last 2 digits: "+33 6 ** ** ** 78"."""
    value = _compact(e164)
    digits = value[1:] if value.startswith("+") else value
    if not (digits.isascii() and digits.isdigit()):
        return mask_text(value)
    code = _country_code(digits) if value.startswith("+") else None
    national = digits[len(code) :] if code else digits
    head, tail = _kept(len(national), 1, 2)
    hidden = len(national) - head - tail
    parts = [f"+{code}"] if code else []
    parts.append(national[:head])
    parts.extend(STAR * min(2, hidden - i) for i in range(0, hidden, 2))
    parts.append(national[len(national) - tail :])
    return " ".join(part for part in parts if part)


def mask_email(address: str) -> str:
    """First character of the local part, then the domain: "j***@ac-dijon.fr"."""
    value = address.strip()
    local, at, domain = value.rpartition("@")
    if not at:
        return mask_text(value)
    return local[: 1 if len(local) >= 2 else 0] + "***@" + domain


def mask_matricule(matricule: str) -> str:
    """First 2 and last character of a staff number: "AB*****7"."""
    return _keep_ends(_compact(matricule), 2, 1)


def mask_text(value: str, keep: int = 1) -> str:
    """The first ``keep`` characters, then "***" (whatever the length)."""
    keep = max(0, min(keep, len(value) // 2))
    return value[:keep] + "***"


def mask_identifier(identifier: str) -> str:
    """An identifier of voting material as screens show it: masked like an address
    when it is one ("n***@ac-creteil.fr"), else whole (a number the voter reads out)."""
    return mask_email(identifier) if "@" in identifier else identifier


# An address inside free text; "*" is left out so that a masked address is left alone.
_EMAIL_IN_TEXT = re.compile(r"[\w.!#$%&'+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# An address with its « @ » spelt out (« jean.dupont (at) ac-amiens.fr », « [arobase] »):
# kept whole in a note (attack run).
_SPELT_EMAIL_IN_TEXT = re.compile(
    r"(?P<local>[\w.!#$%&'+/=?^`{|}~-]+)\s*[(\[{]\s*(?:at|arobase)\s*[)\]}]\s*"
    r"(?P<domain>[\w-]+(?:\.[\w-]+)+)",
    re.IGNORECASE,
)
# Numbers without a country code are read as French ones (the cell's voters).
_DEFAULT_REGION = "FR"


def mask_contacts(text: str) -> str:
    """``text`` with every e-mail address and every phone number in it masked, whatever
    its format ("06 75 29 27 42", "06.75…", "+33675292742"). Any number of a phone's
    length counts ("possible", not only "valid"): better a reference masked than a
    phone shown. Dates, times and digits glued to letters (hashes, ids) are left."""
    if not text:
        return text
    text = _EMAIL_IN_TEXT.sub(lambda found: mask_email(found.group()), text)
    text = _SPELT_EMAIL_IN_TEXT.sub(lambda found: mask_email(found.group("local") + "@" +
                                                            found.group("domain")), text)
    parts: list[str] = []
    end = 0
    for match in PhoneNumberMatcher(text, _DEFAULT_REGION, leniency=Leniency.POSSIBLE):
        parts.append(text[end : match.start])
        parts.append(mask_phone(format_phone(match.number, PhoneNumberFormat.E164)))
        end = match.end
    parts.append(text[end:])
    return "".join(parts)


# An IBAN as typed: country, check digits, then 10 to 30 letters and digits, grouped by
# spaces or not; masked when it has its country's IBAN structure and length (not any
# reference number), whatever its check digits: a mistyped IBAN is still somebody's.
_IBAN_IN_TEXT = re.compile(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){10,30}\b")
# A NIR as typed (13 digits, or 15 with its key; Corsica's 2A and 2B), grouped by spaces
# or dots or not: its shape alone, a NIR with a wrong key is still somebody's.
_NIR_SEP = "[ .\\-/\u00a0\u202f]?"  # spaces, dots, dashes or slashes (« 1-58-11-… »)
_NIR_IN_TEXT = re.compile(
    rf"(?<![\w.])[12]{_NIR_SEP}\d{{2}}{_NIR_SEP}\d{{2}}{_NIR_SEP}(?:\d{{2}}|2[ABab]){_NIR_SEP}"
    rf"\d{{3}}{_NIR_SEP}\d{{3}}(?:{_NIR_SEP}\d{{2}})?(?![\w])"
)


# An identity document's number right after its name (« CNI n° 123456789012 »,
# « passeport : 12AB34567 », « titre de séjour 1234567890 »): one or more pieces of
# letters and digits, each holding a digit, 6 characters or more in all. After the
# name only: a number alone may be a date, a bureau or a reference.
_DOCUMENT_NAME = (
    r"(?:CNIe?|carte\s+(?:nationale\s+)?d['’]\s*identit[ée]|pi[èe]ce\s+d['’]\s*identit[ée]"
    r"|passeports?|titre\s+de\s+s[ée]jour|permis(?:\s+de\s+conduire)?)"
)
_DOCUMENT_IN_TEXT = re.compile(
    rf"(?<!\w)(?P<name>{_DOCUMENT_NAME})"
    r"(?P<link>\s*(?:(?:n\s?[°ºo]\.?|num[ée]ro|num\.?)\s*)?(?:[:#]\s*)?)"
    r"(?P<number>(?=[A-Za-z]*\d)[A-Za-z0-9]+(?:[ .-](?=[A-Za-z]*\d)[A-Za-z0-9]+)*)(?!\w)",
    re.IGNORECASE,
)
_DOCUMENT_MIN_LENGTH = 6

# A NUMEN as typed (2 digits, 1 letter, 7 digits, 3 letters; csu.domain.identifiers):
# an identity factor asked of a caller (S6, S7). Its shape alone, neither glued to nor
# run on into a word, except after the word « numen » itself (« NUMEN12A1234567ABC »,
# « numen_12A… »). In one piece in either case; with separators (spaces, no-break
# spaces, tabs, dots, dashes, slashes, one or two in a row; the 7 digits grouped or
# not) in capitals only: « matricule 12A1234567 est … » or « 22 B 1234567 les … » is
# prose around a number, not a NUMEN.
_NUMEN_SEP = "[ \t\u00a0\u202f\u2007./-]{1,2}"
_NUMEN_LEAD = r"(?:(?<!\w)|(?<=(?<!\w)[Nn][Uu][Mm][Ee][Nn])|(?<=(?<!\w)[Nn][Uu][Mm][Ee][Nn]_))"
_NUMEN_IN_TEXT = re.compile(
    rf"{_NUMEN_LEAD}(?:[0-9]{{2}}[A-Za-z][0-9]{{7}}[A-Za-z]{{3}}"
    rf"|[0-9]{{2}}(?:{_NUMEN_SEP})?[A-Z](?:{_NUMEN_SEP})?[0-9](?:(?:{_NUMEN_SEP})?[0-9]){{6}}"
    rf"(?:{_NUMEN_SEP})?[A-Z]{{3}})(?!\w)"
)


def mask_document_number(number: str) -> str:
    """The last 4 characters of an identity document's number, as the president's
    attestation keeps them: "…7X3K" (at most half of a short number)."""
    value = "".join(c for c in number if c.isalnum())
    _, tail = _kept(len(value), 0, 4)
    return "…" + value[len(value) - tail :] if tail else STAR * len(value)


def _mask_documents(text: str) -> str:
    def document(found: re.Match[str]) -> str:
        number = found.group("number")
        if sum(c.isalnum() for c in number) < _DOCUMENT_MIN_LENGTH:
            return found.group()
        return found.group("name") + found.group("link") + mask_document_number(number)

    return _DOCUMENT_IN_TEXT.sub(document, text)


def holds_phone(text: str) -> bool:
    """Whether ``text`` holds a phone number, as ``mask_contacts`` finds them."""
    return any(True for _ in PhoneNumberMatcher(text, _DEFAULT_REGION, leniency=Leniency.POSSIBLE))


def mask_personal_data(text: str) -> str:
    """``text`` with every IBAN, NIR, NUMEN, identity document number, e-mail address
    and phone number in it masked: a reason or a note as it is stored and journalled."""
    if not text:
        return text
    # First: the phone matcher would take a 10-digit number for a phone, and the
    # document's masked form ("…9012") is too short to be taken for anything.
    text = _mask_documents(text)
    # Before the phones too: a spaced NUMEN's 7 digits could pass for a short number.
    text = _NUMEN_IN_TEXT.sub(lambda found: mask_numen(found.group()), text)

    def iban(found: re.Match[str]) -> str:
        from csu.domain.identifiers import iban_shaped  # stdnum's registry: on first use

        # The match may run on into the next words (« … 189 ok »): the longest run of
        # its groups that is an IBAN.
        words = found.group().split(" ")
        for count in range(len(words), 0, -1):
            value = "".join(words[:count]).upper()
            if iban_shaped(value):
                # The country alone: a caller's identity is checked on the last digits.
                masked = _grouped(_keep_ends(value, 4, 0), [4] * (len(value) // 4 + 1))
                return " ".join([masked, *words[count:]])
        return found.group()

    text = _IBAN_IN_TEXT.sub(iban, text)
    text = _NIR_IN_TEXT.sub(lambda found: mask_nir(found.group()), text)
    return mask_contacts(text)


def readable_phone(e164: str) -> str:
    """A phone number in clear as an operator reads it out, once revealed: national
    form for a French number ("07 41 20 73 79"), international otherwise."""
    try:
        number = parse_number(e164, _DEFAULT_REGION)
    except NumberParseException:
        return e164
    french = region_code_for_number(number) == _DEFAULT_REGION
    return format_phone(
        number, PhoneNumberFormat.NATIONAL if french else PhoneNumberFormat.INTERNATIONAL
    )
