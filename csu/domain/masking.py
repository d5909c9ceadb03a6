"""Masked forms of personal data, for screens and the journal: all in one place.

Every mask takes any string without raising, and keeps at most half of a
value's characters, so that a short or odd value is never shown whole.
"""

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

__all__ = [
    "mask_email",
    "mask_iban",
    "mask_matricule",
    "mask_nir",
    "mask_numen",
    "mask_phone",
    "mask_text",
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
    """The last 3 letters of a NUMEN: "**********ABC"."""
    return _keep_ends(_compact(numen), 0, 3)


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
