"""A NUMEN written in free text (a note, a reason, an outcome) is masked like the other
personal data: it is an identity factor asked of a caller (S6, S7), so the journal
keeps only its last letters, however it is typed."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csu.domain.identifiers import parse_numen
from csu.domain.masking import mask_numen, mask_personal_data


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("NUMEN 07K4815162FQZ vérifié", "NUMEN **********FQZ vérifié"),
        ("numen 07k4815162fqz ok", "numen **********fqz ok"),
        ("NUMEN: 07 K 4815162 FQZ.", "NUMEN: **********FQZ."),
        ("(07K4815162FQZ)", "(**********FQZ)"),
    ],
    ids=["upper", "lower", "spaced", "bracketed"],
)  # fmt: skip
def test_a_numen_in_free_text_keeps_its_last_letters(written: str, masked: str) -> None:
    assert mask_personal_data(written) == masked


@pytest.mark.parametrize(
    "text",
    ["réf. 07K4815162FQZA", "X07K4815162FQZ", "dossier 07K48151 du 12/03", "AB12345678CDE"],
    ids=["run on", "glued", "short", "other shape"],
)
def test_what_is_not_a_numen_is_left(text: str) -> None:
    assert mask_personal_data(text) == text


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("NUMEN 12-A-1234567-ABC ok", "NUMEN **********ABC ok"),
        ("NUMEN 12.A.1234567.ABC ok", "NUMEN **********ABC ok"),
        ("NUMEN 12A-1234567-ABC ok", "NUMEN **********ABC ok"),
        ("NUMEN 12 A 123 45 67 ABC ok", "NUMEN **********ABC ok"),
        ("NUMEN 12\u00a0A\u00a01234567\u00a0ABC ok", "NUMEN **********ABC ok"),
        ("NUMEN 12\u202fA 1234567\u202fABC ok", "NUMEN **********ABC ok"),
        ("NUMEN 12\tA\t1234567\tABC ok", "NUMEN **********ABC ok"),
        ("NUMEN 12  A  1234567  ABC ok", "NUMEN **********ABC ok"),
        ("NUMEN 12/A/1234567/ABC ok", "NUMEN **********ABC ok"),
        ("NUMEN12A1234567ABC ok", "NUMEN**********ABC ok"),
        ("numen_12A1234567ABC ok", "numen_**********ABC ok"),
        ("Numen12a1234567abc ok", "Numen**********abc ok"),
    ],
    ids=[
        "dashes", "dots", "dashes after the letter", "digits grouped", "no-break space",
        "narrow no-break space", "tab", "double spaces", "slashes", "after NUMEN",
        "after numen_", "after Numen, small letters",
    ],
)  # fmt: skip
def test_a_separated_or_labelled_numen_is_masked(written: str, masked: str) -> None:
    assert mask_personal_data(written) == masked


@pytest.mark.parametrize(
    "text",
    [
        "matricule 12A1234567 est verrouillé",
        "ticket 20 h 1234567 par mail",
        "dossier 22 B 1234567 les pièces",
        "dossier 12 a 1234567 abc",
        "réf. 12-A-1234567-ABCD",
        "X12A1234567ABC",
        "numéro12A1234567ABC",
    ],
    ids=[
        "matricule then a word", "a time then a number", "a bureau then a number",
        "separated in small letters", "run on", "glued to a word", "glued to another word",
    ],
)  # fmt: skip
def test_prose_around_numbers_is_not_taken_for_a_numen(text: str) -> None:
    assert mask_personal_data(text) == text


@pytest.mark.parametrize(
    "numen",
    ["12-A-1234567-ABC", "12 A 123 45 67 ABC", "12\u00a0A\t1234567 ABC", "12A1234567ABC"],
)
def test_the_masked_numen_keeps_only_its_last_three_letters(numen: str) -> None:
    assert mask_numen(numen) == "**********ABC"


@given(st.from_regex(r"[0-9]{2}[A-Z][0-9]{7}[A-Z]{3}", fullmatch=True))
def test_no_numen_stays_whole_in_free_text(numen: str) -> None:
    masked = mask_personal_data(f"appelant vérifié, NUMEN {numen}, rappel demain")
    assert parse_numen(numen)[:10] not in masked.replace(" ", "")
    assert mask_numen(numen) in masked
