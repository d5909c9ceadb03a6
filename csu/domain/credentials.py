"""Credentials the cell issues (security key, password, vote code): generation,
display, reading back what a voter typed or dictated, spelling aloud, and how
each kind is stored.

A credential is drawn uniformly from its format's alphabet and stored in one
piece, without separators; :func:`display` cuts it into dash-separated groups,
:func:`parse_typed` turns a typed copy back into the stored form.
"""

import functools
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from csu.domain.election import CredentialFormat
from csu.domain.errors import InvalidValue
from csu.domain.plural import counted, plural_of

__all__ = [
    "HMAC_MIN_BITS",
    "PREFIX_LENGTH",
    "SCHEME_ARGON2",
    "SCHEME_HMAC",
    "SECURITY_KEY_PREFIX",
    "CodeInText",
    "codes_in_text",
    "display",
    "drawn_first",
    "evident_codes",
    "generate",
    "grouped_code_spans",
    "is_evident",
    "normalise_typed",
    "parse_typed",
    "prefix",
    "prefix_fault",
    "scheme_for",
    "spell",
    "spelled",
]

HMAC_MIN_BITS: float = 78.0
"""Generated credentials of at least this entropy are stored as a keyed HMAC-SHA256:
they cannot be guessed, and the deployment key blocks offline checks. Shorter ones get
argon2id. 78, not 80: a 16-char security key from the 30-symbol unambiguous alphabet
holds 16*log2(30) = 78.5 bits; 12-char passwords (69 bits) and vote codes (59 bits)
stay below and keep argon2id."""

SCHEME_HMAC = "hmac-sha256"
SCHEME_ARGON2 = "argon2id"
SECURITY_KEY_PREFIX = "security_key_prefix"
"""Purpose tag for the keyed hash of the security key's first characters."""
PREFIX_LENGTH = 6
# What a dictated key prefix is compared as (see prefix_fault).
_PREFIX_READABLE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_SHOWN_AT_MOST = 5  # characters a refusal lists

_SEPARATORS = frozenset(" -.")

# How a fault names the credential: "hors de l'alphabet de la clé".
_OF_KIND: dict[str, str] = {
    "security_key": "de la clé",
    "password": "du mot de passe",
    "vote_code": "du code de vote",
    "identifier": "de l'identifiant",
}

# French radio alphabet, used by phone operators.
_RADIO: dict[str, str] = {
    "A": "Anatole", "B": "Berthe", "C": "Célestin", "D": "Désiré", "E": "Eugène",
    "F": "François", "G": "Gaston", "H": "Henri", "I": "Irma", "J": "Joseph",
    "K": "Kléber", "L": "Louis", "M": "Marcel", "N": "Nicolas", "O": "Oscar",
    "P": "Pierre", "Q": "Quintal", "R": "Raoul", "S": "Suzanne", "T": "Thérèse",
    "U": "Ursule", "V": "Victor", "W": "William", "X": "Xavier", "Y": "Yvonne",
    "Z": "Zoé",
}  # fmt: skip
_DIGITS: tuple[str, ...] = (
    "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
)  # fmt: skip


def scheme_for(fmt: CredentialFormat) -> str:
    """How credentials of this format are stored: keyed HMAC or argon2id."""
    return SCHEME_HMAC if fmt.bits >= HMAC_MIN_BITS else SCHEME_ARGON2


def generate(fmt: CredentialFormat, choice: Callable[[str], str] = secrets.choice) -> str:
    """A new credential: ``fmt.length`` characters drawn independently and uniformly
    from ``fmt.alphabet`` by ``choice`` (tests pass a seeded ``Random().choice``)."""
    return "".join(choice(fmt.alphabet) for _ in range(fmt.length))


def display(fmt: CredentialFormat, value: str) -> str:
    """The value as shown or printed: ``K7MP-X2QD-9RFA-H3TW`` (in one piece if no group)."""
    return fmt.grouped(value, separator="-")


def _case_mapped(char: str, upper: bool) -> str:
    mapped = char.upper() if upper else char.lower()
    # Only a mapping that round-trips: "ß" -> "SS" would change the length, and
    # dotless "ı" -> "I" or long "ſ" -> "S" would let a look-alike pass as ASCII.
    if len(mapped) == 1 and (mapped.lower() if upper else mapped.upper()) == char:
        return mapped
    return char


def normalise_typed(fmt: CredentialFormat, text: str) -> str:
    """What a voter or operator typed, back to the stored form: spaces, "-" and "."
    dropped, case folded when the alphabet has one case only. Does not validate."""
    # A separator that belongs to the alphabet is part of the value, not a separator.
    dropped = {c for c in _SEPARATORS if c not in fmt.alphabet}
    kept = [c for c in text if not c.isspace() and c not in dropped]
    has_lower = any(c.islower() for c in fmt.alphabet)
    has_upper = any(c.isupper() for c in fmt.alphabet)
    if not has_lower:
        kept = [_case_mapped(c, upper=True) for c in kept]
    elif not has_upper:
        kept = [_case_mapped(c, upper=False) for c in kept]
    return "".join(kept)


def _shown(char: str) -> str:
    return f"« {char} »" if char.isprintable() else f"U+{ord(char):04X}"


def parse_typed(fmt: CredentialFormat, text: str, field: str) -> str:
    """The stored form of a typed credential, or :class:`InvalidValue` naming ``field``
    when its length or a character does not fit the format."""
    value = normalise_typed(fmt, text)
    if not value:
        raise InvalidValue(field, "valeur absente")
    if len(value) != fmt.length:
        expected = counted(fmt.length, "caractère attendu", "caractères attendus")
        raise InvalidValue(field, f"{expected}, {counted(len(value), 'reçu')}")
    outside = list(dict.fromkeys(c for c in value if c not in fmt.alphabet))
    if outside:
        shown = ", ".join(_shown(c) for c in outside)
        of_kind = _OF_KIND.get(fmt.kind, "admis")
        characters = plural_of(len(outside), "caractère")
        raise InvalidValue(field, f"{characters} {shown} hors de l'alphabet {of_kind}")
    return value


def prefix(value: str) -> str:
    """The first :data:`PREFIX_LENGTH` characters of a normalised value (the part
    of the security key a caller reads out to prove who they are)."""
    return value[:PREFIX_LENGTH]


def said_prefix(said: str) -> str | None:
    """The key's first characters as a caller says them (factor ``security_key_prefix``):
    its letters and digits only, upper-cased, the first :data:`PREFIX_LENGTH` of them;
    None when fewer were said."""
    head = "".join(ch for ch in said if ch.isalnum()).upper()[:PREFIX_LENGTH]
    return head if len(head) == PREFIX_LENGTH else None


def parse_said_prefix(said: str) -> str:
    """:func:`said_prefix`, or a French :class:`InvalidValue` when fewer than
    :data:`PREFIX_LENGTH` letters and digits were said: « G8KY-F », read off the key as
    it is shown, is 5 of them, and counted as a failed verification."""
    head = said_prefix(said)
    if head is None:
        count = sum(ch.isalnum() for ch in said)
        raise InvalidValue(
            "Clé de sécurité",
            f"ses {PREFIX_LENGTH} premières lettres ou chiffres attendus, {count} ici "
            "(tirets et espaces ne comptent pas)",
        )
    return head


def prefix_fault(fmt: CredentialFormat) -> tuple[str, str] | None:
    """Why the identity check by the key's first characters (factor
    ``security_key_prefix``) could never pass for keys of ``fmt``: ``(key, fault)``,
    the key being ``length`` or ``alphabet`` of the format; None when it can pass.

    The services compare what the caller says as its letters and digits only,
    upper-cased, its first :data:`PREFIX_LENGTH` of them (:func:`said_prefix`, read by
    ``csu.services.active_credentials.key_prefix_matches``), with the hash of the key's
    first characters as generated. A key character that this reading
    changes (a lower-case letter, a symbol) or a key shorter than the prefix would fail
    every time, and every failure counts towards the voter's lock: refused at load. So is
    a letter outside A-Z (« É »): the caller dictates the prefix, and the agent types
    what they hear, as :func:`spell` says it (A to Z and the digits)."""
    if fmt.length < PREFIX_LENGTH:
        return "length", (
            f"le facteur security_key_prefix lit les {PREFIX_LENGTH} premiers caractères de "
            f"la clé : {PREFIX_LENGTH} caractères au moins attendus"
        )
    unreadable = [c for c in fmt.alphabet if c not in _PREFIX_READABLE]
    if unreadable:
        shown = ", ".join(_shown(c) for c in unreadable[:_SHOWN_AT_MOST])
        if len(unreadable) > _SHOWN_AT_MOST:
            shown += f" et {counted(len(unreadable) - _SHOWN_AT_MOST, 'autre')}"
        return "alphabet", (
            f"le facteur security_key_prefix compare les {PREFIX_LENGTH} premiers caractères "
            "dictés, en majuscules et sans signes : la clé ne doit compter que des "
            f"majuscules de A à Z et des chiffres (hors de ceux-ci : {shown})"
        )
    return None


def _is_ascii_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def spell(value: str, alphabet: str = "") -> list[str]:
    """How to read ``value`` aloud over the phone, one French phrase per character:
    ``K comme Kléber``, ``7 chiffre sept``; the case is said when the value or its
    ``alphabet`` mixes upper- and lower-case letters (``k minuscule comme Kléber``):
    a listener cannot guess the case of a password that happens to use one case."""
    letters = [c for c in value + alphabet if _is_ascii_letter(c)]
    mixed = any(c.isupper() for c in letters) and any(c.islower() for c in letters)
    spoken: list[str] = []
    for char in value:
        if _is_ascii_letter(char):
            case = (" majuscule" if char.isupper() else " minuscule") if mixed else ""
            spoken.append(f"{char}{case} comme {_RADIO[char.upper()]}")
        elif char.isascii() and char.isdigit():
            spoken.append(f"{char} chiffre {_DIGITS[int(char)]}")
        elif char == "-":
            spoken.append("« - » tiret")
        else:
            spoken.append(_shown(char))
    return spoken


def spelled(value: str) -> str:
    """:func:`spell` as one line: ``K comme Kléber, 7 chiffre sept, M comme Marcel``."""
    return ", ".join(spell(value))


# ------------------------------------------------------- credentials in free text
#
# What an operator types in a note or a reason goes to the append-only journal: a
# credential written there would stay for good. These find what may be one. The
# services refuse the text (csu.services.credential_text); nothing here reads the store.

_SEPARATOR_CLASS = "[-. ]"  # what may stand between a code's groups as typed
GENERIC_GROUP_SIZES = range(4, 9)
"""Group sizes the election-free shape knows (:func:`grouped_code_spans`)."""
GENERIC_MIN_GROUPS = 3
GENERIC_MIN_LENGTH = 12


@dataclass(frozen=True, slots=True)
class CodeInText:
    """A stretch of free text that reads as a credential of the format ``kind``:
    ``text[start:end]`` as written, ``value`` in the stored form."""

    kind: str
    start: int
    end: int
    written: str = field(repr=False)
    value: str = field(repr=False)


def _alphabet_chars(fmt: CredentialFormat) -> set[str]:
    """The characters a typed copy may hold: the alphabet, and the other case of its
    letters when the alphabet has one case only (normalise_typed folds it back)."""
    chars = set(fmt.alphabet)
    has_lower = any(c.islower() for c in fmt.alphabet)
    has_upper = any(c.isupper() for c in fmt.alphabet)
    if not (has_lower and has_upper):
        chars |= {_case_mapped(c, upper=not has_upper) for c in fmt.alphabet}
    return chars


def _char_class(chars: set[str]) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


def _group_sizes(fmt: CredentialFormat) -> list[int]:
    if fmt.group <= 0:
        return [fmt.length]
    full, rest = divmod(fmt.length, fmt.group)
    return [fmt.group] * full + ([rest] if rest else [])


@functools.lru_cache(maxsize=32)
def _code_pattern(fmt: CredentialFormat) -> re.Pattern[str]:
    """Every stretch, overlapping ones too, written as a credential of ``fmt``: in one
    piece, or in its groups joined by a dash, a dot or a space; neither glued to a
    letter or a digit, nor run on into more of them by a dash or a dot (an event id)."""
    chars = _alphabet_chars(fmt)
    one = _char_class(chars)
    word = _char_class({c for c in chars if not re.fullmatch(r"\w", c)} | {"_"})
    edge = rf"(?:\w|{word})"
    sizes = _group_sizes(fmt)
    body = f"{one}{{{sizes[0]}}}" + "".join(
        f"{_SEPARATOR_CLASS}?{one}{{{size}}}" for size in sizes[1:]
    )
    return re.compile(
        rf"(?<!{edge})(?<!{edge}[-.])(?=({body})(?!{edge})(?![-.]{edge}))", re.UNICODE
    )


def codes_in_text(text: str, fmt: CredentialFormat) -> list[CodeInText]:
    """Every stretch of ``text`` that reads as a credential of ``fmt`` (its length and
    alphabet, in one piece or in its groups), overlapping ones included, in order. A
    prose word may be one: what to do with them is the caller's (:func:`evident_codes`
    keeps those no prose has; a hash comparison tells the others)."""
    found: list[CodeInText] = []
    for match in _code_pattern(fmt).finditer(text):
        written = match.group(1)
        value = normalise_typed(fmt, written)
        if len(value) == fmt.length and all(c in fmt.alphabet for c in value):
            found.append(CodeInText(fmt.kind, match.start(1), match.end(1), written, value))
    return found


def _mixes(group: str) -> bool:
    """Letters and digits in one group: "62NV", "47MK"; no French word does that."""
    return any(c.isalpha() for c in group) and any(c.isdigit() for c in group)


def _as_displayed(written: str, fmt: CredentialFormat) -> bool:
    """Written as :func:`display` shows it, groups joined by dashes, in capitals."""
    groups = written.split("-")
    return (
        len(groups) > 1
        and [len(g) for g in groups] == _group_sizes(fmt)
        and not any(c.islower() for c in written)
    )


def is_evident(code: CodeInText, fmt: CredentialFormat) -> bool:
    """Whether ``code`` is written as no French prose is, so that it can be refused on
    its shape alone: a grouped format only (an ungrouped one, a password, is any word of
    its length), holding a letter, and a group mixing letters and digits (« 62NV ») or
    the whole written as the screen shows it (« NVMN-PXBT-… »). A key with no digit typed
    with spaces or in small letters is not evident: only its hash tells it; nor is one
    written in both cases when its alphabet has one (« Ab3dEf7hJk2m » is no key)."""
    written = code.written
    if fmt.group <= 0 or not any(c.isalpha() for c in written):
        return False
    one_case = not (
        any(c.islower() for c in fmt.alphabet) and any(c.isupper() for c in fmt.alphabet)
    )
    if one_case and any(c.islower() for c in written) and any(c.isupper() for c in written):
        return False
    groups = [g for g in re.split(_SEPARATOR_CLASS, written) if g]
    return any(_mixes(g) for g in groups) or _as_displayed(written, fmt)


def evident_codes(text: str, formats: Iterable[CredentialFormat]) -> list[CodeInText]:
    """The stretches of ``text`` that have the evident shape (:func:`is_evident`) of a
    credential of one of ``formats`` (an election's ``[credentials.*]``)."""
    return [code for fmt in formats for code in codes_in_text(text, fmt) if is_evident(code, fmt)]


def _generic_pattern(size: int) -> re.Pattern[str]:
    group = f"[A-Za-z0-9]{{{size}}}"
    last = f"[A-Za-z0-9]{{1,{size}}}"
    body = rf"{group}(?P<sep>[-. ]){group}(?:(?P=sep){group})*(?:(?P=sep){last})?"
    return re.compile(rf"(?<!\w)(?<!\w[-.])(?=(?P<code>{body})(?!\w)(?![-.]\w))")


_GENERIC = tuple(_generic_pattern(size) for size in GENERIC_GROUP_SIZES)


def grouped_code_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds something written like a grouped code of any election, for
    free text whose election is not known: at least 3 groups of the same size (4 to 8
    letters and digits; the last one may be shorter), 12 characters or more, joined by
    the same dash, dot or space; a group mixing letters and digits (« 62NV MN65 … »), or
    dashes and capitals (« NVMN-PXBT-KMHG »). Looser than :func:`evident_codes` (any
    alphabet): a reference written that way is taken for a code."""
    spans: list[tuple[int, int]] = []
    for pattern in _GENERIC:
        for match in pattern.finditer(text):
            written, sep = match.group("code"), match.group("sep")
            groups = written.split(sep)
            if len(groups) < GENERIC_MIN_GROUPS or len(written) - len(groups) + 1 < (
                GENERIC_MIN_LENGTH
            ):
                continue
            if any(_mixes(g) for g in groups) or (
                sep == "-"
                and any(c.isalpha() for c in written)
                and not any(c.islower() for c in written)
            ):
                spans.append((match.start("code"), match.end("code")))
    return sorted(spans)


def drawn_first(codes: Iterable[CodeInText]) -> list[CodeInText]:
    """``codes`` without repeated values, those that look drawn first (more kinds of
    characters: small letters, capitals, digits, others), else in text order: which to
    compare first when comparisons are counted (argon2id)."""
    seen: dict[str, CodeInText] = {}
    for code in codes:
        seen.setdefault(code.value, code)

    def kinds(code: CodeInText) -> int:
        value = code.value
        return sum((
            any(c.islower() for c in value), any(c.isupper() for c in value),
            any(c.isdigit() for c in value), any(not c.isalnum() for c in value),
        ))  # fmt: skip

    return sorted(seen.values(), key=lambda code: (-kinds(code), code.start))
