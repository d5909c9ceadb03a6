"""Typed text that enters CSU: refuse the characters that no operator means to type.

Names, first names, logins, workstation names, reasons and notes end up on
screens, in the journal, in CSV exports and in the database. A control
character there hides or rewrites what an operator reads (a carriage return
or a bidirectional override reorders a journal line; an escape sequence
drives the terminal), and a NUL is refused by PostgreSQL outright. So every
service refuses them where text enters, with a French sentence that names
the field and the character.

Refused everywhere: C0 controls (U+0000–U+001F), DEL (U+007F), C1 controls
(U+0080–U+009F), the bidirectional embeddings and overrides (U+202A–U+202E),
isolates (U+2066–U+2069) and marks (U+200E, U+200F, U+061C: a mark reorders the
punctuation around it as an override does), the Unicode line and paragraph separators
(U+2028, U+2029), and lone surrogates (U+D800–U+DFFF: no UTF-8 can hold them, so
neither a table, the journal's body nor a terminal can; Python makes them of the bytes
of a command-line argument that are not UTF-8, and JSON of a ``\\ud800``). Free text
(reasons, notes) may hold a tab; multi-line notes may also hold line breaks (``\\n``,
and ``\\r\\n``). Free text also refuses the invisible characters (format characters such as the
zero-width space and joiners, the soft hyphen, U+FEFF and the tag characters; variation
selectors; blank-looking fillers such as U+3164): in a reason they only make two
identical-looking texts differ, or pass off an empty reason as a filled one. Names keep
them, as rolls exported from spreadsheets sometimes hold them. What is compared with a
record (an identity answer, a code, a search) refuses them too (``visible_text``): the
field shows « 077497 », holds one more character, and the right answer reads as wrong.
"""

import re
import unicodedata

from csu.domain.errors import InvalidValue

__all__ = [
    "FORMULA_STARTS",
    "LOOK_ALIKE_SCRIPTS",
    "describe_character",
    "escaped",
    "free_text",
    "holds_lone_surrogate",
    "is_blank",
    "is_printable_text",
    "mixed_scripts",
    "multiline_text",
    "refuse_control_characters",
    "script_of",
    "single_line",
    "spreadsheet_safe",
    "visible_text",
]

TAB = "\t"
NEWLINE = "\n"
CARRIAGE_RETURN = "\r"

_NAMED: dict[str, str] = {
    "\x00": "caractère nul",
    "\t": "tabulation",
    "\n": "saut de ligne",
    "\r": "retour chariot",
    "\x1b": "caractère d'échappement",
    "\x7f": "caractère de suppression",
    "\u2028": "séparateur de ligne",
    "\u2029": "séparateur de paragraphe",
}


def _is_bidi_control(char: str) -> bool:
    code = ord(char)
    return 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069 or char in _BIDI_MARKS


_BIDI_MARKS = frozenset("\u200e\u200f\u061c")


def _is_refused(char: str) -> bool:
    code = ord(char)
    return (
        code <= 0x1F
        or 0x7F <= code <= 0x9F
        or _is_bidi_control(char)
        or char in ("\u2028", "\u2029")
        or _is_surrogate(char)
    )


def _is_surrogate(char: str) -> bool:
    return 0xD800 <= ord(char) <= 0xDFFF


_SURROGATE = re.compile("[\ud800-\udfff]")


def holds_lone_surrogate(value: str) -> bool:
    """Whether ``value`` holds a code point no UTF-8 can encode: how Python spells the
    bytes of a command-line argument or environment variable that are not UTF-8."""
    return _SURROGATE.search(value) is not None


# The characters _is_refused refuses, as one class: the regex engine walks a text in C,
# ~20x sooner than a Python loop per character (an import checks millions of names).
# tests/domain/test_text.py checks both agree on every code point.
_REFUSED = re.compile(
    "[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029\ud800-\udfff]"
)


def describe_character(char: str) -> str:
    """A French name for a refused character, with its code point: ``caractère nul, U+0000``."""
    code = f"U+{ord(char):04X}"
    if char in _NAMED:
        return f"{_NAMED[char]}, {code}"
    if _is_bidi_control(char):
        return f"marque de direction bidirectionnelle, {code}"
    if _is_surrogate(char):
        return f"caractère invalide, hors UTF-8, {code}"
    if char in _INVISIBLE_NAMED:
        return f"{_INVISIBLE_NAMED[char]}, {code}"
    if _is_invisible(char):
        return f"caractère invisible, {code}"
    return f"caractère de contrôle, {code}"


# The invisible characters a paste brings most often, by a name an operator recognises.
_INVISIBLE_NAMED: dict[str, str] = {
    "\u00ad": "trait d'union conditionnel, invisible",
    "\u200b": "espace de largeur nulle, invisible",
    "\u200c": "antiliant de largeur nulle, invisible",
    "\u200d": "liant de largeur nulle, invisible",
    "\u2060": "gluon de mots, invisible",
    "\ufeff": "indicateur d'ordre des octets, invisible",
}


def refuse_control_characters(
    value: str,
    field: str,
    *,
    allow_tab: bool = False,
    allow_newlines: bool = False,
    line: int | None = None,
) -> str:
    """Return ``value`` unchanged, or raise ``InvalidValue`` naming the field and character.

    ``allow_tab`` admits tabs (free text); ``allow_newlines`` admits ``\\n``
    and a ``\\r`` that directly precedes one (multi-line notes typed on
    Windows). ``line`` names the line of an import file in the message.
    """
    for found in _REFUSED.finditer(value):  # nearly always none: done in C
        index, char = found.start(), found.group()
        if allow_tab and char == TAB:
            continue
        if allow_newlines and (
            char == NEWLINE or (char == CARRIAGE_RETURN and value[index + 1 : index + 2] == NEWLINE)
        ):
            continue
        where = f"{field} (ligne {line})" if line is not None else field
        raise InvalidValue(
            where,
            f"caractère interdit en position {index + 1} ({describe_character(char)})",
        )
    return value


def escaped(value: str) -> str:
    """``value`` with each character :func:`visible_text` refuses written as its code
    (« \\x1b », « \\u202e », « \\u200b »): a name CSU did not choose (a file's) shown
    in a message without driving the terminal, reordering the line or hiding a part."""
    if value.isascii() and value.isprintable():
        return value
    return "".join(
        char.encode("unicode_escape").decode() if _is_refused(char) or _is_invisible(char)
        else char
        for char in value
    )


# What a terminal acts on instead of showing, a line break and a tab aside: the C0 and C1
# controls (ESC opens every escape sequence), DEL, and the bidirectional controls.
_TERMINAL_CONTROLS = {
    code: chr(code).encode("unicode_escape").decode()
    for code in (
        *range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A),
        *map(ord, _BIDI_MARKS),
    )
    if code not in (0x09, 0x0A)
}  # fmt: skip


def terminal_safe(text: str) -> str:
    """``text`` with what would drive the terminal written as its code (« \x1b[2J »
    shown, not clearing the screen): for a message quoting what CSU did not write."""
    return text.translate(_TERMINAL_CONTROLS)


def single_line(value: str, field: str, *, line: int | None = None) -> str:
    """A name, first name, login or workstation name: no control character at all."""
    return refuse_control_characters(value, field, line=line)


def free_text(value: str, field: str) -> str:
    """A one-line reason: a tab is tolerated, nothing else, nothing invisible, no word
    mixing look-alike alphabets."""
    checked = refuse_control_characters(value, field, allow_tab=True)
    return _refuse_mixed_words(_refuse_invisible(checked, field), field)


def multiline_text(value: str, field: str) -> str:
    """A note that may span several lines: tabs and line breaks are tolerated."""
    checked = refuse_control_characters(value, field, allow_tab=True, allow_newlines=True)
    return _refuse_mixed_words(_refuse_invisible(checked, field), field)


def _refuse_mixed_words(value: str, field: str) -> str:
    """A word of a note or reason that mixes look-alike alphabets (« Веsançon », a
    Cyrillic « В » and « е ») is refused with its position, never its text: it reads as
    the Latin word while comparing as another, and slipped a voter's secret answer past
    the check of what a note holds (attack run). Nobody types one on a French keyboard."""
    if value.isascii():
        return value
    for found in re.finditer(r"\S+", value):
        if mixed_scripts(found.group()):
            raise InvalidValue(
                field,
                f"mot mêlant des alphabets en position {found.start() + 1} (une lettre "
                "cyrillique ou grecque parmi des latines ?) : retapez-le au clavier",
            )
    return value


def visible_text(value: str, field: str) -> str:
    """A one-line value compared with a record or searched for (an identity answer, a
    code, a look-up): ``value`` unchanged, or ``InvalidValue`` naming the field and the
    first character that is a control (tab included) or invisible, with its position:
    « caractère interdit en position 7 (marque de direction bidirectionnelle, U+202E) ».
    The field shows what it holds, so what is compared is what the operator read."""
    if value.isascii() and value.isprintable():
        return value  # no ASCII character is refused here but the controls isprintable finds
    for index, char in enumerate(value):
        if _is_refused(char) or _is_invisible(char):
            raise InvalidValue(
                field, f"caractère interdit en position {index + 1} ({describe_character(char)})"
            )
    return value


def invisible_shown(text: str) -> str:
    """``text`` with each character that draws nothing (a byte order mark, a zero-width
    space...) written as its code, « [U+FEFF] »: for a message quoting what a file held,
    where « colonne \ufeffmatricule inconnue » read as a column CSU should know."""
    if text.isascii():
        return text
    return "".join(f"[U+{ord(char):04X}]" if _is_invisible(char) else char for char in text)


def _refuse_invisible(value: str, field: str) -> str:
    for index, char in enumerate(value):
        if _is_invisible(char):
            raise InvalidValue(
                field, f"caractère invisible interdit en position {index + 1} (U+{ord(char):04X})"
            )
    return value


def _is_invisible(char: str) -> bool:
    """A character that draws nothing in a reason or note: format characters (zero-width
    space and joiners, soft hyphen, byte order mark, tag characters that can spell a
    hidden text), variation selectors, and the blank-looking fillers (``is_blank``)."""
    code = ord(char)
    return (
        unicodedata.category(char) == "Cf"
        or char in _BLANK_LOOKING
        or 0xFE00 <= code <= 0xFE0F
        or any(first <= code <= last for first, last in _IGNORABLE)
    )


# The rest of Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt), which
# draws nothing either: the combining grapheme joiner, Khmer and Mongolian vowel
# inherents and variation selectors, unassigned code points reserved as ignorable
# (U+2065, U+FFF0–FFF8) and the whole tag and variation selector plane's block
# (U+E0000–E0FFF). An attack run passed « nv-\u034f\u17b4\u180bx » as « nv-x ».
_IGNORABLE = (
    (0x034F, 0x034F), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x2065, 0x2065),
    (0xFFF0, 0xFFF8), (0xE0000, 0xE0FFF),
)  # fmt: skip


def is_printable_text(value: str) -> bool:
    """True when ``value`` holds no refused character (tabs and line breaks count as refused)."""
    return _REFUSED.search(value) is None


# Characters that draw nothing although they are neither spaces nor format characters:
# the Hangul fillers and the blank Braille pattern, the usual ways to pass off an empty
# name as a filled one.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_blank(value: str) -> bool:
    """True when ``value`` shows nothing: spaces, format characters (zero-width space
    U+200B, joiners, soft hyphen, byte order mark…) and blank-looking fillers only. Such
    a text counts as empty: a title of U+200B alone shows as no title at all."""
    return all(
        char.isspace() or char in _BLANK_LOOKING or unicodedata.category(char) == "Cf"
        for char in value
    )


def script_of(char: str) -> str:
    """The script of a letter as its Unicode name begins (« LATIN », « CYRILLIC »…)."""
    return unicodedata.name(char, "?").split(" ", 1)[0]


LOOK_ALIKE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"})
"""Scripts whose letters pass for one another's: « о » Cyrillic, « ο » Greek, « օ »
Armenian, Cherokee capitals, and the Latin « o »."""


GREEK_UNLIKE_LATIN = frozenset("ΓΔΘΛΞΠΣΦΨΩδζθλμξπςφψ")
"""Greek letters that no Latin letter passes for, written beside Latin ones as symbols
(« ΔT », « 10μm », « λ/4 »): they make no word mixed. « β » (« ß »), « ω » (« ɯ »), « ν »,
« ο », « ρ » and the capitals shaped as Latin ones still do."""


def mixed_scripts(word: str) -> bool:
    """Whether ``word`` mixes letters of scripts that pass for one another
    (:data:`LOOK_ALIKE_SCRIPTS`): « Моnnier » (a Cyrillic « М » and « о ») reads as
    « Monnier », and is no longer found under it. A word in one of them, accents
    included, is not mixed, nor one joining scripts that cannot be taken for each other
    (kanji and kana), nor a Latin one with a Greek symbol (:data:`GREEK_UNLIKE_LATIN`)."""
    if word.isascii():
        return False
    scripts = {
        script_of(char) for char in word if char.isalpha() and char not in GREEK_UNLIKE_LATIN
    }
    return len(scripts & LOOK_ALIKE_SCRIPTS) > 1


# A spreadsheet runs a cell as a formula when it begins with one of these: OWASP's
# CSV-injection list, with LF and NUL (ASVS 1.2.10 names NUL too) and the full-width
# forms of the signs, cheap to cover in case a spreadsheet folds them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00", "＝", "＋", "－", "＠")


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell that no spreadsheet runs: a formula-like start gets a leading quote.

    The quote is the spreadsheets' own "text" marker; a reader of the raw file
    sees it, which is the lesser evil next to a formula run on the reader's machine.
    """
    if not cell or (cell[0] not in FORMULA_FIRST and not cell[0].isspace()):
        return cell  # most cells: a name, a code, a number (a million rows an export)
    # After spaces too: a spreadsheet set to trim them would run « =1+1 » then.
    formula = cell.startswith(FORMULA_STARTS) or cell.lstrip().startswith(FORMULA_STARTS)
    return "'" + cell if formula else cell


# Their first characters: a cell starting with none of these, nor with a space, is safe.
FORMULA_FIRST = frozenset(start[0] for start in FORMULA_STARTS)
