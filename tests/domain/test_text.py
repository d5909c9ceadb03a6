"""Typed text: control characters refused with the field named; CSV cells made safe."""

import sys
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csu.domain import text
from csu.domain.errors import InvalidValue
from csu.domain.text import (
    FORMULA_STARTS,
    escaped,
    free_text,
    invisible_shown,
    is_printable_text,
    multiline_text,
    refuse_control_characters,
    single_line,
    spreadsheet_safe,
    terminal_safe,
    visible_text,
)

REFUSED = {
    "\x00": "caractère nul, U+0000",
    "\x1b": "caractère d'échappement, U+001B",
    "\x07": "caractère de contrôle, U+0007",
    "\x7f": "caractère de suppression, U+007F",
    "\x85": "caractère de contrôle, U+0085",
    "\x9b": "caractère de contrôle, U+009B",
    "\u202a": "marque de direction bidirectionnelle, U+202A",
    "\u202e": "marque de direction bidirectionnelle, U+202E",
    "\u2066": "marque de direction bidirectionnelle, U+2066",
    "\u2069": "marque de direction bidirectionnelle, U+2069",
    "\u200f": "marque de direction bidirectionnelle, U+200F",
    "\u200e": "marque de direction bidirectionnelle, U+200E",
    "\u061c": "marque de direction bidirectionnelle, U+061C",
    "\u2028": "séparateur de ligne, U+2028",
    # Lone surrogates: what Python makes of an argument's bytes that are not UTF-8 (0xFF
    # -> U+DCFF), or a JSON "\\ud800"; no table, body or terminal can hold them.
    chr(0xDCFF): "caractère invalide, hors UTF-8, U+DCFF",
    chr(0xD800): "caractère invalide, hors UTF-8, U+D800",
}


@pytest.mark.parametrize("char", REFUSED, ids=lambda char: f"U+{ord(char):04X}")
def test_a_control_character_in_a_name_is_refused_naming_field_character_and_place(
    char: str,
) -> None:
    with pytest.raises(InvalidValue) as refused:
        single_line(f"Du{char}pont", "Nom")
    assert refused.value.field == "Nom"
    assert str(refused.value) == f"Nom : caractère interdit en position 3 ({REFUSED[char]})"


@pytest.mark.parametrize("rule", [single_line, free_text, multiline_text])
@pytest.mark.parametrize("char", REFUSED, ids=lambda char: f"U+{ord(char):04X}")
def test_no_kind_of_text_admits_nul_escape_or_bidirectional_marks(
    rule: Callable[[str, str], str], char: str
) -> None:
    with pytest.raises(InvalidValue, match="caractère interdit"):
        rule(f"motif {char} suite", "Motif")


@pytest.mark.parametrize("char", ["\u200b", "\u200d", "\u2060", "\ufeff"])
@pytest.mark.parametrize("rule", [free_text, multiline_text])
def test_a_reason_or_note_refuses_invisible_characters(
    rule: Callable[[str, str], str], char: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        rule(f"motif{char} suite", "Motif")
    assert str(refused.value) == (
        f"Motif : caractère invisible interdit en position 6 (U+{ord(char):04X})"
    )


def test_a_name_keeps_a_zero_width_space_a_spreadsheet_left_in_it() -> None:
    assert single_line("Du\u200bpont", "Nom") == "Du\u200bpont"


def test_the_line_of_an_import_is_named_with_the_field() -> None:
    with pytest.raises(InvalidValue) as refused:
        single_line("Jean\x00ne", "Prénom", line=12)
    assert str(refused.value).startswith("Prénom (ligne 12) : caractère interdit en position 5")


def test_ordinary_french_text_passes_unchanged() -> None:
    for value in ("Éloïse-Marie O’Neil", "N'GUYEN Thị", "appel  reçu à 9 h ; « urgent » 😊"):
        assert single_line(value, "Nom") is value


def test_a_tab_is_refused_in_a_name_but_tolerated_in_free_text() -> None:
    with pytest.raises(InvalidValue, match=r"tabulation, U\+0009"):
        single_line("Jean\tne", "Prénom")
    assert free_text("motif\tdétaillé", "Motif") == "motif\tdétaillé"


def test_a_line_break_is_refused_in_a_reason_but_kept_in_a_note() -> None:
    with pytest.raises(InvalidValue, match=r"saut de ligne, U\+000A"):
        free_text("motif\nsur deux lignes", "Motif")
    note = "appel reçu\r\nrappel demain\n\tà 9 h"
    assert multiline_text(note, "Note") == note


def test_a_carriage_return_alone_is_refused_even_in_a_note() -> None:
    # A bare CR moves the cursor back on a terminal: it rewrites what is shown.
    with pytest.raises(InvalidValue, match=r"retour chariot, U\+000D"):
        multiline_text("tout va bien\rrien ne va", "Note")


@given(st.text())
def test_any_text_is_returned_as_it_is_or_refused_with_the_field_named(value: str) -> None:
    try:
        kept = refuse_control_characters(value, "Identifiant")
    except InvalidValue as refused:
        assert refused.field == "Identifiant"
        assert not is_printable_text(value)
    else:
        assert kept == value
        assert is_printable_text(value)


# --- CSV cells ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell", ["=1+1", "+33 6 12", "-2", "@SUM(A1)", "\tx", "\rx", "＝1", " =1+1", "\u00a0 @x"]
)
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_quote(cell: str) -> None:
    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "dupont", "2022-11-28T09:00:00Z", '{"a": 1}', "'=x"])
def test_other_cells_are_left_alone(cell: str) -> None:
    assert spreadsheet_safe(cell) == cell


@given(st.text())
def test_a_safe_cell_never_starts_a_formula_and_keeps_the_whole_value(cell: str) -> None:
    safe = spreadsheet_safe(cell)
    assert not safe.startswith(FORMULA_STARTS)
    assert not safe.lstrip().startswith(FORMULA_STARTS)
    assert safe in (cell, "'" + cell)


# --- the compiled class of refused characters -----------------------------------


def test_the_compiled_class_refuses_exactly_the_characters_the_rule_names() -> None:
    # Every code point, surrogates included: the regex and the per-character rule agree.
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert (text._REFUSED.search(char) is not None) == text._is_refused(char), hex(code)


def _refused_one_by_one(value: str, *, allow_tab: bool, allow_newlines: bool) -> str | None:
    """The rule read character by character (as it was written before the regex)."""
    for index, char in enumerate(value):
        if not text._is_refused(char):
            continue
        if allow_tab and char == "\t":
            continue
        crlf = char == "\r" and value[index + 1 : index + 2] == "\n"
        if allow_newlines and (char == "\n" or crlf):
            continue
        described = text.describe_character(char)
        return f"Note : caractère interdit en position {index + 1} ({described})"
    return None


_CONTROLS = "\x00\t\n\r\x1b\x7f\x85\x9f\u202a\u202e\u2066\u2069\u2028\u2029\u200b\u00a0é😊"


@given(
    st.one_of(st.text(), st.text(alphabet=st.sampled_from(_CONTROLS + "ab ")), st.just("")),
    st.booleans(),
    st.booleans(),
)
def test_refusing_by_regex_gives_what_the_character_loop_gave(
    value: str, allow_tab: bool, allow_newlines: bool
) -> None:
    expected = _refused_one_by_one(value, allow_tab=allow_tab, allow_newlines=allow_newlines)
    try:
        kept = refuse_control_characters(
            value, "Note", allow_tab=allow_tab, allow_newlines=allow_newlines
        )
    except InvalidValue as refused:
        assert str(refused) == expected
    else:
        assert expected is None
        assert kept is value
    assert is_printable_text(value) == (
        _refused_one_by_one(value, allow_tab=False, allow_newlines=False) is None
    )


@given(st.text())
def test_text_that_utf8_can_encode_holds_no_lone_surrogate(value: str) -> None:
    value.encode("utf-8")  # st.text() draws no surrogate
    assert not text.holds_lone_surrogate(value)
    assert text.holds_lone_surrogate(value + chr(0xDCFF))


@pytest.mark.parametrize(
    "char", ["\u3164", "\u00ad", "\ufe0f", "\u2800", "\U000e0041"], ids=lambda c: f"U+{ord(c):04X}"
)
def test_a_reason_refuses_fillers_soft_hyphens_selectors_and_tags(char: str) -> None:
    with pytest.raises(InvalidValue, match=f"caractère invisible interdit .*U\\+{ord(char):04X}"):
        free_text(f"motif{char} suite", "Motif")


@pytest.mark.parametrize("code", range(128))
def test_a_one_line_value_of_ascii_is_refused_exactly_as_the_character_rule_says(
    code: int,
) -> None:
    """``visible_text`` takes printable ASCII at once: the shortcut lets through no
    character the rule refuses, and refuses none it lets through."""
    char = chr(code)
    refused_by_rule = text._is_refused(char) or text._is_invisible(char)
    try:
        text.visible_text(f"ab{char}cd", "Recherche")
    except InvalidValue:
        assert refused_by_rule
    else:
        assert not refused_by_rule


@pytest.mark.parametrize(
    "char",
    ["\u034f", "\u17b4", "\u180b", "\u2065", "\ufff0", "\U000e0000", "\U000e0080"],
    ids=["grapheme-joiner", "khmer-inherent", "mongolian-selector", "reserved-2065",
         "reserved-fff0", "tag-e0000", "reserved-e0080"],
)  # fmt: skip
def test_a_default_ignorable_character_is_refused_in_what_is_compared(char: str) -> None:
    """An attack run passed « nv-\\u034f\\u17b4\\u180bx », which reads « nv-x »."""
    with pytest.raises(InvalidValue, match="caractère interdit en position 4"):
        visible_text(f"nv-{char}x", "event_id")


def test_escaped_shows_an_invisible_character_as_its_code() -> None:
    assert escaped("liste\u200b\x1b.csv") == "liste\\u200b\\x1b.csv"


def test_terminal_safe_writes_what_drives_a_terminal_as_codes() -> None:
    hostile = "\x1b[1A\x1b[2Kjournal intègre\x07\r\x9b\u202e"
    assert terminal_safe(hostile) == "\\x1b[1A\\x1b[2Kjournal intègre\\x07\\r\\x9b\\u202e"


def test_terminal_safe_keeps_line_breaks_tabs_and_letters() -> None:
    assert terminal_safe("Élection\tclose\nà 17 h 👍") == "Élection\tclose\nà 17 h 👍"


@pytest.mark.parametrize(
    ("quoted", "shown"),
    [
        ("\ufeffmatricule", "[U+FEFF]matricule"),
        ("nv-\u200bx", "nv-[U+200B]x"),
        ("Hélène", "Hélène"),  # what draws is left as it is
        ("plain", "plain"),
    ],
)
def test_what_draws_nothing_in_a_quoted_value_is_shown_as_its_code(quoted: str, shown: str) -> None:
    assert invisible_shown(quoted) == shown


@pytest.mark.parametrize("check", [free_text, multiline_text])
def test_a_word_mixing_look_alike_alphabets_in_a_note_is_refused_by_its_place(
    check: Callable[[str, str], str],
) -> None:
    # « Веsançon »: a Cyrillic « В » and « е », read as the Latin word (attack run).
    with pytest.raises(InvalidValue, match="mot mêlant des alphabets en position 9") as refused:
        check("réponse \u0412\u0435sançon donnée", "Note")
    assert "sançon" not in str(refused.value)  # its place, never the word


@pytest.mark.parametrize("note", ["écart ΔT de 3 °C", "fibre de 10μm", "antenne λ/4", "ΣA"])
def test_a_greek_symbol_beside_latin_letters_passes(note: str) -> None:
    assert multiline_text(note, "Note") == note


@pytest.mark.parametrize("word", ["Βernard", "Straβe", "ωilliam", "Dupοnt"])
def test_a_greek_letter_shaped_as_a_latin_one_still_mixes_the_word(word: str) -> None:
    with pytest.raises(InvalidValue, match="mot mêlant des alphabets en position 1"):
        multiline_text(word, "Note")


def test_a_note_in_one_alphabet_per_word_passes() -> None:
    assert multiline_text("Ελένη a dit Москва, puis Besançon", "Note").endswith("Besançon")
