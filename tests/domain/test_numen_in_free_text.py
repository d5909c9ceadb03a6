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


@given(st.from_regex(r"[0-9]{2}[A-Z][0-9]{7}[A-Z]{3}", fullmatch=True))
def test_no_numen_stays_whole_in_free_text(numen: str) -> None:
    masked = mask_personal_data(f"appelant vérifié, NUMEN {numen}, rappel demain")
    assert parse_numen(numen)[:10] not in masked.replace(" ", "")
    assert mask_numen(numen) in masked
