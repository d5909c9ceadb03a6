"""Every NIR python-stdnum accepts works as the NIR factor, in every form a caller may
say it: the roll stores the keyed hash of its first 10 characters (csu.domain.roll),
and what the agent types is reduced to the same 10 (csu.domain.identifiers.nir_factor)
before the service compares the hashes (csu.services.verification)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.fr import nir as stdnum_nir

from csu.domain import hashing
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import nir_factor, nir_secret, parse_nir
from csu.domain.roll import RollRules, seal, validate_row

KEY = b"k" * 32
DIGITS = "0123456789"
SEPARATORS = st.sampled_from(["", " ", ".", "-", " - ", "\u00a0", "\u202f", "/", "–"])


@st.composite
def nirs(draw: st.DrawFn) -> str:
    """A 15-character NIR that stdnum accepts: any digits, Corsica (2A, 2B) included."""
    head = draw(st.text(DIGITS, min_size=5, max_size=5))
    department = draw(st.one_of(st.text(DIGITS, min_size=2, max_size=2),
                                st.sampled_from(["2A", "2B"])))
    tail = draw(st.text(DIGITS, min_size=6, max_size=6))
    body = head + department + tail
    number = body + stdnum_nir.calc_check_digits(body)
    assert stdnum_nir.is_valid(number)
    return number


@st.composite
def said(draw: st.DrawFn, nir: str) -> str:
    """``nir`` as a caller says it: whole, without its key, or its first 10 characters,
    in groups (1 2 2 2 3 3 2) joined by any separator, letters in any case."""
    length = draw(st.sampled_from([15, 13, 10]))
    groups, start = [], 0
    for size in (1, 2, 2, 2, 3, 3, 2):
        if start < length:
            groups.append(nir[start : min(start + size, length)])
        start += size
    text = groups[0]
    for group in groups[1:]:
        text += draw(SEPARATORS) + group
    if draw(st.booleans()):
        text = text.lower()
    return f"{draw(st.sampled_from(['', ' ']))}{text}{draw(st.sampled_from(['', ' ']))}"


def roll_hash(nir: str) -> str | None:
    """The NIR factor's hash as an import of a roll row stores it."""
    row = {"matricule": "AB1234", "nom": "Martin", "prenom": "Léa",
           "date_naissance": "12/05/1985", "bureau": "B-NORD", "identifiant": "ID-1",
           "nir": stdnum_nir.format(nir)}  # fmt: skip
    valid = validate_row(row, 2, RollRules(today=date(2022, 12, 1)))
    assert not isinstance(valid, list), valid
    return seal(valid, KEY).nir10_hash


@given(st.data(), nirs())
def test_every_form_of_a_valid_nir_matches_the_roll(data: st.DataObject, nir: str) -> None:
    spoken = data.draw(said(nir))
    assert nir_factor(spoken) == nir_secret(parse_nir(nir))
    assert hashing.matches(KEY, hashing.NIR10, nir_factor(spoken), roll_hash(nir))


@given(nirs())
def test_a_wrong_key_is_refused_when_the_caller_gives_one(nir: str) -> None:
    wrong = nir[:13] + f"{(int(nir[13:]) + 1) % 100:02d}"
    with pytest.raises(InvalidValue, match="clé de contrôle"):
        nir_factor(wrong)


@pytest.mark.parametrize(
    "spoken", ["", "12345", "1850575123456789", "18505ZZ123", "1 85 05 75 12é"]
)
def test_what_is_no_nir_is_refused_with_a_french_reason(spoken: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        nir_factor(spoken)
    assert refused.value.field == "NIR"
