"""Counted nouns in French: 0 and 1 take the singular, 2 and more the plural."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csu.domain.numbers import french_number
from csu.domain.plural import counted, plural_of


@pytest.mark.parametrize(
    ("count", "said"),
    [(0, "0 électeur"), (1, "1 électeur"), (2, "2 électeurs"), (30028, "30\u202f028 électeurs")],
)
def test_a_regular_noun_takes_an_s_from_two(count: int, said: str) -> None:
    assert counted(count, "électeur") == said


@pytest.mark.parametrize(
    ("count", "said"),
    [(0, "0 ligne écrite"), (1, "1 ligne écrite"), (3, "3 lignes écrites")],
)
def test_a_multi_word_noun_takes_its_plural_as_given(count: int, said: str) -> None:
    assert counted(count, "ligne écrite", "lignes écrites") == said


def test_an_irregular_plural_is_taken_as_given() -> None:
    assert counted(1, "code à usage unique", "codes à usage unique") == "1 code à usage unique"
    assert counted(2, "code à usage unique", "codes à usage unique") == "2 codes à usage unique"
    assert counted(4, "journal", "journaux") == "4 journaux"


def test_the_form_alone_agrees_with_the_count_without_writing_it() -> None:
    assert plural_of(1, "effacé") == "effacé"
    assert plural_of(2, "effacé") == "effacés"
    assert plural_of(0, "attend", "attendent") == "attend"
    assert plural_of(5, "attend", "attendent") == "attendent"


@given(st.integers(min_value=0, max_value=10**9))
def test_any_count_is_written_with_the_one_form_that_agrees(count: int) -> None:
    said = counted(count, "matériel")
    assert said == f"{french_number(count)} {'matériel' if count < 2 else 'matériels'}"
    assert "(s)" not in said
