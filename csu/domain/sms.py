"""SMS text: the GSM 03.38 alphabet, transliteration into it, and segment counting.

A single character outside the GSM 7-bit alphabet (« — », « ° », « œ », « ê »...)
makes the gateway send the whole SMS in UCS-2: 70 characters a segment instead of
160, and 67 instead of 153 once it is split. A minint-2022 code went out in 9
segments for that (issue M3). :func:`to_gsm7` gives each such character a close GSM-7
equivalent, so that an SMS stays in GSM-7; :func:`measure` says how many segments an
SMS takes.

The alphabet is written here from 3GPP TS 23.038 (the default alphabet and its
extension table): no maintained Python library transliterates into it (``gsm0338``
is a codec only), and the table is fixed by the standard.
"""

import re
import unicodedata
from typing import Literal, NamedTuple

# 3GPP TS 23.038 §6.2.1, positions 0x00-0x7F in order; 0x1B (the escape to the
# extension table) is not a character and stands here as "\x1b", left out below.
_DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_BASIC: frozenset[str] = frozenset(_DEFAULT_ALPHABET) - {"\x1b"}
# §6.2.1.1: each of these takes two septets (the escape, then the character).
GSM7_EXTENSION: frozenset[str] = frozenset("^{}\\[~]|€\f")
GSM7: frozenset[str] = GSM7_BASIC | GSM7_EXTENSION

GSM7_SINGLE, GSM7_PART = 160, 153  # septets: one SMS, a part of a concatenated one
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units, likewise

# Characters French text uses that GSM-7 lacks and that NFKD does not bring back
# into it (accented letters are handled by NFKD: « ê » -> « e », « ç » -> « c »).
_TRANSLITERATION: dict[str, str] = {
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u02bc": "'",
    "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2039": "'", "\u203a": "'",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2002": " ",
    "\u2003": " ", "\t": " ",
    "\u2026": "...", "\u00b0": "o", "\u00ba": "o", "\u00aa": "a",
    "\u0153": "oe", "\u0152": "OE",
    "\u2022": "-", "\u00b7": ".", "\u00d7": "x", "\u00f7": "/",
    # Invisible: nothing to show.
    "\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
}  # fmt: skip
_UNKNOWN = "?"


class SmsSize(NamedTuple):
    """How an SMS goes out: its encoding, its length in that encoding's units
    (septets or UTF-16 code units) and the segments it takes."""

    encoding: Literal["GSM-7", "UCS-2"]
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """Every character of ``text`` is in the GSM-7 alphabet or its extension table."""
    return all(char in GSM7 for char in text)


def _close(char: str) -> str:
    if char in GSM7:
        return char
    if char in _TRANSLITERATION:
        return _TRANSLITERATION[char]
    bare = "".join(
        c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
    )
    if bare and is_gsm7(bare):
        return bare
    return _UNKNOWN


def to_gsm7(text: str) -> str:
    """``text`` with each character outside GSM-7 replaced by a close GSM-7 one
    (« — » -> « - », « ° » -> « o », « œ » -> « oe », « ê » -> « e », curly quotes
    and guillemets -> straight quotes), « ? » for one with none."""
    if is_gsm7(text):
        return text
    return "".join(_close(char) for char in text)


def _parts(units: list[int], single: int, part: int) -> int:
    """Segments for characters of these widths: one if all fit in ``single``, else
    parts of ``part`` units, never splitting a character (an escaped septet pair, a
    surrogate pair)."""
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for width in units:
        if used + width > part:
            segments, used = segments + 1, 0
        used += width
    return segments


def measure(text: str) -> SmsSize:
    """Encoding, length and segments of ``text`` sent as one SMS (GSM-7 160/153
    septets, else UCS-2 70/67 code units)."""
    if not text:
        return SmsSize("GSM-7", 0, 1)
    if is_gsm7(text):
        septets = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return SmsSize("GSM-7", sum(septets), _parts(septets, GSM7_SINGLE, GSM7_PART))
    code_units = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return SmsSize("UCS-2", sum(code_units), _parts(code_units, UCS2_SINGLE, UCS2_PART))


def segments(text: str) -> int:
    """The SMS segments ``text`` takes (see :func:`measure`)."""
    return measure(text).segments


# A space or a dot between two digits: « 01 99 00 12 34 » and « 01.99.00.12.34 » are
# one number.
_NUMBER_SEPARATOR = re.compile(r"(?<=[0-9])[ .\u00a0\u202f](?=[0-9])")


def gives_number(text: str, phone: str) -> bool:
    """``text`` already names ``phone`` (spaces and dots aside)."""
    wanted = re.escape(re.sub(r"[^0-9+]", "", phone))
    joined = _NUMBER_SEPARATOR.sub("", text)
    return re.search(rf"(?<![0-9]){wanted}(?![0-9])", joined) is not None


def with_contact(body: str, line: str, phone: str) -> str:
    """An SMS: ``body``, then ``line`` (« CSU électeurs : 01 80 15 43 21 ») unless the
    body already gives ``phone`` (issue L6: the same number twice costs a segment), all
    in GSM-7 (:func:`to_gsm7`)."""
    text = body.rstrip()
    if line and not gives_number(text, phone):
        text = f"{text}\n{line}"
    return to_gsm7(text)
